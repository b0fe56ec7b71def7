/**
 * {@code recur gpu-check}, the first thing to run on a GPU host: Recur's CUDA kernels and cuBLAS
 * against the CPU ({@link dev.recur.engine.cli.gpucheck.KernelCheck}), then the whole recurrent
 * layer on the device against the CPU engine ({@link dev.recur.engine.cli.gpucheck.LayerCheck}).
 * The tests run the same harness on the emulated device.
 *
 * <p>Part of the CLI; the engine does not depend on it.
 */
package dev.recur.engine.cli.gpucheck;
