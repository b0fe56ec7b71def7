#!/usr/bin/env bash
# One LSTM layer forward: the fused Vector API path against its naive twins, with JMH.
# Writes bench/results/recurrent-layer-cpu-<date>.{json,txt}. Usage: bench/scripts/recurrent-layer-jmh.sh [extra JMH args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow" mvn -q -B -Dstyle.color=never -DskipTests package >&2
DATE=$(date -u +%F)
OUT="bench/results/recurrent-layer-cpu-$DATE"
{
  echo "# command: bench/scripts/recurrent-layer-jmh.sh $*"
  echo "# date: $DATE   commit: $(git rev-parse --short HEAD)"
  echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "# jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n1)"
} > "$OUT.txt"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -jar bench/target/recur-benchmarks.jar RecurrentLayerBenchmark -rf json -rff "$OUT.json" "$@" 2>&1 \
  | grep -v '^WARNING: Using incubator' | tee -a "$OUT.txt"
