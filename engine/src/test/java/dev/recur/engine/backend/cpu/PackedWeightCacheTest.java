package dev.recur.engine.backend.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cache's content check, which large weights run on every CPU thread, each its own slice: a
 * changed byte is seen wherever it lies — first, last, either side of a slice boundary — and
 * equal contents are equal, for sizes below, at and above the parallel threshold.
 */
class PackedWeightCacheTest {
    @ParameterizedTest
    @ValueSource(longs = {1, 3, 17, 255, 513, 256 * 1024 - 1, 256 * 1024, 4 * 1024 * 1024 + 3})
    void sameBytesSeesEveryChangedByte(long bytes) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(bytes, 64), b = arena.allocate(bytes, 64);
            SplittableRandom rng = new SplittableRandom(bytes);
            for (long i = 0; i < bytes; i++) a.set(ValueLayout.JAVA_BYTE, i, (byte) rng.nextInt());
            b.copyFrom(a);
            assertThat(PackedWeightCache.sameBytes(a, b)).as("equal, %d bytes", bytes).isTrue();

            int threads = CpuParallel.threads();
            long[] positions = LongStream.concat(LongStream.of(0, bytes / 2, bytes - 1),
                    LongStream.range(1, threads).flatMap(i -> LongStream.of(bytes * i / threads & -64,
                            (bytes * i / threads & -64) - 1))).filter(p -> p >= 0 && p < bytes).toArray();
            for (long p : positions) {
                byte original = b.get(ValueLayout.JAVA_BYTE, p);
                b.set(ValueLayout.JAVA_BYTE, p, (byte) (original ^ 0x10));
                assertThat(PackedWeightCache.sameBytes(a, b)).as("byte %d of %d changed", p, bytes).isFalse();
                b.set(ValueLayout.JAVA_BYTE, p, original);
            }
        }
    }
}
