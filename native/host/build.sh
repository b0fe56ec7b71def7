#!/usr/bin/env bash
# Builds native/host/recur_kernels_host.cpp (Recur's CUDA kernels compiled for the host, one
# thread per grid: see that file) into <out dir>/librecur_kernels_host.so, for the engine's
# emulated-GPU tests. Not packed into any jar. Without a C++ compiler (${CXX:-g++}) it says so
# and succeeds: those tests then report skipped.
#
#   native/host/build.sh <out dir>
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?out dir}"
CXX="${CXX:-g++}"
LIB="$OUT/librecur_kernels_host.so"
if ! command -v "$CXX" >/dev/null 2>&1; then
  mkdir -p "$OUT"
  echo "no C++ compiler ($CXX) found: host-compiled kernels not built" > "$OUT/not-built.txt"
  echo "recur-native: host-compiled kernels skipped: $CXX not found"
  exit 0
fi
mkdir -p "$OUT"
rm -f "$OUT/not-built.txt"
if [ ! -f "$LIB" ] || [ -n "$(find "$HERE" "$HERE/../src" -newer "$LIB" -print -quit)" ]; then
  # As the host math test compiles the kernels' arithmetic: no contraction into FMAs.
  "$CXX" -std=c++17 -O2 -ffp-contract=off -fPIC -shared -I "$HERE/../src" -o "$LIB" "$HERE/recur_kernels_host.cpp"
fi
echo "recur-native: host-compiled kernels in $LIB"
