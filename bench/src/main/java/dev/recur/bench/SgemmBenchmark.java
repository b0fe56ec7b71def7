package dev.recur.bench;

import dev.recur.engine.backend.Sgemm;
import dev.recur.engine.backend.cpu.NaiveSgemm;
import dev.recur.engine.backend.cpu.VectorSgemm;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * VectorSgemm and NaiveSgemm side by side ({@code impl}). Primary score: calls per second; the
 * "gflop" secondary result is GFLOP/s ({@link FlopCounts#sgemm}: 2 m n k per call). The machine's
 * peak to quote them against: {@link FmaPeakBenchmark}.
 *
 * <p>{@code gemm}: C [m,n] = op(A) op(B), square and awkward shapes "m x n x k", every transpose
 * (NN, NT, TN, TT: op(A), op(B)). {@code recurrentStep}: the LSTM step h[B, 512] x W^T with W
 * stored [2048, 512] (4 gates of H = 512), B = 1 .. 64.
 *
 * <p>Naive at 1024^3 takes about 6 s per call (NN), so the whole suite spends 7 minutes or more on it;
 * to leave it out, list the shapes (e.g. {@code -p shape=513x513x513,17x17x17}), or run it alone with
 * short settings:
 * {@code -p impl=naive -p shape=1024x1024x1024 -p trans=NN -f 1 -wi 1 -i 3}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SgemmBenchmark {

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        /** GFLOP done; JMH reports it per second. */
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    /** Operands for one product, allocated off-heap once per trial. */
    abstract static class Operands {
        Arena arena;
        Sgemm sgemm;
        boolean transA, transB;
        int m, n, k;
        MemorySegment a, b, c;

        void allocate(String impl, String trans, int m, int n, int k) {
            this.sgemm = switch (impl) {
                case "vector" -> new VectorSgemm();
                case "naive" -> new NaiveSgemm();
                default -> throw new IllegalArgumentException("impl " + impl);
            };
            this.transA = trans.charAt(0) == 'T';
            this.transB = trans.charAt(1) == 'T';
            this.m = m;
            this.n = n;
            this.k = k;
            arena = Arena.ofShared();
            SplittableRandom random = new SplittableRandom(42);
            a = randomFloats((long) m * k, random);
            b = randomFloats((long) k * n, random);
            c = randomFloats((long) m * n, random);
        }

        private MemorySegment randomFloats(long count, SplittableRandom random) {
            MemorySegment s = arena.allocate(count * Float.BYTES, 64);
            for (long i = 0; i < count; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 2 - 1));
            }
            return s;
        }

        void run(Flops flops) {
            // Leading dimensions of the stored (possibly transposed) operands; C = op(A) op(B).
            sgemm.sgemm(transA, transB, m, n, k, 1f, a, 0, transA ? m : k, b, 0, transB ? k : n, 0f, c, 0, n);
            flops.gflop += FlopCounts.sgemm(m, n, k) * 1e-9;
        }

        @TearDown
        public void close() {
            arena.close();
        }
    }

    @State(Scope.Benchmark)
    public static class Gemm extends Operands {
        /** m x n x k */
        @Param({"1024x1024x1024", "513x513x513", "255x255x255", "17x17x17", "3x3x3", "1x1x1",
                "255x17x513", "17x513x255", "1x513x255"})
        public String shape;
        @Param({"NN", "NT", "TN", "TT"})
        public String trans;
        @Param({"vector", "naive"})
        public String impl;

        @Setup
        public void setup() {
            String[] mnk = shape.split("x");
            if (mnk.length != 3) {
                throw new IllegalArgumentException("SgemmBenchmark shape '" + shape + "': expected m x n x k, e.g. 255x17x513");
            }
            allocate(impl, trans, Integer.parseInt(mnk[0]), Integer.parseInt(mnk[1]), Integer.parseInt(mnk[2]));
        }
    }

    @State(Scope.Benchmark)
    public static class RecurrentStep extends Operands {
        @Param({"1", "4", "16", "64"})
        public int batch;
        @Param({"vector", "naive"})
        public String impl;

        @Setup
        public void setup() {
            allocate(impl, "NT", batch, 2048, 512);
        }
    }

    @Benchmark
    public MemorySegment gemm(Gemm gemm, Flops flops) {
        gemm.run(flops);
        return gemm.c;
    }

    @Benchmark
    public MemorySegment recurrentStep(RecurrentStep step, Flops flops) {
        step.run(flops);
        return step.c;
    }
}
