package dev.recur.engine.backend.gpu;

/**
 * One kernel of {@code native/src} and its reusable argument buffer: set every argument by
 * position (in the order of its {@code extern "C"} declaration, see docs/kernels.md), then launch.
 * Pointers are device addresses, 0 for a C NULL. Flags are ints (0 or 1).
 */
public interface GpuKernel {
    GpuKernel arg(int index, int value);

    GpuKernel arg(int index, float value);

    /** A C {@code double} argument (e.g. {@code recur_clip_coefficient}'s max_norm). */
    GpuKernel arg(int index, double value);

    /** A device pointer argument (0 for a C NULL). */
    GpuKernel pointer(int index, long devicePointer);

    /** Queues a grid-stride kernel with enough 256-thread blocks for {@code items} work items. */
    void launch(long items);

    /** Queues a kernel marked "one block" in docs/kernels.md: {@code <<<1, 256>>>}. */
    void launchOneBlock();

    /** Queues a kernel marked "one thread" in docs/kernels.md: {@code <<<1, 1>>>}. */
    void launchOneThread();

    /**
     * Queues a persistent kernel as a cooperative launch of {@code blocks} blocks of
     * {@code threads} with {@code sharedBytes} of dynamic shared memory (a {@link PersistentPlan}'s);
     * an exception, and nothing queued, when the device cannot hold every block at once.
     */
    void launchCooperative(int blocks, int threads, long sharedBytes);
}
