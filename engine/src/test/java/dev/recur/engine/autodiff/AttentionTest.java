package dev.recur.engine.autodiff;

import dev.recur.engine.backend.KernelProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Dot and additive attention: gradients against finite differences, masks, and the weights themselves. */
class AttentionTest {
    private static int[] lengths(SplittableRandom rng, int steps, int batch, boolean padded) {
        if (!padded) return null;
        int[] l = new int[batch];
        for (int b = 0; b < batch; b++) l[b] = 1 + rng.nextInt(steps);
        return l;
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 1, false", "3, 2, 5, true", "17, 3, 4, true", "6, 5, 17, false"})
    void dotGradientsMatchFiniteDifferences(int steps, int batch, int width, boolean padded) {
        SplittableRandom rng = new SplittableRandom(steps * 31L + batch * 7L + width);
        int[] lengths = lengths(rng, steps, batch, padded);
        GradCheck.Result r = GradCheck.check(KernelProvider.defaultKernels(), v -> Attention.dot(v[0], v[1], lengths).context(),
                GradCheck.uniform(rng, steps, batch, width), GradCheck.uniform(rng, batch, width));
        for (double e : r.relativeErrors()) assertThat(e).as(r.report()).isLessThan(GradCheck.DEFAULT_TOLERANCE);
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 1, 1, false", "3, 2, 4, 5, true", "17, 3, 3, 6, true", "5, 4, 8, 3, false"})
    void additiveGradientsMatchFiniteDifferences(int steps, int batch, int attention, int width, boolean padded) {
        SplittableRandom rng = new SplittableRandom(steps * 17L + batch * 5L + attention * 3L + width);
        int[] lengths = lengths(rng, steps, batch, padded);
        GradCheck.Result r = GradCheck.check(KernelProvider.defaultKernels(),
                v -> Attention.additive(v[0], v[1], v[2], v[3], lengths).context(),
                GradCheck.uniform(rng, steps, batch, attention), GradCheck.uniform(rng, batch, attention),
                GradCheck.uniform(rng, attention), GradCheck.uniform(rng, steps, batch, width));
        for (double e : r.relativeErrors()) assertThat(e).as(r.report()).isLessThan(GradCheck.DEFAULT_TOLERANCE);
    }

    /** Weights sum to 1 over each sample's valid steps, are 0 past them, and the context is their mix of the values. */
    @Test
    void weightsAreASoftmaxOverTheValidStepsAndTheContextTheirMix() {
        try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
            int steps = 4, batch = 2, width = 2;
            // values[s, b, :]: sample 0 sees (s, 0); sample 1 sees (0, s).
            float[] values = new float[steps * batch * width];
            for (int s = 0; s < steps; s++) {
                values[(s * batch) * width] = s;
                values[(s * batch + 1) * width + 1] = s;
            }
            Var vals = g.constant(g.arena().of(values, steps, batch, width));
            Var query = g.constant(g.arena().of(new float[]{1, 0, 0, 2}, batch, width));
            Attention.Output out = Attention.dot(vals, query, new int[]{4, 2});
            float[] w = out.weights();
            double z0 = 0;
            for (int s = 0; s < 4; s++) z0 += Math.exp(s);
            for (int s = 0; s < 4; s++) assertThat(w[s]).isCloseTo((float) (Math.exp(s) / z0), within(1e-6f));
            double z1 = 1 + Math.exp(2);
            assertThat(w[4]).isCloseTo((float) (1 / z1), within(1e-6f));
            assertThat(w[5]).isCloseTo((float) (Math.exp(2) / z1), within(1e-6f));
            assertThat(w[6]).isZero();
            assertThat(w[7]).isZero();
            float[] c = out.context().value().toArray();
            double mix0 = 0;
            for (int s = 0; s < 4; s++) mix0 += s * Math.exp(s) / z0;
            assertThat(c[0]).isCloseTo((float) mix0, within(1e-5f));
            assertThat(c[3]).isCloseTo((float) (Math.exp(2) / z1), within(1e-6f));
        }
    }

    @Test
    void refusesMismatchedShapesAndLengths() {
        try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
            Var vals = g.constant(g.arena().zeros(3, 2, 4));
            assertThatThrownBy(() -> Attention.dot(vals, g.constant(g.arena().zeros(2, 5)), null))
                    .hasMessageContaining("dot attention needs values [S, B, H] and a query [B, H]");
            assertThatThrownBy(() -> Attention.dot(vals, g.constant(g.arena().zeros(2, 4)), new int[]{1, 4}))
                    .hasMessageContaining("length 4 outside 1..3");
            assertThatThrownBy(() -> Attention.additive(vals, g.constant(g.arena().zeros(2, 4)), g.constant(g.arena().zeros(3)),
                    vals, null)).hasMessageContaining("additive attention needs keys [S, B, A]");
        }
    }
}
