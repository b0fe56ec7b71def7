package dev.recur.bench;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells apart the causes of a recurrent layer's latency changing from launch to launch (and
 * within a launch). Two models of the same shape (different memory) run in alternating windows
 * of 60 inference calls each; per window it prints the JVM's uptime, each model's median, the CPU
 * ticks the process's other threads used (JIT compilers, GC, VM thread), the Java heap the
 * process allocated (a kernel whose vectors C2 boxes allocates megabytes per call), and how often
 * the calling thread and Recur's worker were seen on the same CPU (sampled every 5 ms).
 * A slowness that follows one model's memory shows in one column only; one that follows the
 * clock shows in both; one caused by the JVM's own threads shows in their ticks.
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *        -cp bench/target/recur-benchmarks.jar dev.recur.bench.LaunchLatencyProbe LSTM 1 100 256 512
 * </pre>
 * Arguments: cell, batch, steps, input size, hidden size. Linux only (/proc).
 */
public final class LaunchLatencyProbe {
    private static final int WINDOWS = 12, CALLS_PER_WINDOW = 60;

    private LaunchLatencyProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mainTask = Files.readString(Path.of("/proc/thread-self/stat")).split(" ")[0];
        Thread.sleep(Long.getLong("probe.delayMillis", 0));   // idle first: tells events tied to the JVM's start from those tied to the work
        CellMode mode = CellMode.valueOf(args[0]);
        int batch = Integer.parseInt(args[1]), steps = Integer.parseInt(args[2]);
        int input = Integer.parseInt(args[3]), hidden = Integer.parseInt(args[4]);
        Kernels kernels = KernelProvider.defaultKernels();
        RecurrentConfig config = RecurrentConfig.of(mode, input, hidden);
        StringBuilder line = new StringBuilder("uptime ms: model 0 | model 1 median ms, heap MB allocated, other threads' ticks, same-CPU samples:");
        try (TensorArena data = TensorArena.open("probe input");
             Recurrent first = Recurrent.create(config, 42); Recurrent second = Recurrent.create(config, 43)) {
            Tensor x = data.empty(steps, batch, input);
            SplittableRandom rng = new SplittableRandom(7);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextDouble(-1, 1));
            Runnable[] runs = new Runnable[2];
            Recurrent[] models = {first, second};
            for (int m = 0; m < 2; m++) {
                Recurrent model = models[m];
                runs[m] = () -> {
                    try (Graph g = Graph.inference(kernels)) {
                        model.forward(g, g.constant(x), null, null, null, RecurrentExecution.FUSED);
                    }
                };
            }
            repeatFor(runs[0], 3.0);
            repeatFor(runs[1], 1.0);
            String worker = taskNamed("recur-cpu-0");
            AtomicLong same = new AtomicLong(), samples = new AtomicLong();
            Thread.ofPlatform().daemon().start(() -> {
                while (worker != null) {
                    String[] a = stat(mainTask), b = stat(worker);
                    if (a != null && b != null) {
                        samples.incrementAndGet();
                        if (a[38].equals(b[38])) same.incrementAndGet();
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            for (int w = 0; w < WINDOWS; w++) {
                long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
                long same0 = same.get(), samples0 = samples.get();
                Map<String, Long> before = threadTicks();
                long allocated0 = SteadyStateCall.allocatedBytes();
                double m0 = medianMillis(runs[0]), m1 = medianMillis(runs[1]);
                line.append(String.format(Locale.ROOT, " [@%d %.2f|%.2f heap %.0f MB others %s same %d/%d]", uptime, m0, m1,
                        (SteadyStateCall.allocatedBytes() - allocated0) / 1e6, otherThreads(before, threadTicks(), mainTask, worker),
                        same.get() - same0, samples.get() - samples0));
            }
        }
        System.out.println(line);
    }

    private static void repeatFor(Runnable run, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) run.run();
    }

    private static double medianMillis(Runnable run) {
        double[] t = new double[CALLS_PER_WINDOW];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            run.run();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    /** utime + stime (clock ticks) of every task of this process, by task id. */
    private static Map<String, Long> threadTicks() throws IOException {
        Map<String, Long> ticks = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path p : tasks.toList()) {
                String[] f = stat(p.getFileName().toString());
                if (f != null) ticks.put(p.getFileName().toString(), Long.parseLong(f[13]) + Long.parseLong(f[14]));
            }
        }
        return ticks;
    }

    /** The ticks other threads than the layer's two used between the two readings, by thread name. */
    private static String otherThreads(Map<String, Long> before, Map<String, Long> after, String mainTask, String worker)
            throws IOException {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long ticks = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (ticks > 0 && !e.getKey().equals(mainTask) && !e.getKey().equals(worker)) {
                sb.append(comm(e.getKey()).replace(' ', '_')).append('=').append(ticks).append(' ');
            }
        }
        return sb.toString().strip() + "}";
    }

    private static String taskNamed(String name) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path p : tasks.toList()) {
                if (comm(p.getFileName().toString()).equals(name)) return p.getFileName().toString();
            }
        }
        return null;
    }

    private static String comm(String task) throws IOException {
        return Files.readString(Path.of("/proc/self/task/" + task + "/comm")).strip();
    }

    /** The fields of /proc/self/task/TASK/stat: [i] is proc(5)'s field i + 1 ([13] utime, [14] stime, [38] last CPU). */
    private static String[] stat(String task) {
        try {
            String s = Files.readString(Path.of("/proc/self/task/" + task + "/stat"));
            return ("x x " + s.substring(s.lastIndexOf(')') + 2)).split(" ");
        } catch (IOException e) {
            return null;
        }
    }
}
