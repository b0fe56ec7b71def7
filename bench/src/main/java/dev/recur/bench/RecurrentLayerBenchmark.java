package dev.recur.bench;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Reductions;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One recurrent layer (one direction, with biases, zero initial state, every sample full length)
 * through the public API: {@code Recurrent.forward} on an inference graph ({@code pass=forward}),
 * or on a training graph followed by {@code g.backward(Reductions.sum(output))}
 * ({@code pass=forward+backward}; gradients reach every parameter, not the input). Paths:
 * <ul>
 *   <li>{@code fused-vector}: RecurrentExecution.FUSED on the Vector API kernels (the fast path);</li>
 *   <li>{@code fused-naive}: the same algorithm on the scalar reference kernels;</li>
 *   <li>{@code textbook-naive}: RecurrentExecution.TEXTBOOK (per step, per gate, generic graph ops) on the
 *       scalar kernels: the reference. Slow, so only at the {@link Textbook} shapes.</li>
 *   <li>{@code fused-vector-bf16}, {@code fused-naive-bf16}: {@code RecurrentExecution.fused(BF16)},
 *       W_ih and W_hh rounded to bfloat16 (inference only: the {@link Bf16} shapes, with
 *       {@code fused-vector} beside them).</li>
 * </ul>
 * Shapes "BxTxIxH" (batch, steps, input, hidden) follow DeepBench's CPU recurrent problems, plus an awkward one. GFLOP/s:
 * {@link FlopCounts#recurrentLayerForward} (x3 with the backward), computed by {@link JmhSummary}.
 *
 * <p>The two benchmark methods differ only in their shape list and path; {@code -p path=...}
 * applies to both, and a textbook run refuses a path that is not textbook (select with the regex,
 * e.g. {@code RecurrentLayerBenchmark.fused}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RecurrentLayerBenchmark {
    public static final String FORWARD = "forward";
    public static final String FORWARD_BACKWARD = "forward+backward";

    /** One layer, its input and the path that runs it; allocated per trial. */
    abstract static class LayerRun {
        private Recurrent model;
        private TensorArena data;
        private Tensor input;
        private Kernels kernels;
        private RecurrentExecution algorithm;
        private boolean training;

        void open(String mode, String shape, String pass, String path) {
            FlopCounts.LayerShape s = FlopCounts.LayerShape.parse(shape);
            kernels = switch (path) {
                case "fused-vector", "fused-vector-bf16" -> KernelProvider.vector();
                case "fused-naive", "fused-naive-bf16", "textbook-naive" -> KernelProvider.naive();
                default -> throw new IllegalArgumentException("unknown path '" + path + "'");
            };
            algorithm = path.endsWith("-bf16") ? RecurrentExecution.fused(WeightPrecision.BF16)
                    : path.startsWith("fused") ? RecurrentExecution.FUSED : RecurrentExecution.TEXTBOOK;
            training = switch (pass) {
                case FORWARD -> false;
                case FORWARD_BACKWARD -> true;
                default -> throw new IllegalArgumentException("unknown pass '" + pass + "'");
            };
            model = Recurrent.create(RecurrentConfig.of(CellMode.parse(mode), s.input(), s.hidden()), 1);
            data = TensorArena.open("benchmark input");
            input = data.empty(s.steps(), s.batch(), s.input());
            SplittableRandom rng = new SplittableRandom(2);
            for (long i = 0; i < input.size(); i++) input.set(i, (float) rng.nextDouble(-1, 1));
        }

        /** Gradients accumulate over the calls of an iteration; start each iteration from zero. */
        void zeroGrad() {
            model.zeroGrad();
        }

        float run() {
            if (!training) {
                try (Graph g = Graph.inference(kernels)) {
                    return model.forward(g, g.constant(input), null, null, null, algorithm).hN().value().get(0);
                }
            }
            try (Graph g = Graph.training(kernels)) {
                Recurrent.Output out = model.forward(g, g.constant(input), null, null, null, algorithm);
                Var loss = Reductions.sum(out.output());
                g.backward(loss);
                return loss.value().get(0);
            }
        }

        void close() {
            model.close();
            data.close();
        }
    }

    @State(Scope.Benchmark)
    public static class Fused extends LayerRun {
        @Param({"lstm", "gru", "rnn_tanh", "rnn_relu"})
        public String mode;

        @Param({FORWARD, FORWARD_BACKWARD})
        public String pass;

        /** BxTxIxH: batch, steps, input size, hidden size */
        @Param({"1x100x256x512", "4x25x512x512", "16x25x512x512", "64x50x256x512", "17x13x255x513"})
        public String shape;

        @Param({"fused-vector", "fused-naive"})
        public String path;

        @Setup(Level.Trial)
        public void setUp() {
            if (!path.startsWith("fused")) {
                throw new IllegalArgumentException("RecurrentLayerBenchmark.fused runs fused paths, not '" + path + "'");
            }
            open(mode, shape, pass, path);
        }

        @Setup(Level.Iteration)
        public void resetGradients() {
            zeroGrad();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @State(Scope.Benchmark)
    public static class Textbook extends LayerRun {
        @Param({"lstm", "gru", "rnn_tanh", "rnn_relu"})
        public String mode;

        @Param({FORWARD, FORWARD_BACKWARD})
        public String pass;

        /** BxTxIxH: the small problems of {@link Fused}. */
        @Param({"1x100x256x512", "4x25x512x512", "17x13x255x513"})
        public String shape;

        @Param({"textbook-naive"})
        public String path;

        @Setup(Level.Trial)
        public void setUp() {
            if (!path.startsWith("textbook")) {
                throw new IllegalArgumentException("RecurrentLayerBenchmark.textbook runs textbook paths, not '" + path + "'");
            }
            open(mode, shape, pass, path);
        }

        @Setup(Level.Iteration)
        public void resetGradients() {
            zeroGrad();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @State(Scope.Benchmark)
    public static class Bf16 extends LayerRun {
        @Param({"lstm", "gru", "rnn_tanh"})
        public String mode;

        /** Inference only: bf16 weights refuse training. */
        @Param({FORWARD})
        public String pass;

        /** BxTxIxH: small batches, where W_hh's bytes bound a step, and an awkward one. */
        @Param({"1x100x256x512", "1x100x256x1024", "4x25x512x512", "17x13x255x513"})
        public String shape;

        @Param({"fused-vector-bf16", "fused-naive-bf16", "fused-vector"})
        public String path;

        @Setup(Level.Trial)
        public void setUp() {
            open(mode, shape, pass, path);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @Benchmark
    public float bf16(Bf16 layer) {
        return layer.run();
    }

    @Benchmark
    public float fused(Fused layer) {
        return layer.run();
    }

    @Benchmark
    public float textbook(Textbook layer) {
        return layer.run();
    }
}
