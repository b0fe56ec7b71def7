/**
 * A GPU made of host memory, for testing the GPU layer where there is no GPU:
 * {@link dev.recur.engine.backend.emulated.EmulatedGpuDevice} runs each launch with the kernel's
 * Java twin ({@code JavaKernelTwins}) or with the CUDA source itself compiled for the host
 * ({@code HostCompiledCudaKernels}), and checks pointers, argument kinds and reads of unwritten
 * memory more strictly than a GPU would. It says nothing about GPU speed.
 *
 * <p>Knows {@code backend.gpu}'s contracts and the CPU kernels; never the real device.
 */
package dev.recur.engine.backend.emulated;
