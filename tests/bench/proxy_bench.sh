#!/usr/bin/env bash
# Keep-alive HTTP/1.1 proxying: the Gatehouse data plane against nginx and HAProxy, each with one
# worker, in front of the same nginx upstream serving a small body, all on 127.0.0.1.
#
#   bash tests/bench/proxy_bench.sh [--rounds N] [--duration SECONDS] [--connections N]
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
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "proxy_bench.sh: unknown argument \"$1\"" >&2; exit 2 ;;
  esac
done

source tests/bench/peers.sh
upstream=$(free_port); nginx_port=$(free_port); haproxy_port=$(free_port); gatehouse_port=$(free_port)
xds=$(free_port); cp_admin=$(free_port); cp_health=$(free_port); dp_admin=$(free_port); dp_health=$(free_port)

mkdir -p "$work/nginx-proxy" "$work/manifests"

# nginx as the proxy: one worker, pooled keep-alive upstream connections.
cat > "$work/nginx-proxy/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx-proxy/pid;
error_log $work/nginx-proxy/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$upstream; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
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
cat > "$work/manifests/world.yaml" <<CONF
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gatehouse, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: gatehouse.dev/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: up, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: $upstream}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: up, namespace: default, labels: {kubernetes.io/service-name: up}}
addressType: IPv4
ports: [{name: http, port: $upstream}]
endpoints: [{addresses: ["127.0.0.1"]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: up, namespace: default}
spec:
  defaultBackend: {service: {name: up, port: {number: 80}}}
CONF

start_upstream "$upstream"
declare -A pid_of
nginx -c "$work/nginx-proxy/nginx.conf" -g 'daemon off;' 2>"$work/nginx-proxy.log" & pids+=($!)
pid_of[nginx]=$!
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
pid_of[haproxy]=$!
"$bin/gatehouse-controlplane" --source="file:$work/manifests" \
  --xds-listen=127.0.0.1:$xds --admin-listen=127.0.0.1:$cp_admin --health-listen=127.0.0.1:$cp_health \
  --log-level=warning 2>"$work/controlplane.log" & pids+=($!)
${DATAPLANE_WRAPPER:-} "$bin/gatehouse-dataplane" --xds-server=127.0.0.1:$xds --workers=1 \
  --http-listen=127.0.0.1:$gatehouse_port --admin-listen=127.0.0.1:$dp_admin \
  --health-listen=127.0.0.1:$dp_health --log-level=warning 2>"$work/dataplane.log" & pids+=($!)
pid_of[gatehouse]=$!

ready() {
  curl -sf -m 1 "http://127.0.0.1:$dp_health/readyz" >/dev/null &&
    curl -sf -m 1 "http://127.0.0.1:$gatehouse_port/" >/dev/null &&
    curl -sf -m 1 "http://127.0.0.1:$nginx_port/" >/dev/null &&
    curl -sf -m 1 "http://127.0.0.1:$haproxy_port/" >/dev/null
}
for i in $(seq 1 100); do
  if ready; then break; fi
  if [[ $i -eq 100 ]]; then
    echo "proxy_bench.sh: the proxies did not all answer 200; logs kept in $work" >&2
    trap - EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    exit 1
  fi
  sleep 0.1
done

declare -A rps p99 cpu
hz=$(getconf CLK_TCK)
run() {  # name port -> "rps p99_ms cpu_us_per_request"
  local out before after
  before=$(cpu_ticks "${pid_of[$1]}")
  out=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$2/")
  after=$(cpu_ticks "${pid_of[$1]}")
  local r p n
  r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
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
