#!/usr/bin/env bash
# What a client-certificate check costs in the handshake: full TLS 1.3 handshakes per second
# (each with one request, tests/bench/handshakes.py, four clients at once) against the Gatehouse
# data plane (one worker) for a host without the check and for a host with
# auth-tls-verify-client "on", and against nginx (one worker) with ssl_verify_client on, all
# with the same ECDSA P-256 server certificate and a client certificate from a P-256 CA.
#
#   bash tests/bench/mtls_bench.sh [--rounds N] [--duration SECONDS]
#
# GATEHOUSE_BIN=build/dev/bin runs another build's programs; KEEP_LOGS=1 keeps the logs.
# Prints each round, the medians and the ratios. It measures; nothing passes or fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
duration=8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "mtls_bench.sh: unknown argument \"$1\"" >&2; exit 2 ;;
  esac
done

source tests/bench/peers.sh
upstream=$(free_port); nginx_port=$(free_port); gatehouse_http=$(free_port)
gatehouse_port=$(free_port); xds=$(free_port); cp_admin=$(free_port); cp_health=$(free_port)
dp_admin=$(free_port); dp_health=$(free_port)

mkdir -p "$work/manifests" "$work/pki"
python3 - "$work/pki" <<'PY'
import sys
sys.path.insert(0, "tests/integration")
from pki import Pki
pki = Pki(sys.argv[1])
server = pki.leaf("server", pki.ca("server-ca"), server_names=["plain.test", "mtls.test"])
pki.leaf("client", pki.ca("client-ca"))
PY
p=$work/pki
indent() { sed 's/^/    /' "$1"; }
write_upstream_service "$work/manifests/world.yaml"
cat >> "$work/manifests/world.yaml" <<CONF
---
apiVersion: v1
kind: Secret
metadata: {name: server, namespace: default}
type: kubernetes.io/tls
stringData:
  tls.crt: |
$(indent "$p/server.crt")
  tls.key: |
$(indent "$p/server.key")
---
apiVersion: v1
kind: Secret
metadata: {name: client-ca, namespace: default}
stringData:
  ca.crt: |
$(indent "$p/client-ca.crt")
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain, namespace: default}
spec:
  tls: [{hosts: [plain.test], secretName: server}]
  rules: [{host: plain.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: up, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: mtls
  namespace: default
  annotations: {nginx.ingress.kubernetes.io/auth-tls-secret: default/client-ca, nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"}
spec:
  tls: [{hosts: [mtls.test], secretName: server}]
  rules: [{host: mtls.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: up, port: {number: 80}}}}]}}]
CONF

start_upstream "$upstream"
start_nginx_proxy "$nginx_port" 64 "ssl" "server_name mtls.test;
    ssl_certificate $p/server.crt;
    ssl_certificate_key $p/server.key;
    ssl_client_certificate $p/client-ca.crt;
    ssl_verify_client on;
    ssl_protocols TLSv1.3;"
"$bin/gatehouse-controlplane" --source="file:$work/manifests" \
  --xds-listen=127.0.0.1:$xds --admin-listen=127.0.0.1:$cp_admin --health-listen=127.0.0.1:$cp_health \
  --log-level=warning 2>"$work/controlplane.log" & pids+=($!)
"$bin/gatehouse-dataplane" --xds-server=127.0.0.1:$xds --workers=1 \
  --http-listen=127.0.0.1:$gatehouse_http --https-listen=127.0.0.1:$gatehouse_port \
  --admin-listen=127.0.0.1:$dp_admin --health-listen=127.0.0.1:$dp_health \
  --log-level=warning 2>"$work/dataplane.log" & pids+=($!)

ok() {  # port name [cert]: a 200 over HTTPS
  local cert=()
  [[ -n ${3:-} ]] && cert=(--cert "$p/client.crt" --key "$p/client.key")
  curl -sfk -m 1 "${cert[@]}" --resolve "$2:$1:127.0.0.1" "https://$2:$1/" >/dev/null
}
ready() {
  curl -sf -m 1 "http://127.0.0.1:$dp_health/readyz" >/dev/null && ok "$gatehouse_port" plain.test &&
    ok "$gatehouse_port" mtls.test cert && ! ok "$gatehouse_port" mtls.test &&
    ok "$nginx_port" mtls.test cert
}
wait_until "the proxies did not answer as configured" ready

handshakes() {  # port name [cert] -> "handshakes/s failed"
  local cert=()
  [[ -n ${3:-} ]] && cert=(--cert "$p/client.crt" --key "$p/client.key")
  python3 tests/bench/handshakes.py --connect "127.0.0.1:$1" --servername "$2" "${cert[@]}" \
    --clients 4 --seconds "$duration"
}

declare -A results
printf '%-6s %-28s %14s %8s\n' round target "handshakes/s" failed
for round in $(seq 1 "$rounds"); do
  for target in gatehouse-plain gatehouse-mtls nginx-mtls; do
    case $target in
      gatehouse-plain) read -r h f < <(handshakes "$gatehouse_port" plain.test) ;;
      gatehouse-mtls) read -r h f < <(handshakes "$gatehouse_port" mtls.test cert) ;;
      nginx-mtls) read -r h f < <(handshakes "$nginx_port" mtls.test cert) ;;
    esac
    results[$target]+="$h "
    printf '%-6s %-28s %14.0f %8d\n' "$round" "$target" "$h" "$f"
  done
done

echo
for target in gatehouse-plain gatehouse-mtls nginx-mtls; do
  printf 'median %-21s %14.0f\n' "$target" "$(median <<<"${results[$target]}")"
done
g=$(median <<<"${results[gatehouse-mtls]}"); n=$(median <<<"${results[nginx-mtls]}")
plain=$(median <<<"${results[gatehouse-plain]}")
awk -v g="$g" -v p="$plain" 'BEGIN { printf "gatehouse mtls/plain handshakes/s %.2fx\n", g / p }'
awk -v g="$g" -v n="$n" 'BEGIN { printf "gatehouse/nginx mtls handshakes/s %.2fx\n", g / n }'
