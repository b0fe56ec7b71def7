package dev.recur.bench;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceClassifier;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import dev.recur.engine.train.Adam;
import dev.recur.engine.train.GradientClipping;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * One training step of a sequence classifier (a 1-layer RNN/GRU/LSTM, a linear head on the last
 * step, cross-entropy, clipping at 1.0, Adam), split into its phases and timed for 6 s after 6 s
 * of warm-up; also the minor page faults per step (Linux). Fashion-MNIST's shape:
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *        -cp bench/target/recur-benchmarks.jar dev.recur.bench.TrainingStepPhases 128 28 28 128 LSTM
 * </pre>
 * Arguments: batch, steps, input size, hidden size, cell (LSTM, GRU, RNN_TANH, RNN_RELU).
 */
public final class TrainingStepPhases {
    private TrainingStepPhases() {
    }

    public static void main(String[] args) {
        if (args.length != 5) {
            System.err.println("usage: TrainingStepPhases BATCH STEPS INPUT HIDDEN CELL");
            System.exit(2);
        }
        int batch = Integer.parseInt(args[0]), steps = Integer.parseInt(args[1]);
        int input = Integer.parseInt(args[2]), hidden = Integer.parseInt(args[3]);
        CellMode mode = CellMode.valueOf(args[4]);
        Kernels kernels = KernelProvider.defaultKernels();
        RecurrentConfig config = RecurrentConfig.of(mode, input, hidden);
        try (SequenceClassifier model = new SequenceClassifier(config, 10, 1); TensorArena data = TensorArena.open("data");
             Adam adam = new Adam(model.parameters(), Adam.Options.defaults().withLr(1e-3))) {
            Tensor x = data.zeros(steps, batch, input);
            Random random = new Random(1);
            for (long i = 0; i < x.size(); i++) x.set(i, random.nextFloat());
            int[] labels = new int[batch];
            for (int b = 0; b < batch; b++) labels[b] = random.nextInt(10);
            double forward = 0, backward = 0, update = 0;
            int measured = 0;
            long faultsBefore = 0;
            boolean faultsRead = false;
            long now = System.nanoTime(), measureFrom = now + 6_000_000_000L, end = now + 12_000_000_000L;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                boolean measure = t0 > measureFrom;
                if (measure && !faultsRead) {
                    faultsBefore = minorFaults();
                    faultsRead = true;
                }
                adam.zeroGrad();
                long t1, t2;
                try (Graph g = Graph.training(kernels)) {
                    Var loss = SequenceClassifier.loss(model.forward(g, g.constant(x), null), labels);
                    t1 = System.nanoTime();
                    g.backward(loss);
                    t2 = System.nanoTime();
                }
                GradientClipping.clipGradNorm(model.parameters(), 1.0);
                adam.step();
                long t3 = System.nanoTime();
                if (measure) {
                    forward += t1 - t0;
                    backward += t2 - t1;
                    update += t3 - t2;
                    measured++;
                }
            }
            double faults = faultsBefore < 0 ? Double.NaN : (minorFaults() - faultsBefore) / (double) measured;   // NaN: no /proc
            System.out.printf("%s B=%d T=%d I=%d H=%d: forward %.2f ms, backward %.2f ms, clip+Adam %.2f ms; "
                            + "%.0f samples/s; %.1f minor page faults per step%n", mode, batch, steps, input, hidden,
                    forward / measured / 1e6, backward / measured / 1e6, update / measured / 1e6,
                    batch * measured / ((forward + backward + update) / 1e9), faults);
        }
    }

    /** Minor page faults of this process so far (field 10 of /proc/self/stat), or -1 where there is none. */
    private static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[7]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
