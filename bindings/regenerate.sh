#!/usr/bin/env bash
# Regenerates the committed bindings (CudaDriver.java, Cublas.java) from bindings/functions/*.txt
# and the real headers: cuda.h, library_types.h, driver_types.h from the CUDA toolkit
# (CUDA_HOME, default /usr/local/cuda), cublas_api.h and cublas_v2.h from the nvidia-cublas wheel
# that .ci/fetch-cublas unpacks into .whl/cublas. Run from anywhere; review the diff, then commit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CUDA_INCLUDE="${CUDA_HOME:-/usr/local/cuda}/include"
"$ROOT/.ci/fetch-cublas"
[ -f "$CUDA_INCLUDE/cuda.h" ] || { echo "regenerate: $CUDA_INCLUDE/cuda.h not found; set CUDA_HOME to a CUDA toolkit" >&2; exit 1; }
[ -f "$ROOT/.whl/cublas/include/cublas_api.h" ] || { echo "regenerate: the cuBLAS headers are missing (.ci/fetch-cublas failed)" >&2; exit 1; }
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
# The generator alone, so that it runs even when the committed bindings would not compile.
CLASSES="$(mktemp -d)"
trap 'rm -rf "$CLASSES"' EXIT
"$JAVAC" -d "$CLASSES" "$ROOT"/bindings/src/main/java/dev/recur/bindings/generator/*.java
cd "$ROOT"
"$JAVA" -cp "$CLASSES" dev.recur.bindings.generator.BindingGenerator \
  --include "$CUDA_INCLUDE" --include .whl/cublas/include --out bindings/src/main/java \
  bindings/functions/cuda.txt bindings/functions/cublas.txt
