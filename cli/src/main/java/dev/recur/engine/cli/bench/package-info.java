/**
 * {@code recur bench}: Recur's recurrent layers timed through the public API on one shape or a
 * named suite, beside PyTorch (a peer process) on the same shapes, threads and timing rule; a
 * table, JSON and a PNG chart.
 *
 * <p>Part of the CLI; knows nothing of the other commands.
 */
package dev.recur.engine.cli.bench;
