/**
 * The real GPU: {@link dev.recur.engine.backend.cuda.CudaSession} (GPU 0's primary context, a stream,
 * the fatbin of Recur's kernels, a cuBLAS handle), {@link dev.recur.engine.backend.cuda.CudaKernel}
 * (one kernel and its reusable argument buffer, cooperative launches included) and
 * {@link dev.recur.engine.backend.cuda.CudaGpuDevice} (the {@code GpuDevice} on top: memory, copies,
 * cuBLAS, graph capture, the device's limits). None of it has run on a GPU yet (docs/gpu.md).
 *
 * <p>Knows the bindings and {@code backend.gpu}; no graph, model or parameter name.
 */
package dev.recur.engine.backend.cuda;
