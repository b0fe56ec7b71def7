package dev.recur.engine.train;

import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static dev.recur.engine.tensor.RelativeError.l2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** clipGradNorm against torch.nn.utils.clip_grad_norm_: the returned total norm and the clipped gradients. */
class GradientClippingTest {
    static final double TOLERANCE = 1e-5;

    static List<OptimizerGoldenFixture> cases() {
        return OptimizerGoldenFixture.ofKind("clip");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(OptimizerGoldenFixture g) throws Exception {
        SafeTensorsFile f = g.file();
        try (TensorArena arena = TensorArena.open("clip golden")) {
            List<Parameter> parameters = g.parameters("grad.", arena); // values are unused: gradients below
            for (Parameter p : parameters) {
                p.grad().copyFrom(f.readFloat("grad." + p.name(), arena));
            }
            double total = GradientClipping.clipGradNorm(parameters, Double.parseDouble(g.meta("max_norm")));

            assertThat(l2(new float[]{(float) total}, f.readDoubles("total_norm"))).as("total norm").isLessThanOrEqualTo(TOLERANCE);
            for (Parameter p : parameters) {
                double err = l2(p.grad().toArray(), f.readDoubles("clipped." + p.name()));
                assertThat(err).as("clipped " + p.name()).isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void returnsTheNormBeforeClippingAndLeavesSmallGradientsAlone() {
        try (TensorArena arena = TensorArena.open("clip")) {
            Parameter a = new Parameter("a", arena.zeros(2), arena.of(new float[]{3, 4}, 2));
            Parameter b = new Parameter("b", arena.zeros(1), arena.of(new float[]{12}, 1));
            // ||(3, 4, 12)|| = 13: clipped to 6.5, every gradient halved (up to the 1e-6 in the divisor)
            assertThat(GradientClipping.clipGradNorm(List.of(a, b), 6.5)).isEqualTo(13.0);
            assertThat(GradientClipping.totalNorm(List.of(a, b))).isCloseTo(6.5, within(1e-5));
            assertThat(a.grad().toArray()[1]).isCloseTo(2f, within(1e-5f));
            float[] before = b.grad().toArray();
            assertThat(GradientClipping.clipGradNorm(List.of(a, b), 100)).isCloseTo(6.5, within(1e-5));
            assertThat(b.grad().toArray()).isEqualTo(before);
            assertThat(GradientClipping.clipGradNorm(List.of(a, b), Double.POSITIVE_INFINITY)).isCloseTo(6.5, within(1e-5));
        }
    }

    @Test
    void refusesANegativeOrNaNMaxNorm() {
        try (TensorArena arena = TensorArena.open("clip")) {
            Parameter a = new Parameter("a", arena.zeros(1), arena.of(new float[]{1}, 1));
            assertThatThrownBy(() -> GradientClipping.clipGradNorm(List.of(a), -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxNorm");
            assertThatThrownBy(() -> GradientClipping.clipGradNorm(List.of(a), Double.NaN))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxNorm");
            assertThat(a.grad().get(0)).isEqualTo(1f);
        }
    }
}
