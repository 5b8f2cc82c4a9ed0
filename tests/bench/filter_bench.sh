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
names=(none allowlist cors rate-limit forwarded-headers basic-auth external-auth all)
# Basic auth: a bcrypt user (htpasswd's cost 5); every request sends the same credentials, so
# after the first each is a cache hit, the case the issue's 10% applies to.
command -v htpasswd >/dev/null || { echo "filter_bench.sh: needs htpasswd (apt-get install apache2-utils)" >&2; exit 2; }
secret=$(mktemp)
trap 'rm -f "$secret"' EXIT
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
  esac
  out=$(bash tests/bench/proxy_bench.sh --rounds "$rounds" --duration "$duration" "${extra[@]}")
  echo "$out" >&2
  read -r _ r _ c < <(grep -E '^gatehouse +[0-9]' <<<"$out" | tail -1)
  rps[$name]=$r
  cpu[$name]=$c
  ratio[$name]=$(grep -E '^gatehouse/nginx' <<<"$out" | awk '{print $3}')
done

echo
printf '%-18s %12s %12s %14s %14s\n' filter "requests/s" "CPU us/req" "req/s vs none" "req/s vs nginx"
for name in "${names[@]}"; do
  printf '%-18s %12.0f %12.2f %13.2fx %14s\n' "$name" "${rps[$name]}" "${cpu[$name]}" \
    "$(awk -v a="${rps[$name]}" -v b="${rps[none]}" 'BEGIN {print a / b}')" "${ratio[$name]}"
done
