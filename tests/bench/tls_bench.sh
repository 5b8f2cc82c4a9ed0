#!/usr/bin/env bash
# TLS termination and HTTP/2: the Gatehouse data plane against nginx, each with one worker, the
# same ECDSA P-256 certificate, in front of the same nginx upstream serving a small body, all on
# 127.0.0.1. Three measurements, in alternating rounds:
#
#   keep-alive HTTPS requests/s and p99   wrk -c64 over TLS 1.3, HTTP/1.1
#   full handshakes/s                     openssl s_time -new, 4 clients at once (TLS 1.3)
#   HTTP/2 requests/s                     h2load -c64 -m10 over TLS (ALPN h2)
#
#   bash tests/bench/tls_bench.sh [--rounds N] [--duration SECONDS] [--only keepalive|handshakes|h2]
#
# GATEHOUSE_BIN=build/dev/bin runs another build's programs; KEEP_LOGS=1 keeps the logs.
#
# Prints each round, the medians and Gatehouse's ratios to nginx. It measures; nothing passes or
# fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
duration=8
only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;  # keepalive, handshakes or h2: that measurement alone
    *) echo "tls_bench.sh: unknown argument \"$1\"" >&2; exit 2 ;;
  esac
done

source tests/bench/peers.sh
upstream=$(free_port); nginx_port=$(free_port); gatehouse_http=$(free_port)
gatehouse_port=$(free_port); xds=$(free_port); cp_admin=$(free_port); cp_health=$(free_port)
dp_admin=$(free_port); dp_health=$(free_port)

mkdir -p "$work/manifests"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=bench.test -addext subjectAltName=DNS:bench.test \
  -keyout "$work/bench.key" -out "$work/bench.crt" 2>/dev/null

crt=$(base64 -w0 "$work/bench.crt"); key=$(base64 -w0 "$work/bench.key")
write_upstream_service "$work/manifests/world.yaml"
cat >> "$work/manifests/world.yaml" <<CONF
---
apiVersion: v1
kind: Secret
metadata: {name: bench, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: $crt, tls.key: $key}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: up, namespace: default}
spec:
  tls: [{hosts: [bench.test], secretName: bench}]
  rules: [{host: bench.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: up, port: {number: 80}}}}]}}]
CONF

start_upstream "$upstream"
# nginx terminating TLS (1.2 and 1.3, HTTP/2 through ALPN), session tickets on as they are by
# default, up to 1024 idle keep-alive connections upstream, as Gatehouse keeps per endpoint (640
# HTTP/2 requests in flight need that many HTTP/1.1 upstream connections).
start_nginx_proxy "$nginx_port" 1024 "ssl http2" "server_name bench.test;
    ssl_certificate $work/bench.crt;
    ssl_certificate_key $work/bench.key;
    ssl_protocols TLSv1.2 TLSv1.3;"
"$bin/gatehouse-controlplane" --source="file:$work/manifests" \
  --default-tls-secret=default/bench \
  --xds-listen=127.0.0.1:$xds --admin-listen=127.0.0.1:$cp_admin --health-listen=127.0.0.1:$cp_health \
  --log-level=warning 2>"$work/controlplane.log" & pids+=($!)
${DATAPLANE_WRAPPER:-} "$bin/gatehouse-dataplane" --xds-server=127.0.0.1:$xds --workers=1 \
  --http-listen=127.0.0.1:$gatehouse_http --https-listen=127.0.0.1:$gatehouse_port \
  --admin-listen=127.0.0.1:$dp_admin --health-listen=127.0.0.1:$dp_health \
  --log-level=warning 2>"$work/dataplane.log" & pids+=($!)

https_ok() {
  curl -sfk -m 1 --resolve "bench.test:$1:127.0.0.1" "https://bench.test:$1/" >/dev/null
}
tls_ready() {
  curl -sf -m 1 "http://127.0.0.1:$dp_health/readyz" >/dev/null && https_ok "$gatehouse_port" &&
    https_ok "$nginx_port"
}
wait_until "the proxies did not both answer 200 over HTTPS" tls_ready

# The clients connect to 127.0.0.1 and send no SNI: Gatehouse serves bench.test's certificate
# as its default (--default-tls-secret), nginx as its only one; Host or :authority routes.
keepalive() {  # port -> "rps p99_ms"
  local out
  out=$(wrk -t1 -c64 -d"${duration}s" --latency -H "Host: bench.test" "https://127.0.0.1:$1/")
  wrk_figures <<<"$out" | awk '{print $1, $2}'
}
handshakes() {  # port -> full handshakes per second, four clients at once
  local i outs=()
  for i in 1 2 3 4; do
    openssl s_time -connect "127.0.0.1:$1" -new -time "$duration" >"$work/s_time.$i" 2>&1 &
    outs+=($!)
  done
  wait "${outs[@]}"
  cat "$work"/s_time.* | awk '/connections in [0-9.]+s;/ {sum += $1 / $4} END {printf "%.0f\n", sum}'
}
h2() {  # port -> HTTP/2 requests per second, counting 2xx answers only
  h2load -c64 -m10 -t1 -D"$duration" -H ":authority: bench.test" "https://127.0.0.1:$1/" \
    2>/dev/null | awk '/^finished in/ {gsub(",", ""); seconds = $3; sub(/s$/, "", seconds)}
                       /^status codes:/ {ok = $3}
                       END {printf "%.0f\n", ok / seconds}'
}

declare -A results
printf '%-6s %-10s %14s %10s %14s %14s\n' round proxy "https req/s" "p99 ms" "handshakes/s" "h2 req/s"
for round in $(seq 1 "$rounds"); do
  for name in gatehouse nginx; do
    port=$([[ $name == gatehouse ]] && echo "$gatehouse_port" || echo "$nginx_port")
    r=0; p=0; s=0; h=0
    if [[ -z $only || $only == keepalive ]]; then read -r r p < <(keepalive "$port"); fi
    if [[ -z $only || $only == handshakes ]]; then s=$(handshakes "$port"); fi
    if [[ -z $only || $only == h2 ]]; then h=$(h2 "$port"); fi
    results[$name.rps]+="$r "; results[$name.p99]+="$p "
    results[$name.hs]+="$s "; results[$name.h2]+="$h "
    printf '%-6s %-10s %14.0f %10.2f %14.0f %14.0f\n' "$round" "$name" "$r" "$p" "$s" "$h"
  done
done

echo
printf '%-10s %14s %10s %14s %14s\n' median "https req/s" "p99 ms" "handshakes/s" "h2 req/s"
for name in gatehouse nginx; do
  printf '%-10s %14.0f %10.2f %14.0f %14.0f\n' "$name" "$(median <<<"${results[$name.rps]}")" \
    "$(median <<<"${results[$name.p99]}")" "$(median <<<"${results[$name.hs]}")" \
    "$(median <<<"${results[$name.h2]}")"
done
echo
for metric in rps p99 hs h2; do
  g=$(median <<<"${results[gatehouse.$metric]}"); n=$(median <<<"${results[nginx.$metric]}")
  label=$(case $metric in rps) echo "https requests/s";; p99) echo "https p99 (lower is better)";;
          hs) echo "full handshakes/s";; h2) echo "h2 requests/s";; esac)
  awk -v g="$g" -v n="$n" -v l="$label" 'BEGIN { if (n > 0) printf "gatehouse/nginx %-28s %.2fx\n", l, g / n }'
done
