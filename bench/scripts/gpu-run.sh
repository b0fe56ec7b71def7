#!/usr/bin/env bash
# Issue 17's first GPU run, as one prepared script for the device tool: on the lent GPU host (no
# Java, no Maven; Python 3 with CUDA PyTorch), from the carried .carry/gpu-run
# (bench/scripts/gpu-run-pack.sh) and this checkout, within a time budget (default 520 s),
# writing everything under $OUT:
#   facts.txt       date, GPU, driver, nvidia-smi, Python and PyTorch
#   info.txt        recur info (the "cuda usable" line: driver, cuBLAS, kernels loaded)
#   gpu-check.txt   recur gpu-check: kernels and cuBLAS, then the whole layer, against the CPU
#   gpu-tests.txt   the gpu-tagged tests (GpuTestRunner), the golden fixtures through
#                   recur infer --device cuda among them
#   ceilings.json   a 1 GiB device copy (GB/s), an 8192^3 SGEMM (fp32, TF32 off) and bf16 GEMM (TFLOP/s)
#   bench/results/gpu-<date>-<gpu>.{txt,json}
#                   recur bench --device cuda --suite gpu-first-run beside PyTorch/cuDNN (fp32 with
#                   its data on the GPU, fp32 with host input and output, and bf16 apart):
#                   inference with CUDA graphs, training, inference with the persistent kernels,
#                   inference with the plain loop, while time is left
#   steps.txt       each step's exit code and seconds
# Every step has its own time limit and the script goes on past a failed step. Usage (device tool):
#   bash bench/scripts/gpu-run.sh            (carry: [".carry/gpu-run"])
# Rehearsal without a GPU: GPU_RUN_REHEARSAL=1 OUT=/tmp/x bash bench/scripts/gpu-run.sh: the
# emulated device (-Drecur.gpu.emulate=true) and the smoke suite stand in for the card.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:?set OUT to the folder for the results}"
BUDGET="${GPU_RUN_BUDGET:-520}"
PACK="${GPU_RUN_PACK:-.carry/gpu-run}"
PYTHON="${PYTHON:-python3}"
REHEARSAL="${GPU_RUN_REHEARSAL:-}"
START=$SECONDS
mkdir -p "$OUT/bench/results"
RECUR="$PACK/dist/bin/recur"
JAVA="$PACK/dist/runtime/bin/java"
if [ -n "$REHEARSAL" ]; then
  export RECUR_JAVA_OPTS="${RECUR_JAVA_OPTS:-} -Drecur.gpu.emulate=true"
  SUITE=smoke
else
  SUITE=gpu-first-run
fi

left() { echo $((BUDGET - (SECONDS - START))); }
# step NAME LIMIT_SECONDS FILE COMMAND...: runs COMMAND with its output in $OUT/FILE, at most
# LIMIT_SECONDS (or what the budget has left, less 5 s), and notes the exit code and time.
step() {
  local name="$1" limit="$2" file="$3" t0=$SECONDS rc
  shift 3
  local room=$(( $(left) - 5 ))
  [ "$room" -lt "$limit" ] && limit=$room
  if [ "$limit" -le 0 ]; then
    echo "$name: not run (budget spent)" | tee -a "$OUT/steps.txt"
    return
  fi
  timeout --kill-after=5 "$limit" "$@" > "$OUT/$file" 2>&1
  rc=$?
  echo "$name: exit $rc in $((SECONDS - t0)) s (limit $limit s)$([ "$rc" = 124 ] && echo ', TIMED OUT')" | tee -a "$OUT/steps.txt"
}

facts() {   # run directly (a shell function), each probe with its own time limit
  echo "date: $(date -u +%FT%TZ)"
  echo "rehearsal: ${REHEARSAL:-no}"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "host: $(uname -srm), $(nproc) CPUs"
  command -v nvidia-smi >/dev/null && timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit \
    --format=csv 2>&1 && timeout 20 nvidia-smi 2>&1 | head -15
  timeout 60 "$PYTHON" -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
"cudnn", torch.backends.cudnn.version() if torch.cuda.is_available() else None,
"gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)' 2>&1
  timeout 20 "$JAVA" -version 2>&1 | head -1
}

: > "$OUT/steps.txt"
facts > "$OUT/facts.txt" 2>&1
echo "facts: $((SECONDS - START)) s" >> "$OUT/steps.txt"
step info 60 info.txt "$RECUR" info
step gpu-check 90 gpu-check.txt "$RECUR" gpu-check --seed 17
step gpu-tests 150 gpu-tests.txt "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Drecur.golden.dir="$PACK/tests/golden" ${RECUR_JAVA_OPTS:-} \
  -cp "$PACK/dist/lib/recur.jar:$PACK/tests/engine-tests.jar:$PACK/tests/cli-tests.jar:$PACK/tests/lib/*" \
  dev.recur.engine.cli.GpuTestRunner $(cat "$PACK/tests/gpu-test-classes.txt")
step ceilings 60 ceilings.log "$PYTHON" bench/scripts/gpu_ceilings.py --json "$OUT/ceilings.json"

gpu=$("$PYTHON" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no-gpu")' 2>/dev/null || echo no-gpu)
name="gpu-$(date -u +%F)-$(echo "$gpu" | tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9-')"
# Inference first (most of the targets: resident weights, each shape's loop as a CUDA graph, the
# persistent kernels off), beside the peers; then training beside them; then inference with the
# persistent kernels where their plan holds the shape (never run on a GPU before: last but one, so
# that a kernel that hangs costs only what follows), then the loop run directly (what graphs save);
# each with a share of what is left.
runs=(inference training inference-persistent inference-plain)
for run in "${runs[@]}"; do
  mode=${run%%-*}
  limit=$(( $(left) - 10 ))
  case "$run" in inference) limit=$(( limit * 7 / 20 ));; training) limit=$(( limit * 9 / 20 ));;
                 inference-persistent) limit=$(( limit / 2 ));; esac
  peers=(--peer torch,torch-bf16,torch-host --python "$PYTHON")
  case "$run" in
    inference|training) opts="";;
    inference-persistent) opts="-Drecur.gpu.persistent=true"; peers=();;
    inference-plain) opts="-Drecur.gpu.graphs=false"; peers=();;
  esac
  RECUR_JAVA_OPTS="${RECUR_JAVA_OPTS:-} $opts" \
    step "bench $run" "$limit" "bench/results/$name-$run.txt" "$RECUR" bench --device cuda --suite "$SUITE" --mode "$mode" \
    "${peers[@]}" --json "$OUT/bench/results/$name-$run.json" ${REHEARSAL:+--quick}
done
{
  echo "# Issue 17's GPU run: bench/scripts/gpu-run.sh (suite $SUITE), $(date -u +%FT%TZ)"
  cat "$OUT/facts.txt"
  echo
  echo "## ceilings (bench/scripts/gpu_ceilings.py)"
  cat "$OUT/ceilings.json" 2>/dev/null || echo "(none)"
  for run in "${runs[@]}"; do
    echo
    case "$run" in
      inference-persistent) how=" (-Drecur.gpu.persistent=true: the persistent kernels where their plan holds the shape, else graphs)";;
      inference-plain) how=" (-Drecur.gpu.graphs=false: the loop run directly)";;
      *) how=" --peer torch,torch-bf16,torch-host (CUDA graphs)";;
    esac
    echo "## recur bench --device cuda --suite $SUITE --mode ${run%%-*}$how"
    cat "$OUT/bench/results/$name-$run.txt" 2>/dev/null || echo "(not run)"
  done
  echo
  echo "## steps"
  cat "$OUT/steps.txt"
} > "$OUT/bench/results/$name.txt"
echo "gpu-run: $((SECONDS - START)) s in all; results in $OUT (summary: bench/results/$name.txt)"
