package dev.recur.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Uninitialised native memory from the C allocator ({@code aligned_alloc} / {@code free}), with
 * freed large blocks kept for reuse.
 *
 * <p>Why not {@link Arena#allocate}: it zero-fills every block, and each forward pass allocates
 * tens of megabytes of activations that the kernels overwrite anyway; the zeroing (and, for blocks
 * the allocator maps fresh, the page faults it triggers) cost as much as a quarter of an LSTM
 * layer's forward. malloc hands freed blocks back out without either.
 *
 * <p>Why the cache: glibc gives large freed blocks back to the kernel (munmap, heap trimming), so
 * a training step, which allocates the same activations every step, took page faults on all of
 * them every time: 6 800 minor faults (27 MB zeroed by the kernel) per step of an LSTM with
 * B = 128, T = 28, H = 128, about a quarter of the step. Blocks of at least
 * {@link #CACHED_MIN_BYTES} are sized up to a size class (8 per power of two, so at most 12.5%
 * larger) and, when freed, kept by class until the next allocation of that class, up to
 * {@code -Drecur.memory.cacheBytes} in all (default 256 MiB; beyond it blocks are freed).
 *
 * <p>Why 256 MiB: a service calling a model with varying batch sizes fills one size class after
 * another, and the cache then holds its limit for good. Under such a load (4 threads, a
 * bidirectional GRU at B = 1..64, 96 MB heap, 30 s; docs/embedding.md) the process's resident set
 * was 280 MB with no cache, 343 MB with 64 MiB, 500 MB with 256 MiB and 550 MB and still growing
 * with 1 GiB, for 1369, 1493, 1940 and 2096 calls: 256 MiB keeps most of the speed with a bound a
 * service can plan for. A training step's activations (27 MB at Fashion-MNIST's shape) fit.
 */
public final class NativeMemory {
    /**
     * The downcalls ({@code downcallHandle} is a restricted method), made at the first allocation,
     * once {@link JvmOptions#requireNativeAccess} has passed.
     */
    private static final class Downcalls {
        private static final Linker LINKER = Linker.nativeLinker();
        static final MethodHandle ALIGNED_ALLOC = LINKER.downcallHandle(
                LINKER.defaultLookup().find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
        static final MethodHandle FREE = LINKER.downcallHandle(
                LINKER.defaultLookup().find("free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** Blocks below this size go straight back to malloc, which keeps small blocks itself. */
    static final long CACHED_MIN_BYTES = 256 * 1024;
    /** Cached blocks are allocated with this alignment (a cache line; a 512-bit vector). */
    private static final long CACHED_ALIGNMENT = 64;
    private static final boolean CACHE_LIMIT_GIVEN = System.getProperty("recur.memory.cacheBytes") != null;
    private static volatile long cacheLimitBytes = Long.getLong("recur.memory.cacheBytes", 256L << 20);
    private static final ConcurrentHashMap<Long, ConcurrentLinkedQueue<MemorySegment>> CACHE = new ConcurrentHashMap<>();
    private static final AtomicLong CACHED_BYTES = new AtomicLong();

    private NativeMemory() {
    }

    /**
     * {@code bytes} of uninitialised memory aligned to {@code alignment} (a power of two, at
     * least 8), freed when {@code owner} closes; accessing it after that throws, as for any
     * segment of the arena.
     */
    public static MemorySegment allocate(long bytes, long alignment, Arena owner) {
        MemorySegment raw = allocateUnscoped(bytes, alignment);
        return raw.reinterpret(bytes, owner, NativeMemory::free);
    }

    /**
     * {@code bytes} of uninitialised memory that only {@link #free} releases: for kernels'
     * short-lived workspaces, where an arena's close would cost more than the work.
     */
    public static MemorySegment allocateUnscoped(long bytes, long alignment) {
        long size = Math.max(alignment, (bytes + alignment - 1) / alignment * alignment); // aligned_alloc's rule
        if (size < CACHED_MIN_BYTES) {
            return alignedAlloc(alignment, size).reinterpret(bytes);
        }
        long sizeClass = sizeClass(size);
        ConcurrentLinkedQueue<MemorySegment> freed = CACHE.get(sizeClass);
        MemorySegment block = freed == null ? null : freed.poll();
        if (block != null) {
            CACHED_BYTES.addAndGet(-sizeClass);
            if (block.address() % alignment == 0) {
                return block.reinterpret(bytes);
            }
            freeNow(block);
        }
        return alignedAlloc(Math.max(alignment, CACHED_ALIGNMENT), sizeClass).reinterpret(bytes);
    }

    /** Releases memory from {@link #allocateUnscoped}: large blocks into the cache while it has room. */
    public static void free(MemorySegment segment) {
        long bytes = segment.byteSize();
        if (bytes >= CACHED_MIN_BYTES) {
            long sizeClass = sizeClass(bytes);
            if (CACHED_BYTES.addAndGet(sizeClass) <= cacheLimitBytes) {
                CACHE.computeIfAbsent(sizeClass, c -> new ConcurrentLinkedQueue<>()).add(segment.reinterpret(sizeClass));
                return;
            }
            CACHED_BYTES.addAndGet(-sizeClass);
        }
        freeNow(segment);
    }

    /** Gives every cached block back to the C allocator (and so, for large blocks, to the system). */
    public static void releaseCached() {
        for (ConcurrentLinkedQueue<MemorySegment> freed : CACHE.values()) {
            MemorySegment block;
            while ((block = freed.poll()) != null) {
                CACHED_BYTES.addAndGet(-block.byteSize());
                freeNow(block);
            }
        }
    }

    /**
     * Raises the cache's limit to {@code bytes} for the rest of the process, unless
     * {@code -Drecur.memory.cacheBytes} set it: for a training run, whose steps allocate the same
     * blocks again and again, and whose blocks (a word model's logits and their gradients: tens of
     * megabytes each) can exceed the limit sized for services.
     */
    public static void raiseCacheLimit(long bytes) {
        if (!CACHE_LIMIT_GIVEN && bytes > cacheLimitBytes) cacheLimitBytes = bytes;
    }

    /** The cache's limit now, in bytes. */
    public static long cacheLimit() {
        return cacheLimitBytes;
    }

    /** Bytes held in the cache now. */
    public static long cachedBytes() {
        return CACHED_BYTES.get();
    }

    /**
     * The size a block of {@code bytes} (at least {@link #CACHED_MIN_BYTES}) is allocated with:
     * rounded up to a multiple of an eighth of the power of two below it. The sizes of one
     * training run repeat exactly; the classes also let variable-length batches reuse blocks.
     */
    static long sizeClass(long bytes) {
        long granule = Long.highestOneBit(bytes - 1) >>> 3;
        return (bytes + granule - 1) / granule * granule;
    }

    private static MemorySegment alignedAlloc(long alignment, long size) {
        JvmOptions.requireNativeAccess();
        MemorySegment address;
        try {
            address = (MemorySegment) Downcalls.ALIGNED_ALLOC.invokeExact(alignment, size);
        } catch (Throwable e) {
            throw new IllegalStateException("aligned_alloc failed", e);
        }
        if (address.address() == 0) {
            throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
        }
        return address;
    }

    private static void freeNow(MemorySegment segment) {
        try {
            Downcalls.FREE.invokeExact(segment);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
