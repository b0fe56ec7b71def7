/**
 * The GPU code written against any device: {@link dev.recur.engine.backend.gpu.GpuDevice} (memory by
 * address, copies, Recur's CUDA kernels by name, cuBLAS's GEMM), its
 * {@link dev.recur.engine.backend.gpu.CachingDeviceAllocator}, {@link dev.recur.engine.backend.gpu.DeviceBlocks}
 * (memory given back together), {@link dev.recur.engine.backend.gpu.GpuContext} (a device with its
 * allocator and resident layers), {@link dev.recur.engine.backend.gpu.GpuGraph} (captured device
 * work), {@link dev.recur.engine.backend.gpu.PersistentPlan} (whether the persistent kernels hold a
 * shape) and {@link dev.recur.engine.backend.gpu.GpuRecurrentLayer}, one recurrent layer direction
 * as docs/kernels.md sequences its kernels.
 *
 * <p>Knows tensors and the kernels' ABI; not which device it runs on (the {@code cuda} and
 * {@code emulated} packages implement {@code GpuDevice}), and no graph, model or parameter name.
 */
package dev.recur.engine.backend.gpu;
