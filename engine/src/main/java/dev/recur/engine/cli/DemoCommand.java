package dev.recur.engine.cli;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * The first thing a newcomer runs: random LSTM, GRU and RNN layers of a few shapes through the
 * naive path (scalar kernels, textbook per-gate layer) and the fast path (Vector API kernels,
 * fused layer), a check that both agree, and the time and GFLOP/s of each.
 */
@Command(name = "demo", description = "Run random LSTM/GRU/RNN layers on the naive and the Vector API path, "
        + "check they agree, and time both.")
public final class DemoCommand implements Callable<Integer> {
    /** Outputs of the two paths must agree to this relative L2 error. */
    static final double AGREEMENT = 1e-5;

    @Option(names = "--quick", description = "smaller shapes and fewer repetitions (for tests)")
    boolean quick;

    @Mixin
    DeviceOption device = new DeviceOption();

    record Shape(int batch, int steps, int input, int hidden) {
        @Override
        public String toString() {
            return "B=" + batch + " T=" + steps + " I=" + input + " H=" + hidden;
        }
    }

    @Override
    public Integer call() {
        device.requireUsable();
        Shape[] shapes = quick
                ? new Shape[]{new Shape(1, 8, 16, 32), new Shape(3, 5, 17, 33)}
                : new Shape[]{new Shape(1, 50, 64, 128), new Shape(16, 50, 128, 256)};
        CellMode[] modes = {CellMode.LSTM, CellMode.GRU, CellMode.RNN_TANH};
        System.out.printf("Recur demo: %d cores, vector species %s; time per sequence = batch time / B%n",
                Runtime.getRuntime().availableProcessors(), jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        System.out.printf("%-9s %-26s %12s %10s %12s %10s %8s %10s%n", "cell", "shape", "naive ms/seq", "GFLOP/s",
                "vector ms/seq", "GFLOP/s", "speedup", "rel. err");
        boolean allAgree = true;
        for (CellMode mode : modes) {
            for (Shape s : shapes) {
                RecurrentConfig config = RecurrentConfig.of(mode, s.input(), s.hidden());
                try (Recurrent model = Recurrent.create(config, 42); TensorArena data = TensorArena.open("demo input")) {
                    Tensor x = randomInput(data, s);
                    double flops = 2.0 * mode.gates() * s.hidden() * (s.input() + s.hidden()) * s.batch() * s.steps();
                    Kernels naive = KernelProvider.naive(), vector = KernelProvider.vector();
                    float[] naiveOut = run(model, naive, Recurrent.Algorithm.TEXTBOOK, x);
                    float[] fastOut = run(model, vector, Recurrent.Algorithm.FUSED, x);
                    double err = RelativeError.l2(fastOut, naiveOut);
                    boolean agree = err <= AGREEMENT;
                    allAgree &= agree;
                    double naiveMs = medianMillis(model, naive, Recurrent.Algorithm.TEXTBOOK, x, quick ? 1 : 3);
                    double fastMs = medianMillis(model, vector, Recurrent.Algorithm.FUSED, x, quick ? 3 : 20);
                    System.out.printf("%-9s %-26s %12.3f %10.2f %12.3f %10.2f %7.1fx %10.1e%s%n", mode, s,
                            naiveMs / s.batch(), flops / naiveMs / 1e6, fastMs / s.batch(), flops / fastMs / 1e6,
                            naiveMs / fastMs, err, agree ? "" : "  DISAGREE");
                }
            }
        }
        System.out.println(allAgree ? "naive and vector paths agree (relative L2 <= " + AGREEMENT + ")"
                : "naive and vector paths DISAGREE");
        return allAgree ? 0 : 1;
    }

    private static Tensor randomInput(TensorArena arena, Shape s) {
        Tensor x = arena.empty(s.steps(), s.batch(), s.input());
        SplittableRandom rng = new SplittableRandom(7);
        for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextDouble(-1, 1));
        return x;
    }

    private static float[] run(Recurrent model, Kernels kernels, Recurrent.Algorithm algorithm, Tensor x) {
        try (Graph g = Graph.inference(kernels)) {
            Var out = model.forward(g, g.constant(x), null, null, null, algorithm).output();
            return out.value().toArray();
        }
    }

    /** Median wall time of {@code reps} runs, after warm-up runs (at least 2, and at least 1 s) for the JIT. */
    private double medianMillis(Recurrent model, Kernels kernels, Recurrent.Algorithm algorithm, Tensor x, int reps) {
        long warmupEnd = System.nanoTime() + (quick ? 50_000_000L : 1_000_000_000L);
        for (int i = 0; i < 2 || System.nanoTime() < warmupEnd; i++) run(model, kernels, algorithm, x);
        double[] ms = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            run(model, kernels, algorithm, x);
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }
}
