package dev.recur.engine.tensor;

import dev.recur.engine.autodiff.Activations;
import dev.recur.engine.autodiff.Elementwise;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.MatMul;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Off-heap lifetime: closed memory is never touched (the FFM runtime throws instead of crashing). */
class TensorMemoryTest {

    static Stream<Kernels> kernels() {
        return Stream.of(KernelProvider.naive(), KernelProvider.vector());
    }

    @Test
    void readingOrWritingAfterCloseThrows() {
        TensorArena arena = TensorArena.open("closed soon");
        Tensor t = arena.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor view = t.rows(1, 2);
        arena.close();
        assertThat(arena.isOpen()).isFalse();
        assertThatThrownBy(() -> t.get(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.at(1, 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.set(0, 1f)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(t::toArray).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.fill(0f)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.fill(2f)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.get(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.reshape(3, 2).get(0)).isInstanceOf(IllegalStateException.class);
        try (TensorArena other = TensorArena.open("other")) {
            Tensor live = other.zeros(2, 3);
            assertThatThrownBy(() -> live.copyFrom(t)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> t.copyFrom(live)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> other.copyOf(t)).isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void kernelsOnClosedMemoryThrow(Kernels k) {
        int n = 67; // full vectors and a tail
        TensorArena arena = TensorArena.open("kernel inputs");
        Tensor a = arena.zeros(n), b = arena.zeros(n);
        try (TensorArena live = TensorArena.open("live")) {
            Tensor out = live.zeros(n);
            arena.close();
            assertThatThrownBy(() -> k.add(n, a.data(), 0, b.data(), 0, out.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.add(n, out.data(), 0, out.data(), 0, a.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.axpy(n, 2f, a.data(), 0, out.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.scale(n, 2f, a.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.sigmoid(n, a.data(), 0, out.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.tanh(n, out.data(), 0, a.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.sumOfSquares(n, a.data(), 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.sumRows(1, n, a.data(), 0, n, out.data(), 0)).isInstanceOf(IllegalStateException.class);
            // a cell step whose inactive rows copy memory, and one whose active rows compute
            assertThatThrownBy(() -> k.maskedStep(1, n, 0, new int[]{0}, out.data(), 0, a.data(), 0, out.data(), 0, null, 0, n))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> k.rnnForward(1, n, 0, null, false, a.data(), 0, b.data(), 0, out.data(), 0,
                    out.data(), 0, null, 0, n)).isInstanceOf(IllegalStateException.class);
            // the live arena still works
            k.add(n, out.data(), 0, out.data(), 0, out.data(), 0);
            assertThat(out.get(n - 1)).isEqualTo(0f);
        }
    }

    @Test
    void doubleCloseAndAllocationAfterCloseThrow() {
        TensorArena arena = TensorArena.open("twice");
        arena.close();
        assertThatThrownBy(arena::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> arena.empty(2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> arena.zeros(2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> arena.of(new float[]{1}, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> arena.allocateFloats(4)).isInstanceOf(IllegalStateException.class);

        Graph g = Graph.training(KernelProvider.naive());
        g.close();
        assertThatThrownBy(g::close).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void closingAGraphFreesActivationsButNotParameters(Kernels k) {
        try (TensorArena params = TensorArena.open("parameters")) {
            Tensor w = params.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor wGrad = params.zeros(2, 3);
            Var hidden;
            Var input;
            try (Graph g = Graph.training(k)) {
                Var wv = g.parameter(w, wGrad);
                input = g.variable(g.arena().of(new float[]{0.5f, -1f}, 1, 2));
                hidden = Activations.tanh(MatMul.matmul(input, wv));
                g.backward(dev.recur.engine.autodiff.Reductions.sum(hidden));
                assertThat(hidden.value().get(0)).isFinite();
            }
            Var h = hidden, x = input;
            assertThatThrownBy(() -> h.value().get(0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> x.grad().get(0)).isInstanceOf(IllegalStateException.class);
            assertThat(w.toArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(wGrad.toArray()).doesNotContain(Float.NaN);
            // d sum(tanh(x W)) / dW[i][j] = x[i] * (1 - tanh^2): x[0] = 0.5 so row 0 is half of -row 1
            float[] gw = wGrad.toArray();
            for (int j = 0; j < 3; j++) assertThat(gw[j]).isEqualTo(-0.5f * gw[3 + j]);
            // an op on a closed graph's value fails cleanly too
            try (Graph g2 = Graph.training(k)) {
                Var wv = g2.constant(w);
                assertThatThrownBy(() -> MatMul.matmul(x, wv)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> Elementwise.add(g2.constant(x.value()), g2.constant(x.value())))
                        .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void viewsShareMemory() {
        try (TensorArena arena = TensorArena.open("views")) {
            Tensor t = arena.of(new float[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4);
            Tensor r = t.reshape(2, 6);
            Tensor middle = t.rows(1, 2);
            Tensor tail = t.rows(1, 3).reshape(8);
            assertThat(r.at(1, 0)).isEqualTo(6f);
            assertThat(middle.shape()).containsExactly(1, 4);
            assertThat(middle.toArray()).containsExactly(4, 5, 6, 7);
            middle.set(2, -6f);
            assertThat(t.at(1, 2)).isEqualTo(-6f);
            assertThat(r.at(1, 0)).isEqualTo(-6f);
            assertThat(tail.get(2)).isEqualTo(-6f);
            r.set(11, 99f);
            assertThat(t.at(2, 3)).isEqualTo(99f);
            middle.fill(1f);
            assertThat(t.toArray()).containsExactly(0, 1, 2, 3, 1, 1, 1, 1, 8, 9, 10, 99);
            assertThat(t.rows(0, 0).size()).isZero();
            assertThatThrownBy(() -> t.rows(2, 4)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> t.reshape(5)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
