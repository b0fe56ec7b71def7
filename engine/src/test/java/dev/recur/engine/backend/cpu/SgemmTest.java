package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.Sgemm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Both SGEMMs against a float64 reference computed here, by relative L2 error over C.
 *
 * <p>Bounds: the naive SGEMM accumulates in double and rounds once, so it must be within float
 * rounding (2^-24 ~ 6e-8) of the reference; a float accumulator would exceed 1e-7 at k = 513.
 * The vector SGEMM accumulates in float: 1e-5 at these sizes (about 1e-7 is typical).
 */
class SgemmTest {
    private static final double NAIVE_BOUND = 1e-7;
    private static final double VECTOR_BOUND = 1e-5;
    private static final int[] SIZES = {1, 3, 17, 255, 513};

    private static final Arena ARENA = Arena.ofShared();
    private static final Sgemm NAIVE = new NaiveSgemm();
    private static final Sgemm VECTOR = new VectorSgemm();
    private static final Sgemm VECTOR_ONE_THREAD = VectorSgemm.singleThreaded();

    @AfterAll
    static void closeArena() {
        ARENA.close();
    }

    /** One product: op(A)[m, k] x op(B)[k, n] with its storage layout, and C [m, n]. */
    private record Problem(boolean transA, boolean transB, int m, int n, int k,
                           long aOffset, int lda, long bOffset, int ldb, long cOffset, int ldc,
                           MemorySegment a, MemorySegment b, MemorySegment c) {

        static Problem random(boolean transA, boolean transB, int m, int n, int k, int pad, long seed) {
            Random random = new Random(seed);
            int aRows = transA ? k : m, aCols = transA ? m : k;
            int bRows = transB ? n : k, bCols = transB ? k : n;
            int lda = Math.max(1, aCols + (pad == 0 ? 0 : random.nextInt(pad)));
            int ldb = Math.max(1, bCols + (pad == 0 ? 0 : random.nextInt(pad)));
            int ldc = Math.max(1, n + (pad == 0 ? 0 : random.nextInt(pad)));
            long aOffset = pad == 0 ? 0 : random.nextInt(pad), bOffset = pad == 0 ? 0 : random.nextInt(pad),
                    cOffset = pad == 0 ? 0 : random.nextInt(pad);
            MemorySegment a = randomFloats(aOffset + (long) aRows * lda, random);
            MemorySegment b = randomFloats(bOffset + (long) bRows * ldb, random);
            MemorySegment c = randomFloats(cOffset + (long) m * ldc, random);
            return new Problem(transA, transB, m, n, k, aOffset, lda, bOffset, ldb, cOffset, ldc, a, b, c);
        }

        double opA(int i, int p) {
            return a.getAtIndex(ValueLayout.JAVA_FLOAT, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
        }

        double opB(int p, int j) {
            return b.getAtIndex(ValueLayout.JAVA_FLOAT, bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
        }

        long cIndex(int i, int j) {
            return cOffset + (long) i * ldc + j;
        }

        /** alpha * op(A) op(B) + beta * C in float64, as [m * n]. */
        double[] reference(float alpha, float beta) {
            double[] opA = new double[m * k];
            double[] opBT = new double[n * k];
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    opA[i * k + p] = opA(i, p);
                }
            }
            for (int j = 0; j < n; j++) {
                for (int p = 0; p < k; p++) {
                    opBT[j * k + p] = opB(p, j);
                }
            }
            double[] result = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        sum += opA[i * k + p] * opBT[j * k + p];
                    }
                    double old = beta == 0 ? 0 : beta * (double) c.getAtIndex(ValueLayout.JAVA_FLOAT, cIndex(i, j));
                    result[i * n + j] = alpha * sum + old;
                }
            }
            return result;
        }

        /** Runs {@code sgemm} on a copy of C and returns the copy. */
        MemorySegment run(Sgemm sgemm, float alpha, float beta, MemorySegment cStart) {
            MemorySegment out = ARENA.allocate(cStart.byteSize(), 64);
            out.copyFrom(cStart);
            sgemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, out, cOffset, ldc);
            return out;
        }

        double relativeError(MemorySegment out, double[] expected) {
            double diff = 0, norm = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double e = expected[i * n + j];
                    double d = out.getAtIndex(ValueLayout.JAVA_FLOAT, cIndex(i, j)) - e;
                    diff += d * d;
                    norm += e * e;
                }
            }
            return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
        }

        /** Every float of {@code out} outside the [m, n] window of C equals the one in {@code before}. */
        void assertOutsideUntouched(MemorySegment out, MemorySegment before) {
            for (long index = 0; index < before.byteSize() / Float.BYTES; index++) {
                long rel = index - cOffset;
                boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
                if (!inside) {
                    assertThat(out.getAtIndex(ValueLayout.JAVA_INT, index)).as("C outside the window at %d", index)
                            .isEqualTo(before.getAtIndex(ValueLayout.JAVA_INT, index));
                }
            }
        }

        MemorySegment nanFilledC() {
            MemorySegment nan = ARENA.allocate(c.byteSize(), 64);
            for (long i = 0; i < nan.byteSize() / Float.BYTES; i++) {
                nan.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
            }
            return nan;
        }

        @Override
        public String toString() {
            return (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k;
        }
    }

    private static MemorySegment randomFloats(long count, Random random) {
        MemorySegment s = ARENA.allocate(Math.max(1, count) * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, random.nextFloat() * 2 - 1);
        }
        return s;
    }

    private static long seed(Object... parts) {
        return List.of(parts).hashCode() * 0x9E3779B97F4A7C15L;
    }

    private static void checkBoth(Problem problem, float alpha, float beta, MemorySegment cStart) {
        double[] expected = problem.reference(alpha, beta);
        MemorySegment naive = problem.run(NAIVE, alpha, beta, cStart);
        MemorySegment vector = problem.run(VECTOR, alpha, beta, cStart);
        assertThat(problem.relativeError(naive, expected)).as("naive %s alpha=%s beta=%s", problem, alpha, beta)
                .isLessThanOrEqualTo(NAIVE_BOUND);
        assertThat(problem.relativeError(vector, expected)).as("vector %s alpha=%s beta=%s", problem, alpha, beta)
                .isLessThanOrEqualTo(VECTOR_BOUND);
        problem.assertOutsideUntouched(naive, cStart);
        problem.assertOutsideUntouched(vector, cStart);
    }

    static Stream<Arguments> everySizeCombination() {
        List<Arguments> cases = new ArrayList<>();
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int m : SIZES) {
                    for (int n : SIZES) {
                        for (int k : SIZES) {
                            cases.add(Arguments.of(transA, transB, m, n, k));
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    /** Every size in {1, 3, 17, 255, 513}^3 and transpose; beta = 0 over a NaN-filled C. */
    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
    @MethodSource("everySizeCombination")
    void matchesFloat64Reference(boolean transA, boolean transB, int m, int n, int k) {
        Problem problem = Problem.random(transA, transB, m, n, k, 0, seed(transA, transB, m, n, k));
        checkBoth(problem, 1f, 0f, problem.nanFilledC());
    }

    static Stream<Arguments> alphaBeta() {
        return Stream.of(Arguments.of(1f, 1f), Arguments.of(-0.5f, 2f), Arguments.of(3f, 0f), Arguments.of(0.25f, -1f));
    }

    /** alpha and beta variants (beta = 1 accumulates) with offsets and leading dims past the rows. */
    @ParameterizedTest(name = "alpha={0} beta={1}")
    @MethodSource("alphaBeta")
    void alphaBetaOffsetsAndLeadingDimensions(float alpha, float beta) {
        int[][] shapes = {{1, 300, 77}, {4, 129, 513}, {5, 33, 17}, {17, 255, 3}, {130, 97, 300}, {255, 40, 513}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] s : shapes) {
                    Problem problem = Problem.random(transA, transB, s[0], s[1], s[2], 37,
                            seed(alpha, beta, transA, transB, s[0], s[1], s[2]));
                    checkBoth(problem, alpha, beta, problem.c());
                }
            }
        }
    }

    /**
     * The vectorized packs (8 x 16 transposes of A for NN/NT and of B for NT/TT, 8-float copies of
     * A for TN/TT): k a multiple of 16 or 16 plus a scalar tail, full and partial 8-row and 32-column
     * tiles, with and without padding (pad 0: operands end exactly where the last tile reads).
     */
    @Test
    void vectorizedPackEdges() {
        int[][] shapes = {{72, 96, 16}, {72, 64, 48}, {80, 96, 31}, {67, 70, 33}, {72, 32, 400}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] s : shapes) {
                    for (int pad : new int[] {0, 21}) {
                        Problem problem = Problem.random(transA, transB, s[0], s[1], s[2], pad,
                                seed("pack", transA, transB, s[0], s[1], s[2], pad));
                        checkBoth(problem, -0.75f, 0f, problem.nanFilledC());
                        checkBoth(problem, 1f, 0.5f, problem.c());
                    }
                }
            }
        }
    }

    /**
     * k above the packed path's k block (1024): C accumulated over several k blocks (edge tiles
     * too); m large enough for the larger row blocks (m >= 2 x threads x 256) on 1 or 2 threads.
     */
    @Test
    void severalKBlocksAndLargeRowBlocks() {
        int[][] shapes = {{1030, 70, 1100}, {600, 45, 2100}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] s : shapes) {
                    Problem problem = Problem.random(transA, transB, s[0], s[1], s[2], 9, seed("kblocks", transA, transB, s[0]));
                    checkBoth(problem, 1f, 0f, problem.nanFilledC());
                    checkBoth(problem, 0.5f, -1f, problem.c());
                    MemorySegment single = problem.run(VECTOR_ONE_THREAD, 0.5f, 1f, problem.c());
                    MemorySegment multi = problem.run(VECTOR, 0.5f, 1f, problem.c());
                    assertThat(multi.mismatch(single)).as("%s", problem).isEqualTo(-1);
                }
            }
        }
    }

    /**
     * op(A) packed once and shared by every task: a weight gradient's shape ([x | h_prev]^T · dG,
     * 156 x 512 over 3584 rows: several panel chunks per row block, several k blocks) and several
     * column blocks of B (n above B_PACK_FLOATS / k).
     */
    @Test
    void sharedPackOfA() {
        int[][] shapes = {{156, 512, 3584}, {40, 1300, 3584}};
        for (boolean transA : new boolean[] {false, true}) {
            for (int[] s : shapes) {
                Problem problem = Problem.random(transA, false, s[0], s[1], s[2], 11, seed("sharedA", transA, false, s[1]));
                checkBoth(problem, 1f, 0f, problem.nanFilledC());
                checkBoth(problem, -0.5f, 1f, problem.c());
                MemorySegment single = problem.run(VECTOR_ONE_THREAD, 0.5f, 1f, problem.c());
                MemorySegment multi = problem.run(VECTOR, 0.5f, 1f, problem.c());
                assertThat(multi.mismatch(single)).as("%s", problem).isEqualTo(-1);
            }
        }
    }

    /**
     * Which path a thin product takes: with transB the small-m path (a dot product per element of
     * C) only while k is long enough to amortise its reductions; each shape against float64.
     */
    @Test
    void thinProductsPickTheirPath() {
        assertThat(VectorSgemm.usesSmallM(true, 4, 64)).isTrue();
        assertThat(VectorSgemm.usesSmallM(true, 16, 512)).isTrue();
        assertThat(VectorSgemm.usesSmallM(true, 16, 128)).isFalse();
        assertThat(VectorSgemm.usesSmallM(true, 64, 64)).isFalse();
        assertThat(VectorSgemm.usesSmallM(true, 65, 100_000)).isFalse();
        assertThat(VectorSgemm.usesSmallM(false, 16, 8)).isTrue();
        assertThat(VectorSgemm.usesSmallM(false, 17, 8)).isFalse();
        for (int[] s : new int[][]{{64, 384, 64}, {16, 300, 512}, {9, 50, 288}, {5, 40, 100}}) {
            Problem problem = Problem.random(false, true, s[0], s[1], s[2], 0, seed("thin", s[0], s[2]));
            checkBoth(problem, 1f, 0f, problem.nanFilledC());
        }
    }

    /** The recurrent step: h[B, H] x W^T with W stored [4H, H]. */
    @Test
    void recurrentStepShapes() {
        for (int batch : new int[] {1, 2, 4, 16, 64}) {
            Problem problem = Problem.random(false, true, batch, 2048, 512, 0, seed("step", batch));
            checkBoth(problem, 1f, 1f, problem.c());
        }
    }

    @Test
    void kZeroScalesC() {
        for (float beta : new float[] {0f, 1f, -2f}) {
            Problem problem = Problem.random(false, true, 7, 45, 0, 5, seed("k0", beta));
            MemorySegment start = beta == 0 ? problem.nanFilledC() : problem.c();
            checkBoth(problem, 1.5f, beta, start);
            MemorySegment out = problem.run(VECTOR, 1.5f, beta, start);
            for (int i = 0; i < problem.m(); i++) {
                for (int j = 0; j < problem.n(); j++) {
                    float old = start.getAtIndex(ValueLayout.JAVA_FLOAT, problem.cIndex(i, j));
                    assertThat(out.getAtIndex(ValueLayout.JAVA_FLOAT, problem.cIndex(i, j))).isEqualTo(beta == 0 ? 0f : beta * old);
                }
            }
        }
    }

    @Test
    void emptyOutputIsANoOp() {
        for (int[] s : new int[][] {{0, 5, 3}, {5, 0, 3}, {0, 0, 0}}) {
            Problem problem = Problem.random(false, false, s[0], s[1], s[2], 3, seed("empty", s[0], s[1]));
            MemorySegment before = problem.nanFilledC();
            for (Sgemm sgemm : new Sgemm[] {NAIVE, VECTOR}) {
                MemorySegment out = problem.run(sgemm, 1f, 0f, before);
                assertThat(out.mismatch(before)).isEqualTo(-1);
            }
        }
    }

    /** The summation order does not depend on the thread count: results are bitwise equal. */
    @Test
    void multiThreadedEqualsSingleThreaded() {
        int[][] shapes = {{300, 700, 513}, {1024, 96, 257}, {9, 1030, 600}, {3, 2048, 512}, {4, 3000, 70}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] s : shapes) {
                    Problem problem = Problem.random(transA, transB, s[0], s[1], s[2], 19, seed("mt", transA, transB, s[0]));
                    MemorySegment single = problem.run(VECTOR_ONE_THREAD, 0.5f, 1f, problem.c());
                    MemorySegment multi = problem.run(VECTOR, 0.5f, 1f, problem.c());
                    assertThat(multi.mismatch(single)).as("%s", problem).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void operandTooSmallForItsShapeIsRejected() {
        MemorySegment small = ARENA.allocate(10 * Float.BYTES, 64);
        MemorySegment big = ARENA.allocate(100 * Float.BYTES, 64);
        for (Sgemm sgemm : new Sgemm[] {NAIVE, VECTOR}) {
            assertThatThrownBy(() -> sgemm.sgemm(false, false, 3, 3, 4, 1f, small, 0, 4, big, 0, 3, 0f, big, 0, 3))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> sgemm.sgemm(false, false, 3, 3, 4, 1f, big, 0, 2, big, 0, 3, 0f, big, 0, 3))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void parallelForRunsEveryTaskOnceAndRethrows() {
        int tasks = 1000;
        java.util.concurrent.atomic.AtomicIntegerArray hits = new java.util.concurrent.atomic.AtomicIntegerArray(tasks);
        CpuParallel.parallelFor(tasks, hits::incrementAndGet);
        for (int t = 0; t < tasks; t++) {
            assertThat(hits.get(t)).isEqualTo(1);
        }
        assertThatThrownBy(() -> CpuParallel.parallelFor(8, t -> {
            if (t == 5) {
                throw new IllegalStateException("task 5");
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("task 5");
        // Nested calls run inline rather than deadlock.
        java.util.concurrent.atomic.AtomicInteger nested = new java.util.concurrent.atomic.AtomicInteger();
        CpuParallel.parallelFor(4, t -> CpuParallel.parallelFor(4, u -> nested.incrementAndGet()));
        assertThat(nested.get()).isEqualTo(16);
    }
}
