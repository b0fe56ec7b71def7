/**
 * The {@code recur} command ({@link dev.recur.engine.cli.RecurCli}, picocli): {@code info},
 * {@code demo}, {@code infer}, and the options several commands share ({@code --device},
 * {@code --kernels}, {@code --threads}). A user's mistake is a {@link dev.recur.engine.cli.UserError}:
 * one line on stderr, exit code 2, never a stack trace.
 *
 * <p>The top layer, in its own artifact ({@code recur-cli}): it uses the engine's public API and
 * nothing of it depends on this package.
 */
package dev.recur.engine.cli;
