package dev.recur.bench;

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
 * The kernels of {@link Kernels} that work on a [rows, cols] block, {@code VectorKernels} beside
 * {@code NaiveKernels} ({@code impl}), one kernel per parameter set ({@code kernel}, named as the
 * method):
 * <ul>
 *   <li>{@code addRowVector} (x[r, :] += bias, the input projection's bias add), {@code sumRows}
 *       (sum += the column sums of x, bias gradients), {@code copyBlock} (x into y) and
 *       {@code addTransposed} (y [cols, rows] += x^T, weight gradients);</li>
 *   <li>the masked-step kernels with rows = batch and cols = width, at step 0 with every row
 *       active: {@code maskedStep} (hCand into hNext and y), {@code maskedStepBackward} (dh into
 *       dCand, zeros into dhPrev) and {@code addActiveRows} (dh += dy).</li>
 * </ul>
 * Every block is dense (leading dimension = cols). The vector addRowVector, sumRows and copyBlock
 * split blocks of 65 536 floats or more over the CPU threads ({@code recur.threads}); the naive
 * kernels and the others run on the calling thread. No FLOP count ({@link FlopCounts} counts
 * matrix products only): the score, time per call, is the comparison.
 *
 * <p>Operands: {@link KernelOperands}, uniform in ±2. addRowVector, sumRows, addTransposed and
 * addActiveRows add into their output on every call, which grows linearly and so never reaches a
 * subnormal or an infinity. Shapes "rows x cols": the awkward sizes, 17x513 (a batch of 17 rows of
 * a 513-wide gate block), and 3200x2048, the gate pre-activations [T·B, 4H] of DeepBench's LSTM
 * 64x50x256x512.
 *
 * <p>Warm-up 5 x 1 s, as in {@link ElementwiseKernelBenchmark}: the vector sumRows, in particular,
 * takes a second or more per call on a mid-size block until C2 has compiled it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RowKernelBenchmark {
    @Param({"addRowVector", "sumRows", "copyBlock", "addTransposed", "maskedStep", "maskedStepBackward", "addActiveRows"})
    public String kernel;

    /** rows x cols */
    @Param({"1x1", "3x3", "17x17", "255x255", "513x513", "17x513", "3200x2048"})
    public String shape;

    @Param({"vector", "naive"})
    public String impl;

    private KernelOperands operands;
    private Runnable op;

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        if (rc.length != 2) {
            throw new IllegalArgumentException("RowKernelBenchmark shape '" + shape + "': expected rows x cols, e.g. 3200x2048");
        }
        int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
        long block = (long) rows * cols;
        Kernels k = KernelProvider.byName(impl);
        operands = new KernelOperands(7);
        MemorySegment x = operands.uniform(block);
        op = switch (kernel) {
            case "addRowVector" -> {
                MemorySegment bias = operands.uniform(cols);
                yield () -> k.addRowVector(rows, cols, x, 0, cols, bias, 0);
            }
            case "sumRows" -> {
                MemorySegment sum = operands.uniform(cols);
                yield () -> k.sumRows(rows, cols, x, 0, cols, sum, 0);
            }
            case "copyBlock" -> {
                MemorySegment y = operands.uniform(block);
                yield () -> k.copyBlock(rows, cols, x, 0, cols, y, 0, cols);
            }
            case "addTransposed" -> {
                MemorySegment y = operands.uniform(block);
                yield () -> k.addTransposed(rows, cols, x, 0, y, 0);
            }
            case "maskedStep" -> {
                MemorySegment hPrev = operands.uniform(block), hNext = operands.uniform(block), y = operands.uniform(block);
                yield () -> k.maskedStep(rows, cols, 0, null, x, 0, hPrev, 0, hNext, 0, y, 0, cols);
            }
            case "maskedStepBackward" -> {
                MemorySegment dCand = operands.uniform(block), dhPrev = operands.uniform(block);
                yield () -> k.maskedStepBackward(rows, cols, 0, null, x, 0, dCand, 0, dhPrev, 0);
            }
            case "addActiveRows" -> {
                MemorySegment dh = operands.uniform(block);
                yield () -> k.addActiveRows(rows, cols, 0, null, x, 0, cols, dh, 0);
            }
            default -> throw new IllegalArgumentException("unknown kernel '" + kernel + "'");
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        operands.close();
    }

    @Benchmark
    public void call() {
        op.run();
    }
}
