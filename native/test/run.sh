#!/usr/bin/env bash
# Compiles the host-side kernel math test with nvcc (host code only: no GPU, no driver needed)
# and runs it against the engine's golden fixtures. Maven runs it in the test phase
# (native/pom.xml); without nvcc it says so and succeeds, as the kernel build does.
#
#   native/test/run.sh <nvcc|auto> <engine golden dir> <work dir> [seed]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NATIVE="$(dirname "$HERE")"
GOLDEN="${2:?golden dir}"
WORK="${3:?work dir}"
SEED="${4:-}"
source "$NATIVE/find_nvcc.sh"
if ! find_nvcc "${1:?nvcc path or auto}"; then
  echo "recur-native: host kernel math test skipped: nvcc not found ($NVCC_SEARCHED)"
  exit 0
fi
mkdir -p "$WORK"
binary="$WORK/kernel_math_test"
# Host code compiled as the kernels' math is compiled for the device: no contraction into FMAs.
if [ ! -x "$binary" ] || [ -n "$(find "$NATIVE/src" "$HERE" -newer "$binary" -print -quit)" ]; then
  "$NVCC" -std=c++17 -O2 -fmad=false -Xcompiler -ffp-contract=off -I "$NATIVE/src" -o "$binary" "$HERE/kernel_math_test.cu"
fi
log="$WORK/kernel_math_test.log"
status=0
"$binary" "$GOLDEN" ${SEED:+"$SEED"} > "$log" || status=$?
grep -v '^ok ' "$log" || true  # failures and the summary; the full table stays in the log
echo "recur-native: full results in $log"
exit "$status"
