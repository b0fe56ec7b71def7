package dev.recur.engine.cli.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The live progress of a training run: on a terminal, one line redrawn in place (bar, step, loss,
 * samples per second, ETA) at most 10 times a second; elsewhere (a pipe, a CI log) the same facts
 * as plain lines, one every {@code plainIntervalNanos}, so that a log stays readable.
 */
public final class ProgressReporter {
    private static final int BAR_WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final long totalSteps;
    private final LongSupplier clock;
    private final long plainIntervalNanos;
    private final long start;
    private long lastPrinted = Long.MIN_VALUE;
    private boolean barShown;
    /** The first step reported and when: the ETA's rate counts from there, past the first step's warm-up (and a resumed run's earlier steps). */
    private long firstStep = -1;
    private long firstStepTime;

    public ProgressReporter(PrintStream out, boolean terminal, long totalSteps, LongSupplier clock, long plainIntervalNanos) {
        this.out = out;
        this.terminal = terminal;
        this.totalSteps = totalSteps;
        this.clock = clock;
        this.plainIntervalNanos = plainIntervalNanos;
        this.start = clock.getAsLong();
    }

    /** For a command: a live bar when standard output is a terminal, else a plain line every 10 s. */
    public static ProgressReporter forConsole(PrintStream out, long totalSteps) {
        java.io.Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        return new ProgressReporter(out, terminal, totalSteps, System::nanoTime, 10_000_000_000L);
    }

    /** Reports that {@code step} steps (of the total) are done. */
    public void update(long step, double loss, double samplesPerSecond) {
        long now = clock.getAsLong();
        if (firstStep < 0) {
            firstStep = step;
            firstStepTime = now;
        }
        boolean last = step >= totalSteps;
        long interval = terminal ? REDRAW_NANOS : plainIntervalNanos;
        if (!last && lastPrinted != Long.MIN_VALUE && now - lastPrinted < interval) {
            return;
        }
        lastPrinted = now;
        String facts = String.format(Locale.ROOT, "step %d/%d  loss %.4g  %.0f samples/s  %s", step, totalSteps, loss,
                samplesPerSecond, eta(step, now));
        if (terminal) {
            int filled = (int) (BAR_WIDTH * Math.min(1.0, (double) step / Math.max(1, totalSteps)));
            out.print("\r[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "] " + facts + "\u001b[K");
            barShown = true;
        } else {
            out.println(facts);
        }
        out.flush();
    }

    /** Prints {@code message} on its own line (a validation result, a checkpoint saved), under the bar. */
    public void message(String message) {
        if (barShown) {
            out.print("\r\u001b[K");
            barShown = false;
            lastPrinted = Long.MIN_VALUE;  // redraw the bar at the next update
        }
        out.println(message);
        out.flush();
    }

    /** Ends the bar's line. */
    public void finish() {
        if (barShown) {
            out.println();
            barShown = false;
        }
        out.flush();
    }

    private String eta(long step, long now) {
        if (step >= totalSteps) return "done in " + duration((now - start) / 1e9);
        if (firstStep < 0 || step <= firstStep) return "ETA --";
        double perStep = (now - firstStepTime) / 1e9 / (step - firstStep);
        return "ETA " + duration(perStep * (totalSteps - step));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }
}
