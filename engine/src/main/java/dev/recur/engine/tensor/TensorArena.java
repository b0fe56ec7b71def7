package dev.recur.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Owner of off-heap tensor memory. Every tensor allocated here is freed at once by {@link #close()}:
 * a training step's activations live in one arena, a model's parameters in another.
 *
 * <p>Backed by a shared {@link Arena} so that the multi-threaded kernels may read and write the
 * tensors from worker threads. After close, any access to one of its tensors throws
 * {@link IllegalStateException} (the FFM runtime checks liveness); closing twice throws too.
 * The memory itself comes from {@link NativeMemory} (malloc, not zero-filled, reused after free).
 *
 * <p>That check has a price: closing a shared arena is a handshake with every thread of the JVM,
 * 42 µs on an idle 2-vCPU VM and 110-125 µs beside one busy thread (AMD EPYC Zen 5, 2026-12-07),
 * as much as a whole batch-1 call of a small model. {@link #openUnchecked} makes an arena without
 * it, for memory that no one touches after close: a call's scratch whose results are copied out.
 */
public final class TensorArena implements AutoCloseable {
    /** Tensor data is aligned to a cache line (and to a 512-bit vector). */
    public static final long ALIGNMENT = 64;

    private final Arena arena;               // null: unchecked, the blocks below are freed by close()
    private final List<MemorySegment> blocks;
    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TensorArena(Arena arena, String name) {
        this.arena = arena;
        this.blocks = arena == null ? new ArrayList<>() : null;
        this.name = name;
    }

    /** A new arena whose memory is released as one piece by {@link #close()}. */
    public static TensorArena open(String name) {
        return new TensorArena(Arena.ofShared(), name);
    }

    /**
     * A new arena whose memory {@link #close()} frees without the liveness check: a tensor used
     * after close reads or writes freed memory instead of throwing. For a call's scratch that
     * nothing outlives (its results copied out before close); closing it costs no handshake.
     */
    public static TensorArena openUnchecked(String name) {
        return new TensorArena(null, name);
    }

    /** Uninitialised storage: the caller overwrites every element. */
    public Tensor empty(int... shape) {
        return new Tensor(this, allocateUninitialised(Tensor.checkedSize(shape)), shape);
    }

    /** Zero-filled storage. */
    public Tensor zeros(int... shape) {
        Tensor t = empty(shape);
        t.data().fill((byte) 0);
        return t;
    }

    /** A tensor holding a copy of {@code values} (row-major) with the given shape. */
    public Tensor of(float[] values, int... shape) {
        long size = Tensor.checkedSize(shape);
        if (size != values.length) {
            throw new IllegalArgumentException("shape " + Tensor.shapeString(shape) + " holds " + size
                    + " elements but " + values.length + " values were given");
        }
        Tensor t = empty(shape);
        MemorySegment.copy(values, 0, t.data(), Tensor.FLOAT, 0, values.length);
        return t;
    }

    /** A copy of {@code source} owned by this arena. */
    public Tensor copyOf(Tensor source) {
        Tensor t = empty(source.shape());
        MemorySegment.copy(source.data(), 0, t.data(), 0, source.data().byteSize());
        return t;
    }

    /** Raw aligned float storage for kernels' scratch space, zero-filled. */
    public MemorySegment allocateFloats(long count) {
        MemorySegment s = allocateUninitialised(count);
        s.fill((byte) 0);
        return s;
    }

    private MemorySegment allocateUninitialised(long count) {
        ensureOpen();
        // Never zero bytes: a zero-length block gives no alignment guarantee worth keeping.
        long bytes = Math.max(1, count) * Float.BYTES;
        if (arena != null) return NativeMemory.allocate(bytes, ALIGNMENT, arena);
        MemorySegment block = NativeMemory.allocateUnscoped(bytes, ALIGNMENT);
        synchronized (blocks) {
            blocks.add(block);
        }
        return block;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    public String name() {
        return name;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("tensor arena '" + name + "' is closed");
        }
    }

    /** Frees every tensor of this arena. A second call throws {@link IllegalStateException}. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            throw new IllegalStateException("tensor arena '" + name + "' was already closed");
        }
        if (arena != null) {
            arena.close();
            return;
        }
        synchronized (blocks) {
            for (MemorySegment block : blocks) NativeMemory.free(block);
            blocks.clear();
        }
    }

    @Override
    public String toString() {
        return "TensorArena[" + name + (isOpen() ? "" : ", closed") + "]";
    }
}
