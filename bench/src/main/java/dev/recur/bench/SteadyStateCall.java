package dev.recur.bench;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Reductions;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One layer's call after 8 s of warm-up: its time and the Java heap it allocates (all threads).
 * A kernel whose vectors C2 boxes shows as kilobytes to megabytes per call here; a healthy call
 * allocates a few kilobytes (the graph's bookkeeping).
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *        -cp bench/target/recur-benchmarks.jar dev.recur.bench.SteadyStateCall GRU 64 50 256 512 inference
 * </pre>
 * Arguments: cell, batch, steps, input size, hidden size, inference or training, and optionally the
 * weight precision of an inference call (fp32, the default, or bf16).
 */
public final class SteadyStateCall {
    private SteadyStateCall() {
    }

    public static void main(String[] args) {
        CellMode mode = CellMode.valueOf(args[0]);
        int batch = Integer.parseInt(args[1]), steps = Integer.parseInt(args[2]);
        int input = Integer.parseInt(args[3]), hidden = Integer.parseInt(args[4]);
        boolean training = args[5].equals("training");
        RecurrentExecution execution = RecurrentExecution.fused(WeightPrecision.parse(args.length > 6 ? args[6] : "fp32"));
        Kernels kernels = KernelProvider.defaultKernels();
        try (Recurrent model = Recurrent.create(RecurrentConfig.of(mode, input, hidden), 42);
             TensorArena data = TensorArena.open("input")) {
            Tensor x = data.empty(steps, batch, input);
            SplittableRandom rng = new SplittableRandom(7);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextDouble(-1, 1));
            Runnable call = training
                    ? () -> {
                        model.zeroGrad();
                        try (Graph g = Graph.training(kernels)) {
                            g.backward(Reductions.sum(model.forward(g, g.constant(x), null, null, null,
                                    execution).output()));
                        }
                    }
                    : () -> {
                        try (Graph g = Graph.inference(kernels)) {
                            model.forward(g, g.constant(x), null, null, null, execution);
                        }
                    };
            long end = System.nanoTime() + 8_000_000_000L;
            while (System.nanoTime() < end) call.run();
            int calls = 30;
            long allocated = allocatedBytes(), t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) call.run();
            double millis = (System.nanoTime() - t0) / 1e6 / calls;
            System.out.printf(Locale.ROOT, "%s B=%d T=%d I=%d H=%d %s %s: %.2f ms/call, %.1f KB of heap/call%n", mode.id(),
                    batch, steps, input, hidden, args[5], execution.id(), millis, (allocatedBytes() - allocated) / 1024.0 / calls);
        }
    }

    /** Java heap bytes allocated so far by all live threads. */
    static long allocatedBytes() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) sum += Math.max(0, threads.getThreadAllocatedBytes(id));
        return sum;
    }
}
