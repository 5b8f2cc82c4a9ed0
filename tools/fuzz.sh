#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang-14 with ASan and UBSan) and runs one, or
# all of them in turn, for a bounded time each. Each run starts by replaying its seed corpus,
# tests/fuzz/corpus/TARGET/ (crash inputs found before are kept there as regression cases);
# what the run discovers goes to build/fuzz/corpus/TARGET/, a crash to build/fuzz/crashes/.
# Exits non-zero when a target crashes, leaks, hangs or trips a sanitizer.
#
#   bash tools/fuzz.sh TARGET [SECONDS]   # one target (default 60 s)
#   bash tools/fuzz.sh all [SECONDS]      # every target, SECONDS each
#   bash tools/fuzz.sh list               # the targets
set -euo pipefail

cd "$(dirname "$0")/.."
targets=(http1_server http1_client http2_server http2_client manifest annotations route_table
         translate_validate client_hello proxy_protocol htpasswd)

usage() { echo "usage: $0 TARGET|all|list [SECONDS]; targets: ${targets[*]}" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
which="$1"
seconds="${2:-60}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a positive number, not \"$seconds\"" >&2; exit 2; }
if [[ "$which" == list ]]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
if [[ "$which" == all ]]; then
  run=("${targets[@]}")
else
  run=()
  for target in "${targets[@]}"; do
    [[ "$target" == "$which" ]] && run=("$target")
  done
  [[ ${#run[@]} -eq 1 ]] || { echo "fuzz.sh: no target \"$which\"" >&2; usage; }
fi

bash tools/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for target in "${run[@]}"; do
  work="build/fuzz/corpus/$target"
  mkdir -p "$work" build/fuzz/crashes
  echo "fuzz.sh: $target for ${seconds} s"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB is a memory blow-up.
  "build/fuzz/bin/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$target-" \
    "$work" "tests/fuzz/corpus/$target" 2>&1 | grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' || {
      echo "fuzz.sh: $target failed; the input is in build/fuzz/crashes/" >&2
      exit 1
    }
done
