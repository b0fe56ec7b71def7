package dev.recur.engine.cli;

import dev.recur.engine.backend.cpu.CpuParallel;
import picocli.CommandLine.Option;

/** {@code --threads N}: Recur's CPU threads (the pool reads {@code recur.threads} once, when the kernels first run). */
public final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: -Drecur.threads, else all cores)")
    Integer threads;

    /** The requested count, or null for the default. */
    public Integer requested() {
        return threads;
    }

    /**
     * Applies --threads before any kernel has run (in a fresh {@code recur} process it has not) and
     * returns the thread count in force.
     */
    public int apply() {
        if (threads == null) return CpuParallel.threads();
        if (threads < 1) throw new UserError("--threads must be at least 1, got " + threads);
        String before = System.getProperty("recur.threads");
        System.setProperty("recur.threads", Integer.toString(threads));
        int inForce = CpuParallel.threads();
        if (inForce != threads) {
            if (before == null) System.clearProperty("recur.threads");
            else System.setProperty("recur.threads", before);
            throw new UserError("--threads " + threads + " cannot take effect: Recur's CPU threads already started with "
                    + inForce + " (-Drecur.threads); run a fresh process");
        }
        return inForce;
    }
}
