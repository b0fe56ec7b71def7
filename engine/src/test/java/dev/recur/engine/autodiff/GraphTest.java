package dev.recur.engine.autodiff;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GraphTest {

    static Stream<Kernels> kernels() {
        return Stream.of(KernelProvider.naive(), KernelProvider.vector());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void backwardTwiceThrows(Kernels k) {
        try (Graph g = Graph.training(k)) {
            Var x = g.variable(g.arena().of(new float[]{1, 2, 3}, 3));
            Var loss = Reductions.sum(Activations.tanh(x));
            g.backward(loss);
            assertThatThrownBy(() -> g.backward(loss)).isInstanceOf(IllegalStateException.class).hasMessageContaining("already");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void inferenceGraphRecordsNothingAndHasNoGradients(Kernels k) {
        try (TensorArena params = TensorArena.open("params"); Graph g = Graph.inference(k)) {
            Tensor wGrad = params.zeros(3, 2);
            Var w = g.parameter(params.of(new float[]{1, 2, 3, 4, 5, 6}, 3, 2), wGrad);
            Var x = g.variable(g.arena().of(new float[]{1, -1, 2}, 1, 3));
            Var y = Activations.relu(Elementwise.addBias(MatMul.matmul(x, w), g.constant(g.arena().of(new float[]{0.5f, -0.5f}, 2))));
            Var loss = Losses.mse(y, g.constant(g.arena().zeros(1, 2)));
            assertThat(y.value().toArray()).containsExactly(8.5f, 9.5f);
            assertThat(g.tapeSize()).isZero();
            assertThat(g.recording()).isFalse();
            for (Var v : new Var[]{w, x, y, loss}) {
                assertThat(v.requiresGrad()).isFalse();
                assertThat(v.grad()).isNull();
            }
            assertThatThrownBy(() -> g.backward(loss)).isInstanceOf(IllegalStateException.class).hasMessageContaining("inference");
            assertThatThrownBy(() -> g.record("x", () -> { })).isInstanceOf(IllegalStateException.class);
            assertThat(wGrad.toArray()).containsOnly(0f);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void constantsGetNoGradientAndRecordNothing(Kernels k) {
        try (Graph g = Graph.training(k)) {
            Var c = g.constant(g.arena().of(new float[]{1, 2}, 2));
            Var y = Activations.sigmoid(Elementwise.mul(c, c));
            assertThat(y.requiresGrad()).isFalse();
            assertThat(g.tapeSize()).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void gradientsAccumulateWhenAVarFeedsTwoOps(Kernels k) {
        float[] xs = {-1.5f, 0.25f, 2f, 3f};
        try (Graph g = Graph.training(k)) {
            Var x = g.variable(g.arena().of(xs, 4));
            Var y = Elementwise.add(Elementwise.mul(x, x), x); // dy/dx = 2x + 1
            g.backward(Reductions.sum(y));
            assertThat(g.tapeSize()).isEqualTo(3);
            float[] grad = x.grad().toArray();
            for (int i = 0; i < xs.length; i++) assertThat(grad[i]).isEqualTo(2 * xs[i] + 1);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void parameterGradientsAccumulateAcrossGraphs(Kernels k) {
        try (TensorArena params = TensorArena.open("params")) {
            Tensor w = params.of(new float[]{1, 2}, 2);
            Tensor wGrad = params.zeros(2);
            for (int step = 0; step < 2; step++) {
                try (Graph g = Graph.training(k)) {
                    Var wv = g.parameter(w, wGrad);
                    g.backward(Reductions.sum(Elementwise.scale(wv, 3f)));
                }
            }
            assertThat(wGrad.toArray()).containsExactly(6f, 6f);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void backwardNeedsAScalar(Kernels k) {
        try (Graph g = Graph.training(k)) {
            Var x = g.variable(g.arena().of(new float[]{1, 2}, 2));
            assertThatThrownBy(() -> g.backward(Activations.tanh(x))).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
