package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Recurrence;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The team-parallel recurrence ({@link FusedRecurrence}, behind VectorKernels.recurrentForward)
 * against the stepwise reference on naive kernels, at awkward hidden sizes (partial panels), batch
 * sizes that use both micro-kernels, both directions, with and without lengths, in training
 * (every step kept, then the backward too) and inference (ring) layout. Sizes are chosen so that most cases run with a
 * team of two, the rest with one.
 */
class FusedRecurrenceTest {
    private final long seed = Long.getLong("recur.test.seed", System.nanoTime());
    private final SplittableRandom rng = new SplittableRandom(seed);

    /** The buffers of one run; every output starts as NaN so a missing write shows. */
    private static final class Run {
        final Recurrence r;
        final MemorySegment states, cells, act, ghn, y;

        Run(Arena arena, CellMode mode, int steps, int batch, int hidden, int[] lengths, boolean reverse,
            boolean keepAll, float[] gx, float[] wHh, float[] bhn, float[] h0, float[] c0) {
            this(arena, mode, steps, batch, hidden, lengths, reverse, keepAll, WeightPrecision.FP32, gx, wHh, bhn, h0, c0);
        }

        Run(Arena arena, CellMode mode, int steps, int batch, int hidden, int[] lengths, boolean reverse,
            boolean keepAll, WeightPrecision weights, float[] gx, float[] wHh, float[] bhn, float[] h0, float[] c0) {
            int g = mode.gates(), slots = Recurrence.stateSlots(steps, keepAll), saved = Recurrence.savedSteps(steps, keepAll);
            states = nan(arena, (long) slots * batch * hidden);
            cells = mode == CellMode.LSTM ? nan(arena, (long) slots * batch * hidden) : null;
            act = mode == CellMode.LSTM || mode == CellMode.GRU ? nan(arena, (long) saved * batch * g * hidden) : null;
            ghn = mode == CellMode.GRU ? nan(arena, (long) saved * batch * hidden) : null;
            y = nan(arena, (long) steps * batch * hidden);
            r = new Recurrence(mode, steps, batch, hidden, hidden, lengths, reverse, keepAll, weights, arena.allocateFrom(JAVA_FLOAT, gx),
                    arena.allocateFrom(JAVA_FLOAT, wHh), bhn == null ? null : arena.allocateFrom(JAVA_FLOAT, bhn), null,
                    states, cells, act, ghn, null, y);
            setInitialState(h0, c0);
        }

        /** h0 (and c0) into the initial slot; an inference run overwrites it (its states are a ring). */
        void setInitialState(float[] h0, float[] c0) {
            long at = (long) r.initialSlot() * r.batch() * r.hidden() * Float.BYTES;
            MemorySegment.copy(h0, 0, states, JAVA_FLOAT, at, h0.length);
            if (cells != null) {
                MemorySegment.copy(c0, 0, cells, JAVA_FLOAT, at, c0.length);
            }
        }

        static MemorySegment nan(Arena arena, long n) {
            MemorySegment s = arena.allocate(JAVA_FLOAT, n);
            for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, Float.NaN);
            return s;
        }

        float[] finalState() {
            int n = r.batch() * r.hidden();
            return states.asSlice((long) r.finalSlot() * n * Float.BYTES, (long) n * Float.BYTES).toArray(JAVA_FLOAT);
        }
    }

    /** Both backwards from the same seeds (dY, dh_n, dc_n); every gradient to 1e-4 as the golden tests. */
    private void checkBackward(Arena arena, Run ref, Run fast, String as) {
        Recurrence r = ref.r;
        int n = r.batch() * r.hidden(), gates = r.steps() * n * r.mode().gates();
        float[] dY = random(r.steps() * n, 1), dh = random(n, 1), dc = random(n, 1);
        Recurrence.Grads[] grads = new Recurrence.Grads[2];
        for (int i = 0; i < 2; i++) {
            MemorySegment dgx = Run.nan(arena, gates);
            grads[i] = new Recurrence.Grads(arena.allocateFrom(JAVA_FLOAT, dY), arena.allocateFrom(JAVA_FLOAT, dh),
                    r.mode() == CellMode.LSTM ? arena.allocateFrom(JAVA_FLOAT, dc) : null, dgx,
                    r.mode() == CellMode.GRU ? Run.nan(arena, gates) : dgx, null);
        }
        KernelProvider.naive().recurrentBackward(ref.r, grads[0]);
        KernelProvider.vector().recurrentBackward(fast.r, grads[1]);
        assertThat(RelativeError.l2(grads[1].dgx().toArray(JAVA_FLOAT), grads[0].dgx().toArray(JAVA_FLOAT))).as("dgx " + as).isLessThan(1e-4);
        assertThat(RelativeError.l2(grads[1].dgh().toArray(JAVA_FLOAT), grads[0].dgh().toArray(JAVA_FLOAT))).as("dgh " + as).isLessThan(1e-4);
        assertThat(RelativeError.l2(grads[1].dh().toArray(JAVA_FLOAT), grads[0].dh().toArray(JAVA_FLOAT))).as("dh0 " + as).isLessThan(1e-4);
        if (grads[0].dc() != null) {
            assertThat(RelativeError.l2(grads[1].dc().toArray(JAVA_FLOAT), grads[0].dc().toArray(JAVA_FLOAT))).as("dc0 " + as).isLessThan(1e-4);
        }
    }

    private float[] random(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextDouble(-scale, scale);
        return a;
    }

    @ParameterizedTest
    @EnumSource(CellMode.class)
    void matchesTheStepwiseReference(CellMode mode) {
        // {batch, hidden}; {17, 17}, {21, 70}, {32, 64} and {16, 256} (LSTM's W_hh of 1 MiB, the largest)
        // split the batch rows over the team, the others the units; batches of 2, 3, 6 and 7 leave 2 or 3
        // rows to the 2-row kernel
        int[][] shapes = {{1, 255}, {3, 513}, {17, 17}, {5, 1}, {4, 64}, {6, 130}, {2, 70}, {7, 33}, {21, 70}, {32, 64},
                {16, 256}};
        for (int[] shape : shapes) {
            for (int variant = 0; variant < 4; variant++) {
                check(mode, 7, shape[0], shape[1], (variant & 1) == 1, (variant & 2) == 2);
            }
        }
    }

    private void check(CellMode mode, int steps, int batch, int hidden, boolean reverse, boolean masked) {
        int g = mode.gates();
        float[] gx = random(steps * batch * g * hidden, 2), wHh = random(g * hidden * hidden, 1 / Math.sqrt(hidden));
        float[] bhn = mode == CellMode.GRU ? random(hidden, 0.5) : null;
        float[] h0 = random(batch * hidden, 1), c0 = random(batch * hidden, 1);
        int[] lengths = null;
        if (masked) {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++) lengths[b] = 1 + rng.nextInt(steps);
        }
        String what = "%s T=%d B=%d H=%d reverse=%s lengths=%s seed=%d".formatted(mode, steps, batch, hidden, reverse, masked, seed);
        try (Arena arena = Arena.ofShared()) {
            for (boolean keepAll : new boolean[]{true, false}) {
                Run ref = new Run(arena, mode, steps, batch, hidden, lengths, reverse, keepAll, gx, wHh, bhn, h0, c0);
                Run fast = new Run(arena, mode, steps, batch, hidden, lengths, reverse, keepAll, gx, wHh, bhn, h0, c0);
                KernelProvider.naive().recurrentForward(ref.r);
                KernelProvider.vector().recurrentForward(fast.r);
                String as = what + " keepAll=" + keepAll;
                assertThat(RelativeError.l2(fast.y.toArray(JAVA_FLOAT), ref.y.toArray(JAVA_FLOAT))).as("y " + as).isLessThan(1e-5);
                assertThat(RelativeError.l2(fast.finalState(), ref.finalState())).as("h_n " + as).isLessThan(1e-5);
                if (keepAll) {
                    assertThat(RelativeError.l2(fast.states.toArray(JAVA_FLOAT), ref.states.toArray(JAVA_FLOAT)))
                            .as("states " + as).isLessThan(1e-5);
                    if (ref.cells != null) {
                        assertThat(RelativeError.l2(fast.cells.toArray(JAVA_FLOAT), ref.cells.toArray(JAVA_FLOAT)))
                                .as("cells " + as).isLessThan(1e-5);
                    }
                    if (ref.act != null && !masked) { // padded steps leave act unwritten in both
                        assertThat(RelativeError.l2(fast.act.toArray(JAVA_FLOAT), ref.act.toArray(JAVA_FLOAT)))
                                .as("act " + as).isLessThan(1e-5);
                    }
                    checkBackward(arena, ref, fast, as);
                }
            }
        }
    }

    /**
     * bf16 weights: the fast kernels, which stream W_hh as bf16 and widen it in registers, give
     * bitwise what the fp32 fast kernels give on W_hh rounded in advance, and match the naive twin
     * (W_hh rounded, then the stepwise reference); the rounding is really applied (the output
     * differs from fp32's, by about what bf16's 8-bit mantissa allows).
     */
    @ParameterizedTest
    @EnumSource(CellMode.class)
    void bf16WeightsAreTheFp32KernelsOnRoundedWeights(CellMode mode) {
        int[][] shapes = {{1, 255}, {3, 513}, {17, 17}, {5, 1}, {4, 64}, {2, 130}, {21, 70}, {32, 64}, {1, 128}};
        for (int[] shape : shapes) {
            int steps = 6, batch = shape[0], hidden = shape[1], g = mode.gates();
            float[] gx = random(steps * batch * g * hidden, 2), wHh = random(g * hidden * hidden, 1 / Math.sqrt(hidden));
            float[] rounded = new float[wHh.length];
            for (int i = 0; i < wHh.length; i++) rounded[i] = WeightPrecision.fromBf16(WeightPrecision.toBf16(wHh[i]));
            float[] bhn = mode == CellMode.GRU ? random(hidden, 0.5) : null;
            float[] h0 = random(batch * hidden, 1), c0 = random(batch * hidden, 1);
            int[] lengths = new int[batch];
            for (int b = 0; b < batch; b++) lengths[b] = 1 + rng.nextInt(steps);
            String as = "%s B=%d H=%d seed=%d".formatted(mode, batch, hidden, seed);
            try (Arena arena = Arena.ofShared()) {
                Run bf16 = new Run(arena, mode, steps, batch, hidden, lengths, true, false, WeightPrecision.BF16, gx, wHh,
                        bhn, h0, c0);
                Run onRounded = new Run(arena, mode, steps, batch, hidden, lengths, true, false, gx, rounded, bhn, h0, c0);
                Run naive = new Run(arena, mode, steps, batch, hidden, lengths, true, false, WeightPrecision.BF16, gx, wHh,
                        bhn, h0, c0);
                Run fp32 = new Run(arena, mode, steps, batch, hidden, lengths, true, false, gx, wHh, bhn, h0, c0);
                KernelProvider.vector().recurrentForward(bf16.r);
                KernelProvider.vector().recurrentForward(onRounded.r);
                KernelProvider.naive().recurrentForward(naive.r);
                KernelProvider.vector().recurrentForward(fp32.r);
                float[] y = bf16.y.toArray(JAVA_FLOAT);
                assertThat(Arrays.equals(y, onRounded.y.toArray(JAVA_FLOAT))).as("bitwise the fp32 kernels on rounded W_hh, " + as).isTrue();
                assertThat(RelativeError.l2(y, naive.y.toArray(JAVA_FLOAT))).as("y vs naive twin, " + as).isLessThan(1e-5);
                assertThat(RelativeError.l2(bf16.finalState(), naive.finalState())).as("h_n vs naive twin, " + as).isLessThan(1e-5);
                double fromFp32 = RelativeError.l2(y, fp32.y.toArray(JAVA_FLOAT));
                assertThat(fromFp32).as("bf16 vs fp32 weights, " + as).isGreaterThan(0).isLessThan(2e-2);
            }
        }
    }

    @Test
    void bf16WeightsRefuseTraining() {
        try (Arena arena = Arena.ofShared()) {
            assertThatThrownBy(() -> new Run(arena, CellMode.GRU, 2, 1, 3, null, false, true,
                            WeightPrecision.BF16, new float[18], new float[27], new float[3], new float[3], new float[3]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inference only");
        }
    }

    /**
     * Inference reuses packed W_hh between calls (PackedWeightCache): a second call with the same
     * weights gives bitwise the same result, and a weight changed in place between calls — one
     * element, at the end of the matrix — is always seen.
     */
    @ParameterizedTest
    @EnumSource(CellMode.class)
    void packedWeightsFollowEveryChangeOfTheWeights(CellMode mode) {
        int steps = 5, batch = 3, hidden = 130, g = mode.gates();
        float[] gx = random(steps * batch * g * hidden, 2), wHh = random(g * hidden * hidden, 1 / Math.sqrt(hidden));
        float[] bhn = mode == CellMode.GRU ? random(hidden, 0.5) : null;
        float[] h0 = random(batch * hidden, 1), c0 = random(batch * hidden, 1);
        try (Arena arena = Arena.ofShared()) {
            Run fast = new Run(arena, mode, steps, batch, hidden, null, false, false, gx, wHh, bhn, h0, c0);
            KernelProvider.vector().recurrentForward(fast.r);
            float[] first = fast.y.toArray(JAVA_FLOAT);
            fast.setInitialState(h0, c0);
            KernelProvider.vector().recurrentForward(fast.r);
            assertThat(Arrays.equals(fast.y.toArray(JAVA_FLOAT), first)).as("second call, same weights: bitwise equal").isTrue();

            int last = wHh.length - 1;
            wHh[last] += 0.5f;
            fast.r.wHh().setAtIndex(JAVA_FLOAT, last, wHh[last]);
            fast.setInitialState(h0, c0);
            KernelProvider.vector().recurrentForward(fast.r);
            Run ref = new Run(arena, mode, steps, batch, hidden, null, false, false, gx, wHh, bhn, h0, c0);
            KernelProvider.naive().recurrentForward(ref.r);
            float[] changed = fast.y.toArray(JAVA_FLOAT);
            assertThat(Arrays.equals(changed, first)).as("weights changed in place: output changes").isFalse();
            assertThat(RelativeError.l2(changed, ref.y.toArray(JAVA_FLOAT))).as("y after the change, seed " + seed).isLessThan(1e-5);
        }
    }
}
