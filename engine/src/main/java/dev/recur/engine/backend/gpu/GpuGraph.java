package dev.recur.engine.backend.gpu;

/**
 * Device work recorded once by {@link GpuDevice#capture} and queued again by {@link #replay} as
 * one launch: a CUDA graph on a GPU, a list of recorded operations on the emulated device. A
 * replay reads and writes the very addresses the recording saw, so everything it touches must
 * stay allocated, at the same place, for the graph's life.
 */
public interface GpuGraph extends AutoCloseable {
    /** Queues the recorded work on the device's stream. */
    void replay();

    /** Frees the graph (not the memory it works on). */
    @Override
    void close();
}
