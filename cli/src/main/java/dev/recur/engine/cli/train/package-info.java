/**
 * {@code recur train}, {@code eval} and {@code generate}: the training tasks (adding problem,
 * Fashion-MNIST, characters, forecasting, a user's tensors), the loop around the engine's
 * optimizers and checkpoints, metrics files, progress and curves.
 *
 * <p>Part of the CLI: flags and files end here; the engine's {@code train}, {@code data} and
 * {@code nn} packages know nothing of them.
 */
package dev.recur.engine.cli.train;
