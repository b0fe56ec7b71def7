/**
 * Finding, loading and calling the CUDA driver (libcuda) and cuBLAS through the Foreign Function
 * API: library lookup ({@link dev.recur.bindings.NativeLibraries}), error codes turned into
 * exceptions ({@link dev.recur.bindings.CudaCheck}, {@link dev.recur.bindings.CublasCheck}) and
 * the probe that says whether CUDA is usable here ({@link dev.recur.bindings.CudaAvailability}).
 * The generated functions are in {@code cuda} and {@code cublas}.
 *
 * <p>Below the engine: knows the C ABI only, no tensor, kernel or model.
 */
package dev.recur.bindings;
