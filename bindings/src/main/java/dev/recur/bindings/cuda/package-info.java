/**
 * The CUDA driver API's functions and constants, generated from {@code cuda.h} by
 * {@code dev.recur.bindings.generator} (do not edit): one static method per C function, bound to
 * the versioned symbol the header's {@code #define} names, looked up on first use.
 *
 * <p>Knows the C ABI only.
 */
package dev.recur.bindings.cuda;
