package dev.recur.bench;

import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.onnx.OnnxModel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * A service's first request, with and without {@link OnnxModel#warmUp}: in a fresh JVM, loads an
 * ONNX model, optionally warms it up on the inputs for at most the given seconds, then times the
 * first "request" (the same inputs) and the median of the 20 after it.
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *        -cp bench/target/recur-benchmarks.jar dev.recur.bench.OnnxFirstCall MODEL.onnx IN.safetensors [WARMUP_SECONDS]
 * </pre>
 * Without WARMUP_SECONDS (or with 0) the first request is the model's first call.
 */
public final class OnnxFirstCall {
    private OnnxFirstCall() {
    }

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(Path.of(args[1]));
        double budget = args.length > 2 ? Double.parseDouble(args[2]) : 0;
        try (OnnxModel model = OnnxModel.load(Path.of(args[0]))) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            String warm = "no warm-up";
            if (budget > 0) {
                dev.recur.engine.nn.WarmUp w = model.warmUp(inputs, Duration.ofMillis((long) (budget * 1000)));
                warm = String.format(Locale.ROOT, "warm-up %d calls in %.2f s (first %.1f ms, last window %.2f ms, %s)",
                        w.calls(), w.seconds(), w.firstCallMs(), w.settledCallMs(), w.settled() ? "settled" : "budget ran out");
            }
            long r0 = System.nanoTime();
            model.run(inputs);
            double first = (System.nanoTime() - r0) / 1e6;
            double[] next = new double[20];
            for (int i = 0; i < next.length; i++) {
                long c0 = System.nanoTime();
                model.run(inputs);
                next[i] = (System.nanoTime() - c0) / 1e6;
            }
            Arrays.sort(next);
            System.out.printf(Locale.ROOT, "%s: load %.0f ms; %s; first request %.2f ms, next 20 median %.2f ms%n",
                    Path.of(args[0]).getFileName(), loadMs, warm, first, (next[9] + next[10]) / 2);
        }
    }
}
