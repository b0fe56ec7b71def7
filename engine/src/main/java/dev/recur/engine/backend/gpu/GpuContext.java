package dev.recur.engine.backend.gpu;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A device and its caching allocator, what a recurrent layer run on a GPU needs (the {@code nn}
 * layer's {@code RecurrentExecution.gpu(context)}), and the layer directions whose weights stay
 * on the device between calls ({@link #resident}). Owns them all: {@link #close()} frees the
 * resident layers and the device memory, then closes the device. Not thread-safe, like the device.
 */
public final class GpuContext implements AutoCloseable {
    private final GpuDevice device;
    private final CachingDeviceAllocator memory;
    /** Uploaded layer directions kept between calls, by the caller's key (insertion order, for closing). */
    private final Map<Object, GpuRecurrentLayer> resident = new LinkedHashMap<>();

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

    /**
     * The layer direction kept under {@code key}, uploaded by {@code upload} the first time: its
     * weights then stay on the device and later calls upload nothing. The key must identify the
     * weights (e.g. their host addresses, sizes, the mode and direction); the caller promises they
     * do not change while kept, or calls {@link #forgetResident} after changing them.
     */
    public GpuRecurrentLayer resident(Object key, Supplier<GpuRecurrentLayer> upload) {
        GpuRecurrentLayer layer = resident.get(key);
        if (layer == null) {
            layer = upload.get();
            resident.put(key, layer);
        }
        return layer;
    }

    /** Layer directions kept by {@link #resident}. */
    public int residentLayers() {
        return resident.size();
    }

    /** Frees every layer kept by {@link #resident}; the next call uploads its weights again. */
    public void forgetResident() {
        try {
            resident.values().forEach(GpuRecurrentLayer::close);
        } finally {
            resident.clear();
        }
    }

    /** Frees the resident layers and every device allocation, then closes the device. */
    @Override
    public void close() {
        try {
            try {
                forgetResident();
            } finally {
                memory.close();
            }
        } finally {
            device.close();
        }
    }
}
