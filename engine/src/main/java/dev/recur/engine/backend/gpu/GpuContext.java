package dev.recur.engine.backend.gpu;

/**
 * A device and its caching allocator, what a recurrent layer run on a GPU needs (the {@code nn}
 * layer's {@code RecurrentExecution.gpu(context)}). Owns both: {@link #close()} frees the device
 * memory, then closes the device. Not thread-safe, like the device.
 */
public final class GpuContext implements AutoCloseable {
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
    public DeviceBlocks blocks() {
        return new DeviceBlocks(device, memory);
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
