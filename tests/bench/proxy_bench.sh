#!/usr/bin/env bash
# Keep-alive HTTP/1.1 proxying: the Gatehouse data plane against nginx and HAProxy, each with one
# worker, in front of the same nginx upstream serving a small body, all on 127.0.0.1.
#
#   bash tests/bench/proxy_bench.sh [--rounds N] [--duration SECONDS] [--connections N]
#        [--annotations 'KEY: "VALUE", ...'] [--dataplane-args "ARGS"] [--header "NAME: VALUE"]
#        [--manifest FILE] [--host NAME]
#
# --annotations puts annotations (YAML flow-map entries) on Gatehouse's Ingress, so
# its route runs those filters; --dataplane-args adds data plane flags; --header adds a request
# header to every proxy's requests (an Origin for CORS, credentials for basic auth); --manifest
# adds the objects of a YAML file to Gatehouse's world (a Secret the annotations name); --host
# gives Gatehouse's rule that host, and every proxy's requests that Host (filters that are a
# host's, such as client certificates, need one).
# tests/bench/filter_bench.sh runs this once per filter.
#
# GATEHOUSE_BIN=build/dev/bin runs another build's programs; KEEP_LOGS=1 keeps the logs.
#
# Builds the release preset if needed, then runs wrk against each proxy in alternating rounds
# (so drift on a shared machine hits all three alike) and prints requests/s and p99 latency per
# round, the medians, and Gatehouse's ratios to nginx and HAProxy. Nothing here is a pass/fail
# check: it measures.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
duration=10
connections=64
annotations=""
dataplane_args=""
header=""
manifest=""
host=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --annotations) annotations="$2"; shift 2 ;;
    --dataplane-args) dataplane_args="$2"; shift 2 ;;
    --header) header="$2"; shift 2 ;;
    --manifest) manifest="$2"; shift 2 ;;
    --host) host="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "proxy_bench.sh: unknown argument \"$1\"" >&2; exit 2 ;;
  esac
done

source tests/bench/peers.sh
upstream=$(free_port); nginx_port=$(free_port); haproxy_port=$(free_port); gatehouse_port=$(free_port)
xds=$(free_port); cp_admin=$(free_port); cp_health=$(free_port); dp_admin=$(free_port); dp_health=$(free_port)

mkdir -p "$work/manifests"

# HAProxy: one thread, keep-alive both sides.
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
  http-reuse always
frontend fe
  bind 127.0.0.1:$haproxy_port
  default_backend be
backend be
  server up 127.0.0.1:$upstream
CONF
# Gatehouse: the same upstream as a Service with one endpoint.
write_upstream_service "$work/manifests/world.yaml"
if [[ -z "$annotations" ]]; then
  cat >> "$work/manifests/world.yaml" <<CONF
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: up, namespace: default}
spec:
  defaultBackend: {service: {name: up, port: {number: 80}}}
CONF
else
  # A rule for every host, so that the annotations' filters run on its route.
  cat >> "$work/manifests/world.yaml" <<CONF
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: up, namespace: default, annotations: {$annotations}}
spec:
  rules: [{${host:+host: $host, }http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: up, port: {number: 80}}}}]}}]
CONF
fi

if [[ -n "$manifest" ]]; then
  { echo "---"; cat "$manifest"; } >> "$work/manifests/world.yaml"
fi

start_upstream "$upstream"
declare -A pid_of
# nginx as the proxy: one worker, pooled keep-alive upstream connections.
start_nginx_proxy "$nginx_port" 128
pid_of[nginx]=$nginx_pid
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
pid_of[haproxy]=$!
"$bin/gatehouse-controlplane" --source="file:$work/manifests" \
  --xds-listen=127.0.0.1:$xds --admin-listen=127.0.0.1:$cp_admin --health-listen=127.0.0.1:$cp_health \
  --log-level=warning 2>"$work/controlplane.log" & pids+=($!)
${DATAPLANE_WRAPPER:-} "$bin/gatehouse-dataplane" --xds-server=127.0.0.1:$xds --workers=1 \
  --http-listen=127.0.0.1:$gatehouse_port --admin-listen=127.0.0.1:$dp_admin \
  --health-listen=127.0.0.1:$dp_health --log-level=warning $dataplane_args \
  2>"$work/dataplane.log" & pids+=($!)
pid_of[gatehouse]=$!

headers=()
[[ -n "$header" ]] && headers+=(-H "$header")
[[ -n "$host" ]] && headers+=(-H "Host: $host")
ready() {
  curl -sf -m 1 "http://127.0.0.1:$dp_health/readyz" >/dev/null &&
    curl -sf -m 1 "${headers[@]}" "http://127.0.0.1:$gatehouse_port/" >/dev/null &&
    curl -sf -m 1 "http://127.0.0.1:$nginx_port/" >/dev/null &&
    curl -sf -m 1 "http://127.0.0.1:$haproxy_port/" >/dev/null
}
wait_until "the proxies did not all answer 200" ready

declare -A rps p99 cpu
hz=$(getconf CLK_TCK)
run() {  # name port -> "rps p99_ms cpu_us_per_request"
  local out before after
  before=$(cpu_ticks "${pid_of[$1]}")
  out=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "${headers[@]}" "http://127.0.0.1:$2/")
  after=$(cpu_ticks "${pid_of[$1]}")
  local r p n
  read -r r p n < <(wrk_figures <<<"$out")
  echo "$r $p $(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.2f", t * 1e6 / hz / n}')"
}

printf '%-6s %-10s %12s %10s %12s\n' round proxy "requests/s" "p99 ms" "CPU us/req"
for round in $(seq 1 "$rounds"); do
  for name in gatehouse nginx haproxy; do
    case $name in
      gatehouse) port=$gatehouse_port ;;
      nginx) port=$nginx_port ;;
      haproxy) port=$haproxy_port ;;
    esac
    read -r r p c < <(run "$name" "$port")
    rps[$name]+="$r "
    p99[$name]+="$p "
    cpu[$name]+="$c "
    printf '%-6s %-10s %12.0f %10.2f %12.2f\n' "$round" "$name" "$r" "$p" "$c"
  done
done

echo
printf '%-10s %12s %10s %12s\n' "median" "requests/s" "p99 ms" "CPU us/req"
for name in gatehouse nginx haproxy; do
  printf '%-10s %12.0f %10.2f %12.2f\n' "$name" "$(median <<<"${rps[$name]}")" \
    "$(median <<<"${p99[$name]}")" "$(median <<<"${cpu[$name]}")"
done
g=$(median <<<"${rps[gatehouse]}"); n=$(median <<<"${rps[nginx]}"); h=$(median <<<"${rps[haproxy]}")
gp=$(median <<<"${p99[gatehouse]}"); np=$(median <<<"${p99[nginx]}"); hp=$(median <<<"${p99[haproxy]}")
gc=$(median <<<"${cpu[gatehouse]}"); nc=$(median <<<"${cpu[nginx]}"); hc=$(median <<<"${cpu[haproxy]}")
echo
awk -v g="$g" -v n="$n" -v h="$h" -v gp="$gp" -v np="$np" -v hp="$hp" -v gc="$gc" -v nc="$nc" -v hc="$hc" 'BEGIN {
  printf "gatehouse/nginx   requests/s %.2fx   p99 %.2fx   CPU per request %.2fx\n", g / n, gp / np, gc / nc
  printf "gatehouse/haproxy requests/s %.2fx   p99 %.2fx   CPU per request %.2fx\n", g / h, gp / hp, gc / hc
}'
