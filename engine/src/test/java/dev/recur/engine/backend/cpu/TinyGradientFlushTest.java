package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vector cells' backward kernels flush gradients below 2^-64 to zero, so a run whose gradients
 * vanish never computes on subnormal floats; the naive twin keeps the exact tiny values.
 */
class TinyGradientFlushTest {
    private static final Kernels VECTOR = KernelProvider.vector();
    private static final Kernels NAIVE = KernelProvider.naive();
    private static final int B = 3, H = 32;

    private static MemorySegment filled(Arena arena, int n, SplittableRandom rng, double lo, double hi) {
        MemorySegment s = arena.allocate((long) n * Float.BYTES, 64);
        for (int i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, (float) rng.nextDouble(lo, hi));
        return s;
    }

    private static boolean anySubnormal(MemorySegment s) {
        for (long i = 0; i < s.byteSize() / Float.BYTES; i++) {
            float v = Math.abs(s.getAtIndex(JAVA_FLOAT, i));
            if (v != 0f && v < Float.MIN_NORMAL) return true;
        }
        return false;
    }

    private static boolean allZero(MemorySegment s) {
        for (long i = 0; i < s.byteSize() / Float.BYTES; i++) {
            if (s.getAtIndex(JAVA_FLOAT, i) != 0f) return false;
        }
        return true;
    }

    @Test
    void vanishingRnnAndLstmGradientsBecomeZeroNotSubnormal() {
        SplittableRandom rng = new SplittableRandom();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = filled(arena, B * H, rng, -0.9, 0.9);
            MemorySegment tinyDh = filled(arena, B * H, rng, 1e-40, 1e-38);   // subnormal and tiny gradients
            MemorySegment da = arena.allocate((long) B * H * Float.BYTES, 64), dhPrev = arena.allocate((long) B * H * Float.BYTES, 64);
            VECTOR.rnnBackward(B, H, 0, null, false, h, 0, tinyDh, 0, da, 0, dhPrev, 0);
            assertThat(allZero(da)).as("RNN da").isTrue();
            NAIVE.rnnBackward(B, H, 0, null, false, h, 0, tinyDh, 0, da, 0, dhPrev, 0);
            assertThat(anySubnormal(da)).as("the naive twin keeps them").isTrue();

            MemorySegment act = filled(arena, B * 4 * H, rng, 0.05, 0.95);
            MemorySegment cPrev = filled(arena, B * H, rng, -1, 1), cNext = filled(arena, B * H, rng, -1, 1);
            MemorySegment dc = filled(arena, B * H, rng, 1e-40, 1e-38);
            MemorySegment gates = arena.allocate((long) B * 4 * H * Float.BYTES, 64);
            VECTOR.lstmBackward(B, H, 0, null, act, 0, cPrev, 0, cNext, 0, tinyDh, 0, dc, 0, gates, 0);
            assertThat(allZero(gates)).as("LSTM gate gradients").isTrue();
            assertThat(allZero(dc)).as("LSTM dc_prev").isTrue();
        }
    }
}
