/**
 * How each kernel runs, and the contracts every implementation keeps: {@link dev.recur.engine.backend.Kernels}
 * (the CPU kernels with their shapes and BLAS-style conventions), {@link dev.recur.engine.backend.Sgemm},
 * the cell modes ({@link dev.recur.engine.backend.CellMode}), the layout of a recurrence's states
 * ({@link dev.recur.engine.backend.Recurrence}), and {@link dev.recur.engine.backend.KernelProvider},
 * which picks the Vector API kernels or their naive twins once.
 *
 * <p>Sub-packages: {@code cpu} (naive and Vector API kernels, the threads), {@code gpu} (the
 * device-neutral GPU layer: memory, kernels by name, one recurrent layer direction), {@code cuda}
 * (the real device through the bindings) and {@code emulated} (a host-memory device for tests).
 *
 * <p>Knows tensors and the bindings only: no graph, no layer or model, no parameter name, no file.
 */
package dev.recur.engine.backend;
