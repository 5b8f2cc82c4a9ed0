# What the benchmarks that compare proxies share, sourced by proxy_bench.sh and tls_bench.sh:
# the build, a work folder cleaned up on exit, free ports, the nginx upstream every proxy fronts,
# nginx as a proxy, that upstream as a Service for Gatehouse, waiting until all answer, wrk's
# figures, and the median of a round's figures.
#
# After sourcing: $bin holds the programs (GATEHOUSE_BIN, else build/release/bin, brought up to
# date with the source: a stale build would measure old code), $work a fresh folder (kept when KEEP_LOGS is set), and `pids+=($!)` registers a
# process to stop on exit.

bash tools/install-deps.sh --test >/dev/null
bin=${GATEHOUSE_BIN:-build/release/bin}  # another build's programs, e.g. build/dev/bin
if [[ $bin == build/release/bin ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)" --target gatehouse-dataplane gatehouse-controlplane \
    >/dev/null
fi

work=$(mktemp -d /tmp/gatehouse-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${KEEP_LOGS:-} ]]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_upstream PORT: nginx serving a 128-byte body on PORT, with two workers so that it is
# never the bottleneck.
start_upstream() {
  local body
  body=$(head -c 128 /dev/zero | tr '\0' 'x')
  mkdir -p "$work/nginx-up"
  cat > "$work/nginx-up/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx-up/pid;
error_log $work/nginx-up/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$1 reuseport;
    location / { default_type text/plain; return 200 "$body"; }
  }
}
CONF
  nginx -c "$work/nginx-up/nginx.conf" -g 'daemon off;' 2>"$work/nginx-up.log" & pids+=($!)
}

# The median of the numbers on stdin (spaces or lines apart).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# cpu_ticks PID: the CPU time (user + system, in clock ticks) used so far by PID and its children,
# e.g. nginx's master and workers.
cpu_ticks() {
  local total=0 p f
  for p in "$1" $(ps -o pid= --ppid "$1"); do
    read -r -a f < "/proc/$p/stat" 2>/dev/null || continue
    # Fields 14 and 15 (utime, stime); the command name in field 2 has no spaces here.
    total=$((total + f[13] + f[14]))
  done
  echo "$total"
}

# start_nginx_proxy PORT KEEPALIVE [LISTEN_OPTIONS [SERVER_DIRECTIVES]]: nginx as the proxy in
# front of the upstream on $upstream, one worker, up to KEEPALIVE idle upstream connections,
# listening on 127.0.0.1:PORT with LISTEN_OPTIONS (e.g. "ssl http2"); SERVER_DIRECTIVES go into
# its server block. Sets nginx_pid.
start_nginx_proxy() {
  mkdir -p "$work/nginx-proxy"
  cat > "$work/nginx-proxy/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx-proxy/pid;
error_log $work/nginx-proxy/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;  # HTTP/2 requests per connection too
  upstream backend { server 127.0.0.1:$upstream; keepalive $2; }
  server {
    listen 127.0.0.1:$1 ${3:-};
    ${4:-}
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
  nginx -c "$work/nginx-proxy/nginx.conf" -g 'daemon off;' 2>"$work/nginx-proxy.log" & pids+=($!)
  nginx_pid=$!
}

# write_upstream_service FILE: the default IngressClass and the upstream on $upstream as Service
# default/up (port 80) with one endpoint, as manifests in FILE; the caller appends its Ingress.
write_upstream_service() {
  cat > "$1" <<CONF
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
CONF
}

# wait_until WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds; after 10 s, stops
# everything, keeps the logs and exits saying that WHAT did not happen.
wait_until() {
  local what=$1 i
  shift
  for i in $(seq 1 100); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  echo "$(basename "$0"): $what; logs kept in $work" >&2
  trap - EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  exit 1
}

# wrk_figures: reads wrk --latency output on stdin, prints "requests/s p99_ms requests".
wrk_figures() {
  awk '/^Requests\/sec:/ {r = $2}
       /requests in/ {n = $1}
       $1 == "99%" {v = $2
                    if (v ~ /us$/) {sub(/us$/, "", v); v = v / 1000}
                    else if (v ~ /ms$/) {sub(/ms$/, "", v)}
                    else if (v ~ /s$/) {sub(/s$/, "", v); v = v * 1000}
                    p = v}
       END {print r, p, n}'
}
