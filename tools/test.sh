#!/usr/bin/env bash
# Builds the dev preset (debug, AddressSanitizer + UndefinedBehaviorSanitizer) and runs every
# test: unit tests and the integration tests that drive the real processes with curl; then each
# fuzz target for 20 s (GATEHOUSE_FUZZ_SECONDS) under the fuzz preset (tools/fuzz.sh).
# Exits non-zero on any failure. Installs its Debian 12 packages first (as root).
#
#   bash tools/test.sh          # everything
#   bash tools/test.sh --unit   # the unit tests only: the quick loop
set -euo pipefail

labels=()
case "${1:-}" in
  "") ;;
  --unit) labels=(-L unit) ;;
  *) echo "test.sh: unknown argument \"$1\" (want nothing, or --unit)" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."

bash tools/install-deps.sh --test
cmake --preset dev
cmake --build --preset dev -j"$(nproc)"

# A sanitizer report fails the test that triggered it, with a stack trace in its output.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Colour codes and progress bars would clutter CI logs.
export GTEST_COLOR=no
export CLICOLOR=0

ctest --preset dev --output-on-failure --no-tests=error "${labels[@]}"

# Every fuzz target for a while under ASan and UBSan (clang-14): its seed corpus, which keeps
# the crash inputs found before, then new inputs.
if [[ ${#labels[@]} -eq 0 ]]; then
  bash tools/fuzz.sh all "${GATEHOUSE_FUZZ_SECONDS:-20}"
fi
