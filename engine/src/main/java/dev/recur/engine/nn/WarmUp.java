package dev.recur.engine.nn;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What warming a model up did, and the rule that does it: run a call until the JIT has compiled
 * what it needs, or until a budget has passed. A fresh JVM runs Recur's vector kernels in slow
 * code at first: a model's first call takes a second or more, and the calls after it reach steady
 * speed only seconds later (docs/onnx.md measures both), so a service warms its models up before
 * it takes traffic.
 *
 * @param calls         calls made
 * @param firstCallMs   the first call's time (the JIT's cost, when the model is new to this JVM)
 * @param settledCallMs the last window's median
 * @param seconds       time taken
 * @param settled       whether the calls settled before the budget ran out
 */
public record WarmUp(int calls, double firstCallMs, double settledCallMs, double seconds, boolean settled) {
    /** Windows of at least 3 calls and this long. */
    private static final long WINDOW_NANOS = 250_000_000L;
    /** Settled: this many windows in a row with medians within {@link #SPREAD} of each other, and no compilation. */
    private static final int SETTLED_WINDOWS = 3;
    private static final double SPREAD = 0.05;
    /** Before this, no verdict: the JIT compiles in the background even while no compilation finishes. */
    private static final long MIN_NANOS = 2_000_000_000L;

    /**
     * Calls {@code call} until {@value #SETTLED_WINDOWS} windows in a row (each at least 3 calls and
     * 250 ms) have medians within 5 % of each other and the JVM finished no compilation during
     * them, at least 2 s after the start; or until {@code budget} has passed.
     */
    public static WarmUp run(Runnable call, Duration budget) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime(), deadline = start + budget.toNanos();
        call.run();
        double first = (System.nanoTime() - start) / 1e6;
        int calls = 1;
        List<Double> medians = new ArrayList<>();
        List<Boolean> quiet = new ArrayList<>();
        boolean settled = false;
        while (System.nanoTime() < deadline && !settled) {
            long compiledBefore = watchJit ? jit.getTotalCompilationTime() : 0;
            List<Double> window = new ArrayList<>();
            long windowStart = System.nanoTime();
            while (window.size() < 3 || System.nanoTime() - windowStart < WINDOW_NANOS) {
                long c0 = System.nanoTime();
                call.run();
                window.add((System.nanoTime() - c0) / 1e6);
                calls++;
                if (System.nanoTime() >= deadline && window.size() >= 3) break;
            }
            Collections.sort(window);
            medians.add(window.get(window.size() / 2));
            quiet.add(!watchJit || jit.getTotalCompilationTime() == compiledBefore);
            int n = medians.size();
            if (n >= SETTLED_WINDOWS && System.nanoTime() - start >= MIN_NANOS) {
                List<Double> last = medians.subList(n - SETTLED_WINDOWS, n);
                double low = Collections.min(last), high = Collections.max(last);
                settled = high <= low * (1 + SPREAD) && !quiet.subList(n - SETTLED_WINDOWS, n).contains(false);
            }
        }
        double last = medians.isEmpty() ? first : medians.getLast();
        return new WarmUp(calls, first, last, (System.nanoTime() - start) / 1e9, settled);
    }
}
