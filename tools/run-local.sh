#!/usr/bin/env bash
# Runs Gatehouse on its embedded default, all on 127.0.0.1: the example upstream servers, the
# control plane reading deploy/examples, and two data-plane replicas. Ctrl-C stops everything.
#
#   bash tools/run-local.sh
#
# Installs the build dependencies (Debian 12, as root) and builds the release preset first.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN="$REPO/build/release/bin"
EXAMPLES="$REPO/deploy/examples"
LOGS="$REPO/build/run-local"

bash tools/install-deps.sh
cmake --preset release
cmake --build --preset release -j"$(nproc)"

rm -rf "$LOGS"
mkdir -p "$LOGS"

names=()  # what each started process is, parallel to pids
pids=()

# start NAME COMMAND...: runs COMMAND in the background with its output in $LOGS/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  names+=("$name")
  pids+=("$!")
}

stop_all() {
  trap - EXIT INT TERM
  local i pid deadline
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + 10))
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run-local.sh: ${names[$i]} did not stop within 10s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}

# Fails with the log of the first started process that is no longer running.
check_alive() {
  local i
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run-local.sh: ${names[$i]} exited; its log ($LOGS/${names[$i]}.log):" >&2
      cat "$LOGS/${names[$i]}.log" >&2
      exit 1
    fi
  done
}

trap stop_all EXIT
trap 'echo; echo "run-local.sh: stopping"; exit 0' INT TERM

# The upstream servers the Services in deploy/examples point at (their EndpointSlices).
start echo-app python3 "$EXAMPLES/echo_server.py" --listen 127.0.0.1:9101 --name app
start echo-api python3 "$EXAMPLES/echo_server.py" --listen 127.0.0.1:9102 --name api
start echo-fallback python3 "$EXAMPLES/echo_server.py" --listen 127.0.0.1:9103 --name fallback

start controlplane "$BIN/gatehouse-controlplane" \
  --source="file:$EXAMPLES" \
  --xds-listen=127.0.0.1:18000 \
  --admin-listen=127.0.0.1:19000 \
  --health-listen=127.0.0.1:19100

for replica in 1 2; do
  start "dataplane-$replica" "$BIN/gatehouse-dataplane" \
    --xds-server=127.0.0.1:18000 \
    --node-id="dataplane-$replica" \
    --workers=2 \
    --http-listen="127.0.0.1:$((8079 + replica))" \
    --admin-listen="127.0.0.1:$((19000 + replica))" \
    --health-listen="127.0.0.1:$((19100 + replica))"
done

echo "run-local.sh: waiting for both data planes to be ready (logs in $LOGS)"
deadline=$((SECONDS + 60))
for health in 127.0.0.1:19101 127.0.0.1:19102; do
  until curl -fsS --noproxy '*' --max-time 1 -o /dev/null "http://$health/readyz" 2>/dev/null; do
    check_alive
    if ((SECONDS >= deadline)); then
      echo "run-local.sh: the data plane with health port $health is not ready after 60s" >&2
      exit 1
    fi
    sleep 0.2
  done
done
check_alive

cat <<MESSAGE

Gatehouse is running: control plane on deploy/examples, data planes on 127.0.0.1:8080 and :8081.
Each answer is JSON from the example upstream ("server") the request was routed to.

  curl -H 'Host: app.example.test' http://127.0.0.1:8080/                # app   (Prefix /)
  curl -H 'Host: app.example.test' http://127.0.0.1:8081/status          # api   (Exact /status)
  curl -H 'Host: api.example.test' http://127.0.0.1:8080/v1/users        # api   (Prefix /v1)
  curl -H 'Host: anything.test' http://127.0.0.1:8080/shared/page        # app   (rule without host)
  curl -H 'Host: anything.test' http://127.0.0.1:8081/elsewhere          # fallback (defaultBackend)

Inspect either process:

  $BIN/gatehousectl status                                  # control plane (127.0.0.1:19000)
  $BIN/gatehousectl --server=127.0.0.1:19001 status         # data plane 1 (:19002 for 2)
  $BIN/gatehousectl config-dump
  curl http://127.0.0.1:19101/metrics

Edit deploy/examples/*.yaml and the data planes follow within a second. Logs: $LOGS
Press Ctrl-C to stop.
MESSAGE

# Runs until Ctrl-C; a process that dies meanwhile ends the demo with its log.
while true; do
  wait -n "${pids[@]}" || true
  check_alive
done
