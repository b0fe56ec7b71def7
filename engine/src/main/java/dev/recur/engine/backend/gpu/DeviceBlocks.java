package dev.recur.engine.backend.gpu;

import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Device memory taken from a {@link CachingDeviceAllocator} and given back together, with what
 * else must be closed with it: a pass's activations, a backward's scratch, what a graph op keeps
 * until its backward. {@link #close()} releases everything, newest first. Not thread-safe, like
 * the device.
 */
public final class DeviceBlocks implements AutoCloseable {
    private static final long F = Float.BYTES;

    private final GpuDevice device;
    private final CachingDeviceAllocator memory;
    private final List<AutoCloseable> held = new ArrayList<>();

    public DeviceBlocks(GpuDevice device, CachingDeviceAllocator memory) {
        this.device = device;
        this.memory = memory;
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
        return upload(t.data(), t.size() * F);
    }

    /** A device copy of {@code bytes} of host memory. */
    public long upload(MemorySegment host, long bytes) {
        long p = take(bytes);
        device.copyToDevice(host, p, bytes);
        return p;
    }

    /** A device copy of int32 values. */
    public long upload(int[] values) {
        try (Arena scratch = Arena.ofConfined()) {   // off-heap: a downcall cannot take a heap array
            return upload(scratch.allocateFrom(ValueLayout.JAVA_INT, values), (long) values.length * Integer.BYTES);
        }
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
