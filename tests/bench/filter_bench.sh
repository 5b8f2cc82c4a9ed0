#!/usr/bin/env bash
# What each access-control filter costs: tests/bench/proxy_bench.sh once per filter (its route
# carrying only that filter, every request passing it), with nginx and HAProxy measured in the
# same runs, then a table of Gatehouse's requests/s and CPU per request for each, as ratios to
# the run without filters and to nginx.
#
#   bash tests/bench/filter_bench.sh [--rounds N] [--duration SECONDS]
#
# Nothing here is a pass/fail check: it measures.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=1
duration=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "filter_bench.sh: unknown argument \"$1\"" >&2; exit 2 ;;
  esac
done

N=nginx.ingress.kubernetes.io
names=(none allowlist cors rate-limit forwarded-headers basic-auth external-auth
       external-auth-cached client-certificate all)
# Basic auth: a bcrypt user (htpasswd's cost 5); every request sends the same credentials, so
# after the first each is a cache hit, the case the issue's 10% applies to.
command -v htpasswd >/dev/null || { echo "filter_bench.sh: needs htpasswd (apt-get install apache2-utils)" >&2; exit 2; }
secret=$(mktemp)
ca_secret=$(mktemp)
trap 'rm -f "$secret" "$ca_secret"' EXIT
# Client certificates: a CA bundle. The benchmark speaks plain HTTP with keep-alive, so the
# filter runs under "optional" on requests without a certificate: its per-request work (the
# client's ssl-client-* headers dropped, the mode applied, ssl-client-verify set). The
# handshake's cost is tls_bench.sh's.
{
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: client-ca, namespace: default}\n'
  printf 'stringData:\n  ca.crt: |\n'
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=bench-client-ca -keyout /dev/null 2>/dev/null | sed 's/^/    /'
} > "$ca_secret"
cat > "$secret" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: staff, namespace: default}
stringData:
  auth: '$(htpasswd -nbB bench "bench pass")'
YAML
credentials="Authorization: Basic $(printf '%s' 'bench:bench pass' | base64)"
declare -A rps cpu ratio
for name in "${names[@]}"; do
  echo "== $name" >&2
  extra=()
  case $name in
    none) ;;
    forwarded-headers) extra=(--dataplane-args --use-forwarded-headers --header "X-Forwarded-For: 203.0.113.9") ;;
    cors) extra=(--annotations "$N/enable-cors: \"true\", $N/cors-allow-origin: \"https://app.test\"" --header "Origin: https://app.test") ;;
    all) extra=(--annotations "$N/allowlist-source-range: \"127.0.0.0/8\", $N/enable-cors: \"true\", $N/cors-allow-origin: \"https://app.test\", $N/limit-rps: \"1000000\", $N/limit-connections: \"100000\"" --header "Origin: https://app.test") ;;
    allowlist) extra=(--annotations "$N/allowlist-source-range: \"10.0.0.0/8, 127.0.0.0/8\"") ;;
    rate-limit) extra=(--annotations "$N/limit-rps: \"1000000\", $N/limit-connections: \"100000\"") ;;
    basic-auth) extra=(--annotations "$N/auth-type: basic, $N/auth-secret: staff" --manifest "$secret" --header "$credentials") ;;
    # The auth service is the benchmark's upstream itself (it answers 200): each request costs
    # a side request as well.
    external-auth) extra=(--annotations "$N/auth-url: \"http://up.default.svc.cluster.local/auth\"") ;;
    # The same, with auth-cache-key: after each worker's first request, every one is decided by
    # the kept answer.
    external-auth-cached) extra=(--annotations "$N/auth-url: \"http://up.default.svc.cluster.local/auth\", $N/auth-cache-key: \"\$http_authorization\"" --header "Authorization: Bearer bench") ;;
    client-certificate) extra=(--annotations "$N/auth-tls-secret: client-ca, $N/auth-tls-verify-client: optional" --manifest "$ca_secret" --host bench.test) ;;
  esac
  out=$(bash tests/bench/proxy_bench.sh --rounds "$rounds" --duration "$duration" "${extra[@]}")
  echo "$out" >&2
  read -r _ r _ c < <(grep -E '^gatehouse +[0-9]' <<<"$out" | tail -1)
  rps[$name]=$r
  cpu[$name]=$c
  ratio[$name]=$(grep -E '^gatehouse/nginx' <<<"$out" | awk '{print $3}')
done

echo
printf '%-22s %12s %12s %14s %14s\n' filter "requests/s" "CPU us/req" "req/s vs none" "req/s vs nginx"
for name in "${names[@]}"; do
  printf '%-22s %12.0f %12.2f %13.2fx %14s\n' "$name" "${rps[$name]}" "${cpu[$name]}" \
    "$(awk -v a="${rps[$name]}" -v b="${rps[none]}" 'BEGIN {print a / b}')" "${ratio[$name]}"
done
