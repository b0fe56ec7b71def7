package dev.recur.bench;

import dev.recur.engine.backend.CellMode;
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

import java.util.concurrent.TimeUnit;

/**
 * One recurrent cell step (the pointwise part of a time step: gates, state update, output; no
 * GEMM), forward or backward, every row active. Paths:
 * <ul>
 *   <li>{@code fused-vector}: the fused kernel of {@code VectorKernels} (one pass per row);</li>
 *   <li>{@code fused-naive}: the same fused kernel in {@code NaiveKernels} (scalar loops);</li>
 *   <li>{@code unfused-naive}: {@link UnfusedCellStep} on {@code NaiveKernels}: the step as a
 *       textbook runs it, one elementwise call per operation and gate slice.</li>
 * </ul>
 * All three write the same outputs ({@code UnfusedCellStepTest}). Single-threaded, as the cell
 * kernels are. Inputs: {@link CellStepOperands}; the backward reads a forward's results, made once
 * in setup (LSTM's dc is rewritten by every call and settles at a fixed point).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class CellStepBenchmark {
    @Param({"lstm", "gru", "rnn_tanh", "rnn_relu"})
    public String mode;

    @Param({"forward", "backward"})
    public String pass;

    @Param({"1", "17", "64"})
    public int batch;

    @Param({"255", "512", "1024"})
    public int hidden;

    @Param({"fused-vector", "fused-naive", "unfused-naive"})
    public String path;

    private CellStepOperands operands;
    private Kernels kernels;
    private boolean fused;
    private boolean backward;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = switch (path) {
            case "fused-vector" -> KernelProvider.vector();
            case "fused-naive", "unfused-naive" -> KernelProvider.naive();
            default -> throw new IllegalArgumentException("unknown path '" + path + "'");
        };
        fused = path.startsWith("fused");
        backward = switch (pass) {
            case "forward" -> false;
            case "backward" -> true;
            default -> throw new IllegalArgumentException("unknown pass '" + pass + "'");
        };
        operands = new CellStepOperands(CellMode.parse(mode), batch, hidden, 7);
        operands.fusedForward(KernelProvider.naive()); // the backward's inputs
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        operands.close();
    }

    @Benchmark
    public void step() {
        if (backward) {
            if (fused) operands.fusedBackward(kernels);
            else UnfusedCellStep.backward(kernels, operands);
        } else {
            if (fused) operands.fusedForward(kernels);
            else UnfusedCellStep.forward(kernels, operands);
        }
    }
}
