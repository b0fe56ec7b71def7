/**
 * cuBLAS's functions and constants, generated from {@code cublas_api.h} by
 * {@code dev.recur.bindings.generator} (do not edit).
 *
 * <p>Knows the C ABI only.
 */
package dev.recur.bindings.cublas;
