package dev.recur.bench;

import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.onnx.OnnxModel;
import dev.recur.engine.tensor.NativeMemory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A service's memory under a variable-shape load: THREADS threads call one ONNX model whose input
 * "x" is float32 [B, T, I] (B dynamic) with random B in 1..MAX_BATCH,
 * for SECONDS; every 5 s it prints the process's resident set (VmRSS), its peak (VmHWM) and the
 * bytes in Recur's cache of freed native blocks. Linux only (/proc/self/status).
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx96m \
 *        [-Drecur.memory.cacheBytes=N] -cp bench/target/recur-benchmarks.jar dev.recur.bench.OnnxServiceLoad \
 *        MODEL.onnx STEPS INPUT_SIZE MAX_BATCH THREADS SECONDS
 * </pre>
 */
public final class OnnxServiceLoad {
    private OnnxServiceLoad() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int steps = Integer.parseInt(args[1]), input = Integer.parseInt(args[2]), maxBatch = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        long seconds = Long.parseLong(args[5]);
        try (OnnxModel model = OnnxModel.load(file)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            List<Future<Long>> workers = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                long seed = w;
                workers.add(pool.submit(() -> {
                    SplittableRandom rng = new SplittableRandom(seed);
                    long calls = 0;
                    while (System.nanoTime() < end) {
                        int b = 1 + rng.nextInt(maxBatch), t = steps;
                        float[] x = new float[b * t * input];
                        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble(-1, 1);
                        model.run(Map.of("x", OnnxTensor.ofFloats(x, b, t, input)));
                        calls++;
                    }
                    return calls;
                }));
            }
            long start = System.nanoTime();
            while (System.nanoTime() < end && workers.stream().noneMatch(Future::isDone)) {
                Thread.sleep(5000);
                System.out.printf(Locale.ROOT, "t=%3.0f s  %s  cache %4.0f MB%n", (System.nanoTime() - start) / 1e9, status(),
                        NativeMemory.cachedBytes() / 1e6);
                System.out.flush();
            }
            long calls = 0;
            try {
                for (Future<Long> f : workers) calls += f.get();   // a worker's failure ends the run here
            } finally {
                pool.shutdownNow();
            }
            System.out.printf(Locale.ROOT, "%d calls; cache limit %s%n", calls,
                    System.getProperty("recur.memory.cacheBytes", "(default)"));
        }
    }

    private static String status() throws java.io.IOException {
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS") || line.startsWith("VmHWM")) {
                String[] parts = line.split("\\s+");
                out.append(String.format(Locale.ROOT, "%s %5.0f MB  ", parts[0], Long.parseLong(parts[1]) / 1024.0));
            }
        }
        return out.toString().strip();
    }
}
