#!/usr/bin/env bash
# Packs what bench/scripts/gpu-run.sh needs on a GPU host that has no Java and no Maven, into
# .carry/gpu-run (git-ignored; name it in the device tool's carry, 64 MiB at most):
#   dist/          ./recur dist: the jlink runtime and lib/recur.jar (engine, CLI, CUDA kernels)
#   tests/         the engine's and the CLI's test classes as jars, the test-only libraries
#                  (JUnit, AssertJ) that GpuTestRunner needs, and gpu-test-classes.txt (the
#                  classes with gpu-tagged tests)
# Usage (from the repository root): bench/scripts/gpu-run-pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=.carry/gpu-run
JDK="$(./recur jdk)"
tmp="$OUT.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/tests/lib"
./recur mvn -q -DskipTests install >&2
./recur dist "$tmp/dist" >&2
# The runtime's shared libraries without their local symbol tables (libjvm.so: ~30 -> ~25 MB) so that
# the folder fits the carry; a JVM crash log then names fewer native frames.
if command -v strip >/dev/null 2>&1; then
  find "$tmp/dist/runtime/lib" -name '*.so' -exec strip --strip-unneeded {} +
fi
cp engine/target/recur-engine-*-tests.jar "$tmp/tests/engine-tests.jar"
cp -r engine/src/test/resources/golden "$tmp/tests/golden"   # read as files (-Drecur.golden.dir): no jar file system there
"$JDK/bin/jar" --create --file "$tmp/tests/cli-tests.jar" -C cli/target/test-classes .
classpath="$tmp/classpath.txt"
./recur mvn -q -pl cli dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$classpath" >&2
# Only what the shaded recur.jar lacks: the test frameworks.
tr ':' '\n' < "$classpath" | grep -E '/(org/junit|org/opentest4j|org/apiguardian|org/assertj|net/bytebuddy)/' |
  while read -r jar; do cp "$jar" "$tmp/tests/lib/"; done
rm "$classpath"
# The gpu-tagged test classes, by name (GpuTestRunner runs them; it cannot scan jars there), the one
# that runs the persistent kernels (never run on a GPU before) last: a hang there loses nothing else.
grep -rl --include='*.java' '@Tag("gpu")' engine/src/test/java cli/src/test/java |
  sed -E 's#^(engine|cli)/src/test/java/##; s#\.java$##; s#/#.#g' | sort |
  awk '/GpuInferencePathsCudaTest/ { last = $0; next } { print } END { if (last) print last }' > "$tmp/tests/gpu-test-classes.txt"
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$tmp" "$OUT"
size=$(du -sm "$OUT" | cut -f1)
echo "gpu-run-pack: $OUT is $size MiB (the device tool carries at most 64)" >&2
[ "$size" -lt 64 ] || { echo "gpu-run-pack: too large to carry" >&2; exit 1; }
