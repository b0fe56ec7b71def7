/**
 * Tensors: a shape, float32 (or int) data in an off-heap {@link java.lang.foreign.MemorySegment},
 * and who owns it ({@link dev.recur.engine.tensor.TensorArena}, freed as one piece;
 * {@link dev.recur.engine.tensor.NativeMemory}, the size-class cache under it).
 *
 * <p>The bottom layer: it knows no math beyond comparing two arrays
 * ({@link dev.recur.engine.tensor.RelativeError}), no kernel, no device and no file format.
 */
package dev.recur.engine.tensor;
