package dev.recur.engine.onnx;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The original GRU on the engine's kernels ({@link OnnxResetBeforeGru}) against its reference, the
 * spec's equations step by step ({@link OnnxStepwiseRecurrence}), on fresh random inputs with
 * awkward sizes, lengths in any order, both directions, with and without B and initial_h, on the
 * vector kernels and their naive twins. (ONNX Runtime's goldens hold both to ONNX's results.)
 */
class OnnxResetBeforeGruTest {

    @ParameterizedTest(name = "T={0} B={1} I={2} H={3} lengths={4} bias={5} h0={6} reverse={7}")
    @CsvSource({
            "1, 1, 1, 1, false, true, false, false",
            "5, 3, 4, 17, false, true, true, false",
            "7, 17, 3, 5, true, true, false, true",
            "6, 4, 13, 33, true, false, true, false",
            "3, 2, 255, 3, false, false, false, true",
            "9, 5, 16, 64, true, true, true, true"})
    void matchesTheStepwiseReference(int steps, int batch, int input, int hidden, boolean withLengths, boolean withBias,
                                     boolean withH0, boolean reverse) {
        SplittableRandom rng = new SplittableRandom(System.nanoTime());
        float[] x = uniform(rng, steps * batch * input, 1), w = uniform(rng, 3 * hidden * input, 0.6f);
        float[] r = uniform(rng, 3 * hidden * hidden, 0.6f);
        float[] bias = withBias ? uniform(rng, 6 * hidden, 0.5f) : null, h0 = withH0 ? uniform(rng, batch * hidden, 1) : null;
        int[] lengths = null;
        if (withLengths) {
            lengths = new int[batch];
            for (int b = 0; b < batch; b++) lengths[b] = 1 + rng.nextInt(steps);
        }
        OnnxStepwiseRecurrence.Cell cell = new OnnxStepwiseRecurrence.Cell("GRU", hidden,
                new OnnxActivation[]{OnnxActivation.SIGMOID, OnnxActivation.TANH}, Float.NaN, false, false);
        assertThat(OnnxResetBeforeGru.runs(cell)).isTrue();
        float[] yRef = new float[steps * batch * hidden], hRef = new float[batch * hidden];
        OnnxStepwiseRecurrence.run(cell, KernelProvider.naive(), steps, batch, input, x, w, r, bias, null, lengths, reverse,
                h0, null, yRef, hRef, null);
        for (Kernels k : new Kernels[]{KernelProvider.vector(), KernelProvider.naive()}) {
            float[] y = new float[steps * batch * hidden], h = new float[batch * hidden];
            OnnxResetBeforeGru.run(k, steps, batch, input, hidden, x, w, r, bias, lengths, reverse, h0, y, h);
            assertThat(RelativeError.l2(y, yRef)).as(k.name() + " Y").isLessThanOrEqualTo(1e-5);
            assertThat(RelativeError.l2(h, hRef)).as(k.name() + " Y_h").isLessThanOrEqualTo(1e-5);
        }
    }

    private static float[] uniform(SplittableRandom rng, int n, float scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) rng.nextDouble(-scale, scale);
        return out;
    }
}
