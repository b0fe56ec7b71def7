package dev.recur.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The practical single-precision FMA peak of this machine through the Vector API: 12 independent
 * accumulator chains per thread (FMA latency 4 x 2 ports needs at least 8), registers only, one
 * thread per core. SGEMM efficiency is quoted against this figure.
 *
 * <p>The "gflop" secondary result is GFLOP/s summed over threads (the primary score counts calls).
 */
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Threads(Threads.MAX)
@State(Scope.Thread)
public class FmaPeakBenchmark {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    /** FMAs per chain per call: ~1 ms per call, so call overhead is noise. */
    private static final int STEPS = 100_000;

    private float seed;

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

    @Setup
    public void setup() {
        seed = 1e-3f;
    }

    @Benchmark
    public float fmaChains(Flops flops) {
        FloatVector x = FloatVector.broadcast(F, 0.999f), y = FloatVector.broadcast(F, seed);
        FloatVector c0 = y, c1 = y.add(1), c2 = y.add(2), c3 = y.add(3), c4 = y.add(4), c5 = y.add(5);
        FloatVector c6 = y.add(6), c7 = y.add(7), c8 = y.add(8), c9 = y.add(9), c10 = y.add(10), c11 = y.add(11);
        for (int i = 0; i < STEPS; i++) {
            c0 = c0.fma(x, y); c1 = c1.fma(x, y); c2 = c2.fma(x, y); c3 = c3.fma(x, y);
            c4 = c4.fma(x, y); c5 = c5.fma(x, y); c6 = c6.fma(x, y); c7 = c7.fma(x, y);
            c8 = c8.fma(x, y); c9 = c9.fma(x, y); c10 = c10.fma(x, y); c11 = c11.fma(x, y);
        }
        flops.gflop += 2.0 * CHAINS * F.length() * STEPS * 1e-9;
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
