package dev.recur.engine.backend.cuda;

import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A device and its caching allocator, as a training graph uses them: a graph given one with
 * {@code Graph.onGpu(context)} runs its recurrent layers there ({@code GpuRecurrentLayerOp}); all
 * other ops stay on the host. Owns both: {@link #close()} frees the device memory, then closes the
 * device. Not thread-safe, like the device.
 */
public final class GpuContext implements AutoCloseable {
    private static final long F = Float.BYTES;

    private final GpuDevice device;
    private final CachingDeviceAllocator memory;

    /** Takes ownership of {@code device}. */
    public GpuContext(GpuDevice device) {
        this.device = device;
        this.memory = new CachingDeviceAllocator(device);
    }

    public GpuDevice device() {
        return device;
    }

    public CachingDeviceAllocator memory() {
        return memory;
    }

    /** Device blocks that are given back together, e.g. everything one graph op keeps until its backward. */
    public Blocks blocks() {
        return new Blocks();
    }

    /** Blocks taken from this context's allocator, and what else must be closed with them; {@link #close()} releases all. */
    public final class Blocks implements AutoCloseable {
        private final List<AutoCloseable> held = new ArrayList<>();

        private Blocks() {
        }

        /** Closed (in reverse order of holding) with these blocks. */
        public <T extends AutoCloseable> T hold(T resource) {
            held.add(resource);
            return resource;
        }

        /** {@code bytes} of uninitialised device memory. */
        public long take(long bytes) {
            return hold(memory.allocate(bytes)).address();
        }

        /** {@code bytes} of device memory set to zero. */
        public long zeros(long bytes) {
            long p = take(bytes);
            device.zero(p, bytes);
            return p;
        }

        /** A device copy of a host tensor. */
        public long upload(Tensor t) {
            long p = take(t.size() * F);
            device.copyToDevice(t.data(), p, t.size() * F);
            return p;
        }

        /** A device copy of int32 values. */
        public long upload(int[] values) {
            long bytes = (long) values.length * Integer.BYTES;
            long p = take(bytes);
            try (Arena scratch = Arena.ofConfined()) {   // off-heap: a downcall cannot take a heap array
                MemorySegment host = scratch.allocateFrom(ValueLayout.JAVA_INT, values);
                device.copyToDevice(host, p, bytes);
            }
            return p;
        }

        /** Copies {@code t.size()} floats from the device address into {@code t}. */
        public void download(long from, Tensor t) {
            device.copyToHost(from, t.data(), t.size() * F);
        }

        /** Releases everything held, newest first; a second call does nothing. */
        @Override
        public void close() {
            RuntimeException failure = null;
            for (int i = held.size() - 1; i >= 0; i--) {
                try {
                    held.get(i).close();
                } catch (Exception e) {
                    if (failure == null) failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
            held.clear();
            if (failure != null) throw failure;
        }
    }

    /** Frees every device allocation, then closes the device. */
    @Override
    public void close() {
        try {
            memory.close();
        } finally {
            device.close();
        }
    }
}
