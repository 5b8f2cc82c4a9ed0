#!/usr/bin/env bash
# The control plane's initial sync from the Kubernetes API (issue 4): time and peak memory.
#
#   bash tests/bench/kube_sync_bench.sh [--objects 10000] [--endpoints 1]
#
# Builds the release control plane; the measuring is tests/bench/kube_sync_bench.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/install-deps.sh --test >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target gatehouse-controlplane >/dev/null
exec python3 tests/bench/kube_sync_bench.py "$@"
