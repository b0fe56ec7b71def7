package dev.recur.engine.backend.cpu;

import dev.recur.engine.tensor.NativeMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Packed copies of weight matrices kept between inference calls, each validated by content.
 *
 * <p>Why: packing W_hh into panels reads and rewrites the whole matrix, as much traffic as one or
 * two recurrent steps, and its transpose code is slow until the JIT has compiled it — a serving
 * loop of short batch-1 sequences would pay both on every call. A cached entry keeps the packed
 * panels and a verbatim copy of the weights they came from; a lookup compares the caller's
 * weights with that copy ({@link MemorySegment#mismatch}, a vectorised compare that is fast from
 * the first call), so a weight changed in any way — an optimiser step, a loaded checkpoint, a
 * write through a raw segment — is never served stale panels. The compare reads twice the
 * weights' bytes, as much as two recurrent steps, so large ones are compared by all CPU threads,
 * each its own slice (one thread: 0.3 ms at LSTM H = 512, W_hh 4 MB, half of a batch-1 call of
 * one step).
 *
 * <p>Entries are immutable once published and may be read by several threads at once; a replaced
 * or evicted entry's memory is freed by the garbage collector when no call uses it any more.
 * Training calls do not use the cache: their weights change every step.
 */
final class PackedWeightCache {
    /** Packed panels and the weights they were packed from. */
    record Panels(MemorySegment source, MemorySegment packed) {
    }

    /** What a packed layout depends on besides the weights: where they live and how they are laid out. */
    private record Key(long address, long bytes, Object layout) {
    }

    private static final int MAX_ENTRIES = 16;
    /** Below this many bytes one thread compares: a pool round trip costs more than it saves. */
    private static final long PARALLEL_COMPARE_MIN_BYTES = 256 * 1024;
    private final Map<Key, Panels> entries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Panels> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /** The entry packed from exactly these weights with this layout, or null. */
    Panels find(MemorySegment weights, Object layout) {
        Panels entry;
        synchronized (entries) {
            entry = entries.get(new Key(weights.address(), weights.byteSize(), layout));
        }
        return entry != null && sameBytes(entry.source, weights) ? entry : null;
    }

    /** Whether a and b (of equal size) hold the same bytes. */
    static boolean sameBytes(MemorySegment a, MemorySegment b) {
        long bytes = a.byteSize();
        int slices = CpuParallel.threads();
        if (bytes < PARALLEL_COMPARE_MIN_BYTES || slices == 1 || !CpuParallel.sharedWithWorkers(a, b)) {
            return a.mismatch(b) == -1;
        }
        AtomicBoolean differs = new AtomicBoolean();
        CpuParallel.parallelFor(slices, i -> {
            long from = bytes * i / slices & -64, to = i == slices - 1 ? bytes : bytes * (i + 1) / slices & -64;
            if (!differs.get() && a.asSlice(from, to - from).mismatch(b.asSlice(from, to - from)) != -1) {
                differs.set(true);
            }
        });
        return !differs.get();
    }

    /** Uninitialised memory for a new entry: fill {@code packed}, then {@link #publish} it. */
    static Panels allocate(long weightBytes, long packedBytes) {
        Arena owner = Arena.ofAuto();
        return new Panels(NativeMemory.allocate(weightBytes, 64, owner), NativeMemory.allocate(packedBytes, 64, owner));
    }

    /** Records that {@code entry.packed} holds {@code weights} packed with {@code layout}. */
    void publish(MemorySegment weights, Object layout, Panels entry) {
        entry.source.copyFrom(weights);
        synchronized (entries) {
            entries.put(new Key(weights.address(), weights.byteSize(), layout), entry);
        }
    }
}
