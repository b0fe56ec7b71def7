package dev.recur.engine.autodiff;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatherTest {

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,2,5", "17,3,1", "6,5,17"})
    void stepPerSampleGradientMatchesFiniteDifferences(int t, int b, int f) {
        SplittableRandom rng = new SplittableRandom(t * 131L + b * 7L + f);
        int[] steps = new int[b];
        for (int i = 0; i < b; i++) steps[i] = rng.nextInt(t);
        GradCheck.Result r = GradCheck.check(KernelProvider.defaultKernels(), v -> Gather.stepPerSample(v[0], steps),
                GradCheck.uniform(rng, t, b, f));
        assertThat(r.relativeErrors()[0]).as(r.report()).isLessThan(GradCheck.DEFAULT_TOLERANCE);
    }

    @Test
    void picksExactlyTheRequestedRowsAndReadsNothingElse() {
        try (Graph g = Graph.training(KernelProvider.defaultKernels())) {
            int t = 4, b = 3, f = 2;
            float[] x = new float[t * b * f];
            for (int i = 0; i < x.length; i++) x[i] = Float.NaN;
            int[] steps = {3, 0, 2};
            for (int s = 0; s < b; s++) {
                for (int j = 0; j < f; j++) x[(steps[s] * b + s) * f + j] = 10 * s + j;
            }
            Var xv = g.variable(g.arena().of(x, t, b, f));
            Var y = Gather.stepPerSample(xv, steps);
            assertThat(y.value().toArray()).containsExactly(0, 1, 10, 11, 20, 21);
            g.backward(Reductions.sum(y));
            float[] dx = xv.grad().toArray();
            float sum = 0;
            for (float v : dx) sum += v;
            assertThat(sum).isEqualTo(b * f);
            assertThat(dx[(3 * b) * f]).isEqualTo(1f);
        }
    }

    @Test
    void refusesStepsOutOfRange() {
        try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
            Var x = g.constant(g.arena().zeros(2, 2, 1));
            assertThatThrownBy(() -> Gather.stepPerSample(x, new int[]{0, 2})).hasMessageContaining("step 2 of sample 1");
            assertThatThrownBy(() -> Gather.stepPerSample(x, new int[]{0})).hasMessageContaining("1 steps for batch 2");
        }
    }
}
