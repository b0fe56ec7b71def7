/**
 * The CPU kernels: {@link dev.recur.engine.backend.cpu.NaiveKernels} and
 * {@link dev.recur.engine.backend.cpu.NaiveSgemm}, the readable references, and their fast twins
 * {@link dev.recur.engine.backend.cpu.VectorKernels} and {@link dev.recur.engine.backend.cpu.VectorSgemm}
 * (Vector API, packed and register-tiled), {@link dev.recur.engine.backend.cpu.FusedRecurrence}
 * (a whole layer direction's steps on a thread team) and {@link dev.recur.engine.backend.cpu.CpuParallel}
 * (the threads). Tests hold every fast kernel to its naive twin; JMH times the two side by side.
 *
 * <p>Knows tensors only: no graph, no device, no parameter name.
 */
package dev.recur.engine.backend.cpu;
