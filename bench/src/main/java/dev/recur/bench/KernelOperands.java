package dev.recur.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The off-heap operands of {@link ElementwiseKernelBenchmark} and {@link RowKernelBenchmark}:
 * uniform random floats from a fixed seed, 64-byte aligned, in one shared arena. Shared as the
 * engine's tensor arenas are, so the vector row kernels may split large blocks over the CPU
 * threads as they do in a training step (they stay on the calling thread for confined memory).
 */
final class KernelOperands implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final SplittableRandom random;

    KernelOperands(long seed) {
        random = new SplittableRandom(seed);
    }

    /** {@code count} floats uniform in [-2, 2). */
    MemorySegment uniform(long count) {
        MemorySegment s = arena.allocate(count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 4 - 2));
        }
        return s;
    }

    @Override
    public void close() {
        arena.close();
    }
}
