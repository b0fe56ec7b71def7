# Sourced by native/build.sh, native/test/run.sh and native/report.sh.
# find_nvcc <path|auto>: sets NVCC to the nvcc to use and returns 0, or returns 1 with
# NVCC_SEARCHED saying where it looked. An explicit path is used as given (a nonexistent one
# simulates a machine without CUDA); "auto" tries $CUDA_HOME/bin/nvcc, /usr/local/cuda/bin/nvcc,
# then nvcc on PATH.
find_nvcc() {
  local requested="$1" candidate
  NVCC=""
  if [ "$requested" != "auto" ]; then
    NVCC_SEARCHED="$requested"
    [ -x "$requested" ] || return 1
    NVCC="$requested"
    return 0
  fi
  NVCC_SEARCHED="\$CUDA_HOME/bin/nvcc, /usr/local/cuda/bin/nvcc, PATH"
  for candidate in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      NVCC="$candidate"
      return 0
    fi
  done
  return 1
}
