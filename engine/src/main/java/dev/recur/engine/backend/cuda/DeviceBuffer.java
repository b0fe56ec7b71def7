package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaCheck;
import dev.recur.bindings.cuda.CudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Floats in device memory (cuMemAlloc), with synchronous copies to and from host memory. A
 * caching allocator (cuMemAlloc is slow) replaces the plain allocation once the backend runs
 * whole layers; this is its first user.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final long pointer;
    private final long floats;
    private boolean freed;

    private DeviceBuffer(long pointer, long floats) {
        this.pointer = pointer;
        this.floats = floats;
    }

    static DeviceBuffer allocate(long floats) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment out = scratch.allocate(ValueLayout.JAVA_LONG);
            CudaCheck.check(CudaDriver.cuMemAlloc_v2(out, Math.max(1, floats) * Float.BYTES), "cuMemAlloc_v2");
            return new DeviceBuffer(out.get(ValueLayout.JAVA_LONG, 0), floats);
        }
    }

    /** The device address (a CUdeviceptr). */
    public long pointer() {
        ensureLive();
        return pointer;
    }

    public long floats() {
        return floats;
    }

    /** Copies {@link #floats()} floats from host memory into this buffer. */
    public void upload(MemorySegment host) {
        ensureLive();
        CudaCheck.check(CudaDriver.cuMemcpyHtoD_v2(pointer, host, floats * Float.BYTES), "cuMemcpyHtoD_v2");
    }

    /** Copies this buffer's floats into host memory. */
    public void download(MemorySegment host) {
        ensureLive();
        CudaCheck.check(CudaDriver.cuMemcpyDtoH_v2(host, pointer, floats * Float.BYTES), "cuMemcpyDtoH_v2");
    }

    private void ensureLive() {
        if (freed) throw new IllegalStateException("this DeviceBuffer was freed");
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        CudaCheck.check(CudaDriver.cuMemFree_v2(pointer), "cuMemFree_v2");
    }
}
