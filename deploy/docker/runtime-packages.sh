#!/usr/bin/env bash
# Prints, one per line, the Debian packages that provide the shared libraries BINARY... load.
# The Dockerfiles' build stage runs it so the runtime stage installs exactly those packages.
#
#   deploy/docker/runtime-packages.sh build/release/bin/gatehouse-dataplane
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 BINARY..." >&2
  exit 2
fi

# Debian 12 merged /lib into /usr/lib, but dpkg records each file under the path its package
# ships, so try the path as ldd prints it, its /usr twin, and its resolved form.
owner() {
  local path=$1 candidate found
  for candidate in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")"; do
    if found=$(dpkg-query -S "$candidate" 2>/dev/null); then
      # "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3" -> "libssl3"
      echo "${found%%:*}"
      return 0
    fi
  done
  echo "runtime-packages.sh: no package owns $path" >&2
  return 1
}

for binary in "$@"; do
  if ! libs=$(ldd "$binary"); then
    echo "runtime-packages.sh: ldd failed on $binary" >&2
    exit 1
  fi
  awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$libs" | while read -r lib; do
    owner "$lib"
  done
done | sort -u
