package dev.recur.bench;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One recurrent layer's inference forward, the fast path against its naive twins:
 * {@code fused-vector} (fused layer node, Vector API kernels), {@code fused-naive} (same
 * algorithm, scalar kernels) and {@code textbook-naive} (per-step, per-gate generic ops on scalar
 * kernels: the reference). GFLOP/s = 2·G·H·(I+H)·B·T / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RecurrentLayerBenchmark {
    @Param({"lstm"})
    public String mode;

    /** "B,T,I,H" */
    @Param({"1,50,128,256", "16,25,256,512", "17,13,255,513"})
    public String shape;

    @Param({"fused-vector", "fused-naive", "textbook-naive"})
    public String path;

    private Recurrent model;
    private TensorArena data;
    private Tensor input;
    private Kernels kernels;
    private Recurrent.Algorithm algorithm;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split(",");
        int batch = Integer.parseInt(p[0]), steps = Integer.parseInt(p[1]);
        int in = Integer.parseInt(p[2]), hidden = Integer.parseInt(p[3]);
        model = Recurrent.create(RecurrentConfig.of(CellMode.parse(mode), in, hidden), 1);
        data = TensorArena.open("benchmark input");
        input = data.empty(steps, batch, in);
        SplittableRandom rng = new SplittableRandom(2);
        for (long i = 0; i < input.size(); i++) input.set(i, (float) rng.nextDouble(-1, 1));
        kernels = path.endsWith("vector") ? KernelProvider.vector() : KernelProvider.naive();
        algorithm = path.startsWith("fused") ? Recurrent.Algorithm.FUSED : Recurrent.Algorithm.TEXTBOOK;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        data.close();
    }

    @Benchmark
    public void forward(Blackhole bh) {
        try (Graph g = Graph.inference(kernels)) {
            bh.consume(model.forward(g, g.constant(input), null, null, null, algorithm).hN().value().get(0));
        }
    }
}
