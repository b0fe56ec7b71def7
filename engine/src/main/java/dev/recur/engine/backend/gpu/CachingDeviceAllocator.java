package dev.recur.engine.backend.gpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Device memory for activations and workspaces without a cuMemAlloc per request (a slow,
 * synchronising call): a freed block goes back to a free list of its size class and the next
 * request of that class takes it. Size classes: multiples of 512 bytes up to 2 KiB, then four
 * per power of two (2^k·{1, 1.25, 1.5, 1.75}), so a block wastes at most a fifth of itself.
 * Blocks are never split or merged; the cache holds freed memory until {@link #emptyCache()}
 * (or when a raw allocation fails for want of memory, {@link DeviceOutOfMemoryException}: then
 * the cache is emptied and the allocation tried once more; any other failure, such as a sticky
 * kernel fault reported by cuMemAlloc, is thrown as it is, since freeing would only fail too and
 * hide it). Freeing goes on past a failed free, and the first failure is thrown with the later
 * ones suppressed, so one bad block does not leak the rest.
 *
 * <p>One stream per device: a block released while kernels that use it are still queued may be
 * handed out again at once, because the next user's work queues behind them on the same stream.
 * Not thread-safe, like the device.
 */
public final class CachingDeviceAllocator implements AutoCloseable {
    static final long MIN_BLOCK = 512;

    /** Device memory taken from the allocator; {@link #close()} gives it back (to the cache). */
    public final class Block implements AutoCloseable {
        private final long address;
        private final long bytes;
        private boolean released;

        private Block(long address, long bytes) {
            this.address = address;
            this.bytes = bytes;
        }

        /** The device address of the first byte. */
        public long address() {
            if (released) throw new IllegalStateException("this device block was released");
            return address;
        }

        /** The usable size: the size class, at least what was asked for. */
        public long bytes() {
            return bytes;
        }

        @Override
        public void close() {
            if (released) return;
            released = true;
            release(this);
        }
    }

    private final GpuDevice device;
    private final Map<Long, ArrayDeque<Long>> freeBySize = new HashMap<>();
    /** Every raw allocation alive (in use or cached), by address, with its size class. */
    private final Map<Long, Long> raw = new HashMap<>();
    private long bytesInUse, bytesCached, rawAllocations, rawFrees;
    private boolean closed;

    public CachingDeviceAllocator(GpuDevice device) {
        this.device = device;
    }

    /** The size class that serves a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        if (bytes <= 4 * MIN_BLOCK) return Math.max(1, (bytes + MIN_BLOCK - 1) / MIN_BLOCK) * MIN_BLOCK;
        long power = Long.highestOneBit(bytes - 1);   // power < bytes <= 2·power
        long step = power / 4;
        return (bytes + step - 1) / step * step;
    }

    /** At least {@code bytes} of uninitialised device memory (old contents when reused). */
    public Block allocate(long bytes) {
        if (closed) throw new IllegalStateException("this allocator is closed");
        if (bytes < 0) throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        long size = sizeClass(bytes);
        ArrayDeque<Long> free = freeBySize.get(size);
        long address;
        if (free != null && !free.isEmpty()) {
            address = free.pop();
            bytesCached -= size;
        } else {
            address = rawAllocate(size);
        }
        bytesInUse += size;
        return new Block(address, size);
    }

    private long rawAllocate(long size) {
        long address;
        try {
            address = device.allocate(size);
        } catch (DeviceOutOfMemoryException outOfMemory) {
            if (bytesCached == 0) throw outOfMemory;
            try {
                emptyCache();
                address = device.allocate(size);
            } catch (RuntimeException later) {
                outOfMemory.addSuppressed(later);
                throw outOfMemory;
            }
        }
        raw.put(address, size);
        rawAllocations++;
        return address;
    }

    private void release(Block block) {
        if (closed) return;   // its memory was freed with the allocator
        bytesInUse -= block.bytes;
        bytesCached += block.bytes;
        freeBySize.computeIfAbsent(block.bytes, s -> new ArrayDeque<>()).push(block.address);
    }

    /**
     * Frees every cached (unused) block on the device; blocks in use stay. Goes on past a failed
     * free (that block is forgotten: its memory may be lost, never handed out again) and then
     * throws the first failure, the later ones suppressed.
     */
    public void emptyCache() {
        RuntimeException failure = null;
        for (ArrayDeque<Long> free : freeBySize.values()) {
            for (long address : free) {
                raw.remove(address);
                rawFrees++;
                failure = freeKeepingFirstFailure(address, failure);
            }
        }
        freeBySize.clear();
        bytesCached = 0;
        if (failure != null) throw failure;
    }

    /** Frees {@code address}; returns the first failure so far ({@code failure}, or this free's). */
    private RuntimeException freeKeepingFirstFailure(long address, RuntimeException failure) {
        try {
            device.free(address);
        } catch (RuntimeException e) {
            if (failure == null) return e;
            if (e != failure) failure.addSuppressed(e);
        }
        return failure;
    }

    /** Bytes in blocks handed out and not yet released (size classes, not requests). */
    public long bytesInUse() {
        return bytesInUse;
    }

    /** Bytes in released blocks kept for reuse. */
    public long bytesCached() {
        return bytesCached;
    }

    /** Raw device allocations made so far. */
    public long rawAllocations() {
        return rawAllocations;
    }

    /** Raw device frees made so far. */
    public long rawFrees() {
        return rawFrees;
    }

    /**
     * Frees every raw allocation, cached or still in use: blocks still held become dead (use after
     * close fails on the device). Every free is tried; the first failure is thrown after them all,
     * the later ones suppressed.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        for (long address : raw.keySet()) {
            rawFrees++;
            failure = freeKeepingFirstFailure(address, failure);
        }
        raw.clear();
        freeBySize.clear();
        bytesCached = 0;
        bytesInUse = 0;
        if (failure != null) throw failure;
    }
}
