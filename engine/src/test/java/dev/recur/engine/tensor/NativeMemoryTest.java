package dev.recur.engine.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/** NativeMemory's cache of large blocks: reuse by size class, alignment, the limit's bookkeeping. */
class NativeMemoryTest {

    @Test
    void sizeClassesRoundUpByAtMostAnEighth() {
        assertThat(NativeMemory.sizeClass(NativeMemory.CACHED_MIN_BYTES)).isEqualTo(NativeMemory.CACHED_MIN_BYTES);
        assertThat(NativeMemory.sizeClass(7L << 20)).isEqualTo(7L << 20);
        assertThat(NativeMemory.sizeClass((1L << 20) + 1)).isEqualTo((1L << 20) + (1L << 17));
        long previous = 0;
        for (long bytes = NativeMemory.CACHED_MIN_BYTES; bytes < 1L << 34; bytes = bytes * 9 / 7 + 13) {
            long c = NativeMemory.sizeClass(bytes);
            assertThat(c).as("class of %d", bytes).isBetween(bytes, bytes + bytes / 8);
            assertThat(c % 64).as("class of %d", bytes).isZero();
            assertThat(c).isGreaterThanOrEqualTo(previous);
            previous = c;
        }
    }

    @Test
    void aFreedLargeBlockIsHandedOutAgainAndReleasedOnRequest() {
        NativeMemory.releaseCached();
        long bytes = (3L << 20) + 12_345;
        MemorySegment first = NativeMemory.allocateUnscoped(bytes, 64);
        assertThat(first.byteSize()).isEqualTo(bytes);
        assertThat(first.address() % 64).isZero();
        long address = first.address();
        NativeMemory.free(first);
        assertThat(NativeMemory.cachedBytes()).isEqualTo(NativeMemory.sizeClass(bytes));

        MemorySegment again = NativeMemory.allocateUnscoped(bytes - 1000, 64);   // same class
        assertThat(again.address()).isEqualTo(address);
        assertThat(NativeMemory.cachedBytes()).isZero();
        again.fill((byte) 7);   // the whole requested size is usable
        NativeMemory.free(again);

        MemorySegment stricter = NativeMemory.allocateUnscoped(bytes, 4096);   // cached block not aligned enough: fresh
        assertThat(stricter.address() % 4096).isZero();
        NativeMemory.free(stricter);
        NativeMemory.releaseCached();
        assertThat(NativeMemory.cachedBytes()).isZero();
    }

    @Test
    void aClosedArenasTensorsLendTheirMemoryToTheNextArena() {
        NativeMemory.releaseCached();
        long address;
        try (TensorArena step = TensorArena.open("step 1")) {
            address = step.empty(128, 28, 512).data().address();
        }
        try (TensorArena step = TensorArena.open("step 2")) {
            assertThat(step.empty(128, 28, 512).data().address()).isEqualTo(address);
        }
        NativeMemory.releaseCached();
    }
}
