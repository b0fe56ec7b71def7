/**
 * The JMH suites: every fast CPU kernel timed beside its naive twin on the same shapes, the
 * machine's FMA peak, the training-step phase harness, and {@code JmhSummary}, which turns JMH's
 * JSON into the summary {@code ./recur jmh} writes (bench/README.md).
 *
 * <p>Uses the engine's public API and its kernels; nothing depends on it.
 */
package dev.recur.bench;
