#!/usr/bin/env bash
# FMA peak, VectorSgemm and NaiveSgemm (JMH) and PyTorch's CPU matmul at 1024^3 fp32 on this machine.
# Usage (from the repository root): bench/scripts/sgemm-vs-torch.sh [output file]
# Writes the machine, JDK, commands and results to the output file (default
# bench/results/sgemm-cpu-<date>.txt). Takes about 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
PYTHON="${PYTHON:-/work/main/.venv-peer/bin/python}"
OUT="${1:-bench/results/sgemm-cpu-$(date +%F).txt}"
JAVA="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
JAR=bench/target/recur-benchmarks.jar

mvn -q -B package -DskipTests >/dev/null 2>&1 || { echo "build failed"; exit 1; }
mkdir -p "$(dirname "$OUT")"
run() { echo; echo "\$ $*"; "$@" 2>&1 | grep -v '^WARNING'; }
{
  echo "# SGEMM on the CPU: Recur (Vector API) vs PyTorch (MKL), $(date -u +%FT%TZ)"
  echo "script: bench/scripts/sgemm-vs-torch.sh   commit: $(git rev-parse --short HEAD)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|L1d|L2|L3|Flags)' | sed 's/^Flags:.*avx512f.*/Flags: (avx512f present)/'
  "$JAVA_HOME/bin/java" -version 2>&1
  echo "uptime: $(uptime)"
  echo
  echo "## FMA peak (12 FMA chains per thread, one thread per core); gflop = GFLOP/s"
  run $JAVA -jar $JAR FmaPeakBenchmark -f 2 -wi 3 -i 5
  echo
  echo "## VectorSgemm 1024^3, every transpose; gflop = GFLOP/s"
  run $JAVA -jar $JAR 'SgemmBenchmark.gemm' -p impl=vector -p shape=1024x1024x1024 -f 2 -wi 5 -i 5
  echo
  echo "## NaiveSgemm 1024^3 NN (seconds per call: one fork, short)"
  run $JAVA -jar $JAR 'SgemmBenchmark.gemm' -p impl=naive -p shape=1024x1024x1024 -p trans=NN -f 1 -wi 1 -i 3
  echo
  echo "## Recurrent step h[B,512] x W^T, W [2048,512], VectorSgemm"
  run $JAVA -jar $JAR 'SgemmBenchmark.recurrentStep' -p impl=vector -f 2 -wi 3 -i 5
  echo
  echo "## PyTorch matmul 1024^3 fp32, 2 threads"
  run "$PYTHON" bench/scripts/torch_sgemm.py --threads 2 --size 1024 --repeats 7
} | tee "$OUT"
