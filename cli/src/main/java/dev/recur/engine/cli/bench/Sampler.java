package dev.recur.engine.cli.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The timing rule of {@code recur bench}, the same for Recur and for the PyTorch peer (whose
 * script receives these {@link Rules} and applies them the same way):
 *
 * <ol>
 *   <li>warm-up: at least {@code warmupRuns} runs and at least {@code warmupNanos} of them; for
 *       the first shape of each cell and mode in a run, at least {@code firstOfKindWarmupNanos}
 *       (see {@link Rules#firstOfKind()});</li>
 *   <li>then warm-up goes on until the runs have settled: window after window (each at least
 *       3 runs and {@code settleWindowNanos}), until a window's median is no more than
 *       {@code settleTolerance} below the previous window's and the JIT compiled nothing during
 *       the window (when the engine has a JIT: see {@link #Sampler(Rules, LongSupplier, LongSupplier)}),
 *       or until {@code maxWarmupNanos} have passed in all. Why: the JIT compiles a vectorised
 *       kernel seconds after its first call and runs it meanwhile in far slower code, and its
 *       compiler threads take a core from the measured ones; a fixed warm-up would time
 *       whichever mixture a shape happened to land in;</li>
 *   <li>samples: one timed run each, until {@code targetSamples} samples, or until
 *       {@code budgetNanos} have passed since the first sample, but never fewer than
 *       {@code minSamples};</li>
 *   <li>report the median (mean of the two middle samples for an even count), min and max.</li>
 * </ol>
 */
public final class Sampler {
    /** The knobs of the rule. */
    public record Rules(int warmupRuns, long warmupNanos, int minSamples, int targetSamples, long budgetNanos,
                        long firstOfKindWarmupNanos, long settleWindowNanos, double settleTolerance,
                        long maxWarmupNanos) {
        /**
         * What every real measurement uses: warm-up 2 runs and 0.3 s (1.5 s for the first shape of
         * each cell and mode), then on until settled (windows of 0.2 s, 3% tolerance, 6 s at
         * most), then 20 samples or 2 s, at least 3.
         */
        public static final Rules STANDARD = new Rules(2, 300_000_000L, 3, 20, 2_000_000_000L, 1_500_000_000L,
                200_000_000L, 0.03, 6_000_000_000L);
        /** For tests and smoke checks only: warm-up 2 runs and 20 ms, no settling, then 5 samples or 0.1 s, at least 3. */
        public static final Rules QUICK = new Rules(2, 20_000_000L, 3, 5, 100_000_000L, 20_000_000L, 0, 0, 0);

        public Rules {
            if (warmupRuns < 0 || warmupNanos < 0 || minSamples < 1 || targetSamples < minSamples || budgetNanos < 0
                    || firstOfKindWarmupNanos < 0 || settleWindowNanos < 0 || !(settleTolerance >= 0)
                    || maxWarmupNanos < 0) {
                throw new IllegalArgumentException("inconsistent sampling rules " + this);
            }
        }

        /**
         * The rules for the first shape of a cell and mode in a process: a longer warm-up. In a
         * fresh JVM the engine's Java code (graph, layer, kernels) is interpreted at first and
         * takes about a second of runs to be compiled; without this the first shapes of a suite
         * would be timed half-compiled. PyTorch is given the same rules, for symmetry.
         */
        public Rules firstOfKind() {
            return new Rules(warmupRuns, Math.max(warmupNanos, firstOfKindWarmupNanos), minSamples, targetSamples,
                    budgetNanos, firstOfKindWarmupNanos, settleWindowNanos, settleTolerance, maxWarmupNanos);
        }
    }

    /** Statistics of the samples, in milliseconds. */
    public record Timing(double medianMs, double minMs, double maxMs, int samples) {
        public static Timing of(double[] samplesMs) {
            if (samplesMs.length == 0) throw new IllegalArgumentException("no samples");
            double[] s = samplesMs.clone();
            Arrays.sort(s);
            int n = s.length;
            double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
            return new Timing(median, s[0], s[n - 1], n);
        }
    }

    private final Rules rules;
    private final LongSupplier clock;
    private final LongSupplier compilerWork;

    /** For code that runs on this JVM: settling also waits for its JIT compiler to go quiet. */
    public Sampler(Rules rules) {
        this(rules, System::nanoTime, Sampler::jitMillis);
    }

    /** With an injected clock (nanoseconds) and no JIT to watch, for tests and for {@link #estimateSeconds}. */
    public Sampler(Rules rules, LongSupplier clock) {
        this(rules, clock, () -> 0);
    }

    /**
     * @param compilerWork a counter that grows while the engine's JIT compiles (this JVM's total
     *                     compilation milliseconds); constant where there is none to watch
     */
    public Sampler(Rules rules, LongSupplier clock, LongSupplier compilerWork) {
        this.rules = rules;
        this.clock = clock;
        this.compilerWork = compilerWork;
    }

    /** This JVM's total JIT compilation time so far, or 0 where it is not monitored. */
    static long jitMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    public Rules rules() {
        return rules;
    }

    /** Warms up and samples {@code run} by the rules. */
    public Timing measure(Runnable run) {
        long warmupStart = clock.getAsLong();
        for (int i = 0; i < rules.warmupRuns() || clock.getAsLong() - warmupStart < rules.warmupNanos(); i++) {
            run.run();
        }
        if (rules.settleWindowNanos() > 0 && clock.getAsLong() - warmupStart < rules.maxWarmupNanos()) {
            double previous = windowMedian(run);
            while (clock.getAsLong() - warmupStart < rules.maxWarmupNanos()) {
                long compiledBefore = compilerWork.getAsLong();
                double current = windowMedian(run);
                boolean compiled = compilerWork.getAsLong() != compiledBefore;
                if (!compiled && current >= previous * (1 - rules.settleTolerance())) {
                    break;
                }
                previous = current;
            }
        }
        List<Double> samples = new ArrayList<>();
        long start = clock.getAsLong();
        while (true) {
            long t0 = clock.getAsLong();
            run.run();
            long t1 = clock.getAsLong();
            samples.add((t1 - t0) / 1e6);
            int n = samples.size();
            if (n >= rules.targetSamples() || (n >= rules.minSamples() && t1 - start >= rules.budgetNanos())) {
                break;
            }
        }
        return Timing.of(samples.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Median ms of one settling window: runs until at least 3 of them and settleWindowNanos. */
    private double windowMedian(Runnable run) {
        List<Double> times = new ArrayList<>();
        long start = clock.getAsLong();
        long t1 = start;
        while (times.size() < 3 || t1 - start < rules.settleWindowNanos()) {
            long t0 = clock.getAsLong();
            run.run();
            t1 = clock.getAsLong();
            times.add((t1 - t0) / 1e6);
        }
        return Timing.of(times.stream().mapToDouble(Double::doubleValue).toArray()).medianMs();
    }

    /** Wall time the rules take for a run that always lasts {@code runSeconds} (warm-up included). */
    public static double estimateSeconds(Rules rules, double runSeconds) {
        long runNanos = Math.max(1_000L, Math.round(runSeconds * 1e9)); // floor: bounds the loop count
        long[] now = {0};
        new Sampler(rules, () -> now[0]).measure(() -> now[0] += runNanos);
        return now[0] / 1e9;
    }
}
