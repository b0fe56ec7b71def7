package dev.recur.bench;

import dev.recur.engine.backend.GateFunction;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
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

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The elementwise kernels of {@link Kernels} over {@code n} contiguous floats, {@code VectorKernels}
 * beside {@code NaiveKernels} ({@code impl}), one kernel per parameter set ({@code kernel}, named as
 * the method). Single-threaded, as these kernels are. No FLOP count ({@link FlopCounts} counts
 * matrix products only): the score, time per call, is the comparison.
 *
 * <p>Operands: {@link KernelOperands}, three buffers of n floats uniform in ±2 (a, b, out; for the
 * backwards dy, y, dx). reluBackward's naive kernel branches on y &gt; 0, which uniform y meets
 * half of the time, as relu outputs do. The accumulating kernels (axpy, mulAccumulate, the
 * backwards) add into their output on every call, which grows linearly and so never reaches a
 * subnormal or an infinity; scale multiplies by -1, which keeps magnitudes. roundToBf16 rounds a
 * into out (W_ih of a bf16 inference call, once per call); its vector kernel alone splits arrays
 * of 64K floats and more over the CPU threads ({@code recur.threads}).
 *
 * <p>n: the awkward sizes 1, 3, 17, 255, 513 (vector bodies and scalar tails) and 6 553 600 =
 * 3200 x 2048, the gate pre-activations [T·B, 4H] of DeepBench's LSTM 64x50x256x512.
 *
 * <p>Warm-up 5 x 1 s: Vector API code runs orders of magnitude slower until C2 has compiled it,
 * and a kernel whose call then takes milliseconds reaches the compile thresholds only after
 * seconds of calls.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ElementwiseKernelBenchmark {
    @Param({"add", "sub", "mul", "axpy", "mulAccumulate", "scale", "sigmoid", "tanh", "relu", "clamp", "softplus",
            "sigmoidBackward", "tanhBackward", "reluBackward", "sumOfSquares", "roundToBf16"})
    public String kernel;

    @Param({"1", "3", "17", "255", "513", "6553600"})
    public int n;

    @Param({"vector", "naive"})
    public String impl;

    /** One kernel call; returns sumOfSquares' result, 0 for the others. */
    private interface Call {
        double run();
    }

    private KernelOperands operands;
    private Call op;

    @Setup(Level.Trial)
    public void setUp() {
        Kernels k = KernelProvider.byName(impl);
        int size = n;
        operands = new KernelOperands(7);
        MemorySegment a = operands.uniform(size), b = operands.uniform(size), out = operands.uniform(size);
        op = switch (kernel) {
            case "add" -> () -> { k.add(size, a, 0, b, 0, out, 0); return 0; };
            case "sub" -> () -> { k.sub(size, a, 0, b, 0, out, 0); return 0; };
            case "mul" -> () -> { k.mul(size, a, 0, b, 0, out, 0); return 0; };
            case "axpy" -> () -> { k.axpy(size, 0.5f, a, 0, out, 0); return 0; };
            case "mulAccumulate" -> () -> { k.mulAccumulate(size, a, 0, b, 0, out, 0); return 0; };
            case "scale" -> () -> { k.scale(size, -1f, out, 0); return 0; };
            case "sigmoid" -> () -> { k.sigmoid(size, a, 0, out, 0); return 0; };
            case "tanh" -> () -> { k.tanh(size, a, 0, out, 0); return 0; };
            case "relu" -> () -> { k.relu(size, a, 0, out, 0); return 0; };
            case "clamp" -> () -> { k.clamp(size, 0.5f, a, 0, out, 0); return 0; };
            case "softplus" -> () -> { k.gateFunction(GateFunction.SOFTPLUS, 0f, 0f, size, a, 0, out, 0); return 0; };
            case "sigmoidBackward" -> () -> { k.sigmoidBackward(size, a, 0, b, 0, out, 0); return 0; };
            case "tanhBackward" -> () -> { k.tanhBackward(size, a, 0, b, 0, out, 0); return 0; };
            case "reluBackward" -> () -> { k.reluBackward(size, a, 0, b, 0, out, 0); return 0; };
            case "sumOfSquares" -> () -> k.sumOfSquares(size, a, 0);
            case "roundToBf16" -> () -> { k.roundToBf16(size, a, 0, out, 0); return 0; };
            default -> throw new IllegalArgumentException("unknown kernel '" + kernel + "'");
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        operands.close();
    }

    @Benchmark
    public double call() {
        return op.run();
    }
}
