/**
 * The jextract-style generator of the {@code cuda} and {@code cublas} bindings: a small C
 * preprocessor and declaration reader, run by hand on the real headers; its output is committed.
 *
 * <p>A build tool: nothing at run time uses it.
 */
package dev.recur.bindings.generator;
