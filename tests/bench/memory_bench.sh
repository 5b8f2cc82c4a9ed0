#!/usr/bin/env bash
# Memory of the Gatehouse data plane against nginx (issue 5): resident memory per idle
# keep-alive connection, and peak resident memory while a 1 GiB upload and a 1 GiB download
# stream through. One worker each, the same upstream, all on 127.0.0.1.
#
#   bash tests/bench/memory_bench.sh [--connections 10000]
#
# Builds the release preset; the measuring is tests/bench/memory_bench.py (see its docstring).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/install-deps.sh --test >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target gatehouse-controlplane gatehouse-dataplane \
  >/dev/null
exec python3 tests/bench/memory_bench.py "$@"
