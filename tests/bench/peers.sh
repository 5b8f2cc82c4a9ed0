# What the benchmarks that compare proxies share, sourced by proxy_bench.sh and tls_bench.sh:
# the build, a work folder cleaned up on exit, free ports, the nginx upstream every proxy fronts,
# and the median of a round's figures.
#
# After sourcing: $bin holds the programs (GATEHOUSE_BIN, else build/release/bin, built if
# missing), $work a fresh folder (kept when KEEP_LOGS is set), and `pids+=($!)` registers a
# process to stop on exit.

bash tools/install-deps.sh --test >/dev/null
bin=${GATEHOUSE_BIN:-build/release/bin}  # another build's programs, e.g. build/dev/bin
if [[ $bin == build/release/bin && ( ! -x $bin/gatehouse-dataplane || ! -x $bin/gatehouse-controlplane ) ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)" --target gatehouse-dataplane gatehouse-controlplane
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
