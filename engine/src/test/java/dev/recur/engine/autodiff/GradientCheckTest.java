package dev.recur.engine.autodiff;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.recur.engine.autodiff.GradCheck.awayFromZero;
import static dev.recur.engine.autodiff.GradCheck.check;
import static dev.recur.engine.autodiff.GradCheck.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every differentiable op against central finite differences, with both kernel sets. Inputs come
 * from fixed seeds so that a failure reproduces exactly.
 */
class GradientCheckTest {

    static Stream<Kernels> kernels() {
        return Stream.of(KernelProvider.naive(), KernelProvider.vector());
    }

    private static SplittableRandom rng(int salt) {
        return new SplittableRandom(20240601L + salt);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void matmulAllTransposes(Kernels k) {
        SplittableRandom r = rng(1);
        int m = 3, kk = 5, n = 7;
        check(k, v -> MatMul.matmul(v[0], v[1], false, false), uniform(r, m, kk), uniform(r, kk, n));
        check(k, v -> MatMul.matmul(v[0], v[1], true, false), uniform(r, kk, m), uniform(r, kk, n));
        check(k, v -> MatMul.matmul(v[0], v[1], false, true), uniform(r, m, kk), uniform(r, n, kk));
        check(k, v -> MatMul.matmul(v[0], v[1], true, true), uniform(r, kk, m), uniform(r, n, kk));
        // x·x^T: one Var on both sides, both gradients accumulate into it.
        check(k, v -> MatMul.matmul(v[0], v[0], false, true), uniform(r, 4, 3));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void elementwiseSameShape(Kernels k) {
        SplittableRandom r = rng(2);
        check(k, v -> Elementwise.add(v[0], v[1]), uniform(r, 4, 3), uniform(r, 4, 3));
        check(k, v -> Elementwise.sub(v[0], v[1]), uniform(r, 4, 3), uniform(r, 4, 3));
        check(k, v -> Elementwise.mul(v[0], v[1]), uniform(r, 2, 3, 5), uniform(r, 2, 3, 5));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void elementwiseBroadcast(Kernels k) {
        SplittableRandom r = rng(3);
        // row vector [4,3] op [3]
        check(k, v -> Elementwise.add(v[0], v[1]), uniform(r, 4, 3), uniform(r, 3));
        check(k, v -> Elementwise.sub(v[0], v[1]), uniform(r, 4, 3), uniform(r, 3));
        check(k, v -> Elementwise.mul(v[0], v[1]), uniform(r, 4, 3), uniform(r, 3));
        // the broadcast operand on the left
        check(k, v -> Elementwise.sub(v[0], v[1]), uniform(r, 3), uniform(r, 4, 3));
        // column [4,3] op [4,1]
        check(k, v -> Elementwise.mul(v[0], v[1]), uniform(r, 4, 3), uniform(r, 4, 1));
        check(k, v -> Elementwise.add(v[0], v[1]), uniform(r, 4, 3), uniform(r, 4, 1));
        check(k, v -> Elementwise.sub(v[0], v[1]), uniform(r, 4, 1), uniform(r, 4, 3));
        // leading dimension [2,4,3] op [4,3]
        check(k, v -> Elementwise.add(v[0], v[1]), uniform(r, 2, 4, 3), uniform(r, 4, 3));
        check(k, v -> Elementwise.sub(v[0], v[1]), uniform(r, 2, 4, 3), uniform(r, 4, 3));
        check(k, v -> Elementwise.mul(v[0], v[1]), uniform(r, 2, 4, 3), uniform(r, 4, 3));
        // both sides broadcast: [4,1] op [1,3]
        check(k, v -> Elementwise.mul(v[0], v[1]), uniform(r, 4, 1), uniform(r, 1, 3));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void biasScaleAndActivations(Kernels k) {
        SplittableRandom r = rng(4);
        check(k, v -> Elementwise.addBias(v[0], v[1]), uniform(r, 2, 4, 3), uniform(r, 3));
        check(k, v -> Elementwise.scale(v[0], -2.5f), uniform(r, 4, 3));
        check(k, v -> Activations.sigmoid(v[0]), uniform(r, -3f, 3f, 5, 7));
        check(k, v -> Activations.tanh(v[0]), uniform(r, -2f, 2f, 5, 7));
        // relu: no input within 5h of the kink, where the finite difference would straddle it.
        check(k, v -> Activations.relu(v[0]), awayFromZero(r, 0.05f, 5, 7));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shapeOps(Kernels k) {
        SplittableRandom r = rng(5);
        check(k, v -> Shapes.slice(v[0], 0, 1, 3), uniform(r, 4, 3, 2));
        check(k, v -> Shapes.slice(v[0], 1, 1, 2), uniform(r, 4, 3, 2));
        check(k, v -> Shapes.slice(v[0], -1, 0, 1), uniform(r, 4, 3, 2));
        check(k, v -> Shapes.concat(0, v[0], v[1]), uniform(r, 2, 3), uniform(r, 3, 3));
        check(k, v -> Shapes.concat(-1, v[0], v[1], v[2]), uniform(r, 2, 2, 1), uniform(r, 2, 2, 3), uniform(r, 2, 2, 2));
        check(k, v -> Shapes.concat(1, v[0], v[1]), uniform(r, 2, 1, 3), uniform(r, 2, 2, 3));
        check(k, v -> Shapes.reshape(v[0], 6, 2), uniform(r, 3, 4));
        check(k, v -> Shapes.swapLeadingAxes(v[0]), uniform(r, 3, 4, 2));
        check(k, v -> Shapes.swapLeadingAxes(v[0]), uniform(r, 2, 5));
        // a composition: the slice's gradient must land in the right place of a reshaped concat
        check(k, v -> Shapes.slice(Shapes.reshape(Shapes.concat(0, v[0], v[1]), 3, 4), 1, 1, 3),
                uniform(r, 2, 3), uniform(r, 2, 3));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void embeddingWithRepeatedIds(Kernels k) {
        SplittableRandom r = rng(6);
        int[] ids = {3, 0, 3, 4, 3, 1};
        check(k, v -> Embedding.lookup(v[0], ids), uniform(r, 5, 4));
        check(k, v -> Embedding.lookup(v[0], ids, 3, 2), uniform(r, 5, 4));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void dropoutWithFixedMask(Kernels k) {
        SplittableRandom r = rng(7);
        // A fresh generator with the same seed inside the op: every evaluation draws the same mask.
        check(k, v -> Dropout.apply(v[0], 0.4f, true, new SplittableRandom(99)), uniform(r, 6, 5));
        check(k, v -> Dropout.apply(Activations.tanh(v[0]), 0.25f, true, new SplittableRandom(5)), uniform(r, 3, 7));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void losses(Kernels k) {
        SplittableRandom r = rng(8);
        int[] targets = {2, 0, 4, 4, 1};
        check(k, v -> Losses.softmaxCrossEntropy(v[0], targets, (float[]) null), uniform(r, -3f, 3f, 5, 5));
        float[] mask = {1f, 0f, 1f, 0f, 1f};
        check(k, v -> Losses.softmaxCrossEntropy(v[0], targets, mask), uniform(r, -3f, 3f, 5, 5));
        float[] weighted = {0.5f, 2f, 0f, 1f, 1f};
        check(k, v -> Losses.softmaxCrossEntropy(v[0], targets, weighted), uniform(r, -3f, 3f, 5, 5));
        check(k, v -> Losses.mse(v[0], v[1]), uniform(r, 3, 4), uniform(r, 3, 4));
        check(k, v -> Reductions.sum(v[0]), uniform(r, 3, 4));
        check(k, v -> Reductions.sum(Elementwise.mul(Activations.tanh(v[0]), v[1])), uniform(r, 3, 4), uniform(r, 3, 4));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void maskedRowsGetExactlyZeroGradient(Kernels k) {
        SplittableRandom r = rng(9);
        int rows = 6, classes = 7;
        float[] logits = uniform(r, -4f, 4f, rows, classes).values();
        int[] targets = {1, 6, 0, 3, 3, 5};
        float[] mask = {1f, 0f, 1f, 0f, 0f, 1f};
        try (Graph g = Graph.training(k)) {
            Var x = g.variable(g.arena().of(logits, rows, classes));
            Var loss = Losses.softmaxCrossEntropy(x, targets, mask);
            // The loss is the mean over the 3 valid rows, in double.
            double expect = 0;
            for (int row : new int[]{0, 2, 5}) {
                double max = Double.NEGATIVE_INFINITY, s = 0;
                for (int c = 0; c < classes; c++) max = Math.max(max, logits[row * classes + c]);
                for (int c = 0; c < classes; c++) s += Math.exp(logits[row * classes + c] - max);
                expect += max + Math.log(s) - logits[row * classes + targets[row]];
            }
            assertThat((double) loss.value().get(0)).isCloseTo(expect / 3, org.assertj.core.data.Offset.offset(1e-5));
            g.backward(loss);
            float[] grad = x.grad().toArray();
            for (int row : new int[]{1, 3, 4}) {
                for (int c = 0; c < classes; c++) assertThat(grad[row * classes + c]).isEqualTo(0f);
            }
            for (int row : new int[]{0, 2, 5}) {
                double rowSum = 0;
                for (int c = 0; c < classes; c++) rowSum += grad[row * classes + c];
                assertThat(rowSum).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-6));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void crossEntropyWithNoValidRowIsZero(Kernels k) {
        try (Graph g = Graph.training(k)) {
            Var x = g.variable(g.arena().of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
            Var loss = Losses.softmaxCrossEntropy(x, new int[]{0, 2}, new float[]{0f, 0f});
            assertThat(loss.value().get(0)).isEqualTo(0f);
            g.backward(loss);
            assertThat(x.grad().toArray()).containsOnly(0f);
        }
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        try (Graph g = Graph.training(KernelProvider.naive())) {
            Var x = g.variable(g.arena().of(new float[]{1000f, -1000f, 0f, 3e4f, 3e4f, -3e4f}, 2, 3));
            Var loss = Losses.softmaxCrossEntropy(x, new int[]{0, 1}, (float[]) null);
            // row 0: nll 0; row 1: nll = log 2
            assertThat((double) loss.value().get(0)).isCloseTo(Math.log(2) / 2, org.assertj.core.data.Offset.offset(1e-6));
            g.backward(loss);
            for (float v : x.grad().toArray()) assertThat(Float.isFinite(v)).isTrue();
        }
    }

    @Test
    void opArgumentErrors() {
        try (Graph g = Graph.training(KernelProvider.naive())) {
            Var table = g.variable(g.arena().zeros(5, 2));
            assertThatThrownBy(() -> Embedding.lookup(table, new int[]{1, 5}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5").hasMessageContaining("[0, 5)");
            assertThatThrownBy(() -> Embedding.lookup(table, new int[]{-1}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
            assertThatThrownBy(() -> Embedding.lookup(table, new int[]{1, 2, 3}, 2, 2))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(Embedding.lookup(table, new int[]{1, 2, 3, 4}, 2, 2).shape()).containsExactly(2, 2, 2);

            Var x = g.variable(g.arena().zeros(2, 3));
            assertThatThrownBy(() -> Losses.softmaxCrossEntropy(x, new int[]{0, 3}, (float[]) null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target 3");
            assertThatThrownBy(() -> Losses.softmaxCrossEntropy(x, new int[]{0}, (float[]) null))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Losses.mse(x, g.variable(g.arena().zeros(3, 2))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]").hasMessageContaining("[3, 2]");

            SplittableRandom r = new SplittableRandom(1);
            assertThatThrownBy(() -> Dropout.apply(x, 1f, true, r)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Dropout.apply(x, -0.1f, true, r)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Dropout.apply(x, Float.NaN, true, r)).isInstanceOf(IllegalArgumentException.class);
            assertThat(Dropout.apply(x, 0.5f, false, r)).isSameAs(x);
            assertThat(Dropout.apply(x, 0f, true, r)).isSameAs(x);
        }
    }

    @Test
    void dropoutKeepsScaledValuesAndReusesTheMask() {
        int n = 20_000;
        float p = 0.3f;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        try (Graph g = Graph.training(KernelProvider.vector())) {
            Var x = g.variable(g.arena().of(ones, n));
            Var y = Dropout.apply(x, p, true, new SplittableRandom(3));
            float keep = 1f / (1f - p);
            int kept = 0;
            float[] out = y.value().toArray();
            for (float v : out) {
                assertThat(v == 0f || v == keep).isTrue();
                if (v != 0f) kept++;
            }
            assertThat(kept / (double) n).isCloseTo(1 - p, org.assertj.core.data.Offset.offset(0.02));
            g.backward(Reductions.sum(y));
            assertThat(x.grad().toArray()).containsExactly(out); // d sum / dx = mask
        }
    }

    /** The checker itself: an op whose backward is 1% too large must fail, the right one must pass. */
    @Test
    void checkerCatchesASlightlyWrongGradient() {
        SplittableRandom r = rng(10);
        GradCheck.Input in = uniform(r, 4, 5);
        java.util.function.Function<Var[], Var> wrong = v -> scaledCopy(v[0], 1.01f);
        assertThatThrownBy(() -> check(KernelProvider.naive(), wrong, in))
                .isInstanceOf(AssertionError.class).hasMessageContaining("relative L2 error");
        GradCheck.Result ok = check(KernelProvider.naive(), v -> scaledCopy(v[0], 1f), in);
        assertThat(ok.relativeErrors()[0]).isLessThan(1e-4);
    }

    /** y = 3x whose backward adds gradScale * 3 * dy. */
    private static Var scaledCopy(Var x, float gradScale) {
        Graph g = x.graph();
        int n = (int) x.value().size();
        var y = g.arena().copyOf(x.value());
        g.kernels().scale(n, 3f, y.data(), 0);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("scaledCopy", () -> g.kernels().axpy(n, 3f * gradScale, out.grad().data(), 0, x.grad().data(), 0));
        }
        return out;
    }
}
