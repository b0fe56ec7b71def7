/**
 * The real GPU: {@link dev.recur.engine.backend.cuda.CudaSession} (GPU 0's primary context, a stream,
 * the fatbin of Recur's kernels, a cuBLAS handle), {@link dev.recur.engine.backend.cuda.CudaKernel}
 * (one kernel and its reusable argument buffer), {@link dev.recur.engine.backend.cuda.CudaGpuDevice}
 * (the {@code GpuDevice} on top) and {@link dev.recur.engine.backend.cuda.PersistentPlan} (whether
 * the persistent kernels hold a shape). None of it has run on a GPU yet (docs/gpu.md).
 *
 * <p>Knows the bindings and {@code backend.gpu}; no graph, model or parameter name.
 */
package dev.recur.engine.backend.cuda;
