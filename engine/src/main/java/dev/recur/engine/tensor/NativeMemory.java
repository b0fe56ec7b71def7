package dev.recur.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Uninitialised native memory from the C allocator ({@code aligned_alloc} / {@code free}).
 *
 * <p>Why not {@link Arena#allocate}: it zero-fills every block, and each forward pass allocates
 * tens of megabytes of activations that the kernels overwrite anyway; the zeroing (and, for blocks
 * the allocator maps fresh, the page faults it triggers) cost as much as a quarter of an LSTM
 * layer's forward. malloc hands freed blocks back out without either.
 */
public final class NativeMemory {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle ALIGNED_ALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("aligned_alloc").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS));

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
        MemorySegment address;
        try {
            address = (MemorySegment) ALIGNED_ALLOC.invokeExact(alignment, size);
        } catch (Throwable e) {
            throw new IllegalStateException("aligned_alloc failed", e);
        }
        if (address.address() == 0) {
            throw new OutOfMemoryError("native allocation of " + bytes + " bytes failed");
        }
        return address.reinterpret(bytes);
    }

    /** Releases memory from {@link #allocateUnscoped}. */
    public static void free(MemorySegment segment) {
        try {
            FREE.invokeExact(segment);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
