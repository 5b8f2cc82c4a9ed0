#!/usr/bin/env bash
# Installs the Debian 12 packages Gatehouse needs to build (and, with --test, to run its tests).
# Idempotent: packages already installed are left alone, and apt runs only when one is missing.
#
#   bash tools/install-deps.sh          # build dependencies
#   bash tools/install-deps.sh --test   # plus the clients and peers the tests drive, and clang
#   bash tools/install-deps.sh --fuzz   # build dependencies and clang with libFuzzer
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libuv1-dev node-llhttp libnghttp2-dev libssl-dev libcurl4-openssl-dev libyaml-cpp-dev libre2-dev libcrypt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 curl ca-certificates
)
# curl and python3 drive the integration tests; the tests and benchmarks also need nghttp and
# h2load, HTTP/2 frames and gRPC for Python, BoringSSL (the TLS layer's tests), wrk, the nginx and
# HAProxy peers of the benchmarks, openssl s_client, kubectl, ss (the soak test), and htpasswd
# (apache2-utils: the basic-auth tests check files it makes).
TEST_PACKAGES=(nghttp2-client python3-h2 python3-grpcio python3-prometheus-client android-libboringssl-dev wrk nginx-light haproxy openssl kubernetes-client iproute2 apache2-utils)
# The fuzz targets (tools/fuzz.sh, also run by the tests): clang with libFuzzer.
FUZZ_PACKAGES=(clang-14 libfuzzer-14-dev)

with_test=0
with_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1; with_fuzz=1 ;;
    --fuzz) with_fuzz=1 ;;
    -h|--help)
      echo "usage: $0 [--test|--fuzz]"
      exit 0
      ;;
    *)
      echo "install-deps.sh: unknown argument \"$arg\" (usage: $0 [--test|--fuzz])" >&2
      exit 2
      ;;
  esac
done

packages=("${BUILD_PACKAGES[@]}")
if [[ $with_test -eq 1 ]]; then
  packages+=("${TEST_PACKAGES[@]}")
fi
if [[ $with_fuzz -eq 1 ]]; then
  packages+=("${FUZZ_PACKAGES[@]}")
fi

missing=()
for package in "${packages[@]}"; do
  # A kubectl already installed serves as well; Debian's would conflict with it over
  # /usr/bin/kubectl (the Cloud SDK's "kubectl" package owns that path on some machines).
  if [[ $package == kubernetes-client ]] && command -v kubectl >/dev/null; then
    continue
  fi
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
