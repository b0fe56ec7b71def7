package dev.recur.engine.nn;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The model-level finite-difference check fails on slightly wrong gradients, large or tiny. */
class ModelGradCheckTest {
    static final int[] TOKENS = {1, 2, 3, 0, 4, 1}, LENGTHS = {3, 1}, TARGETS = {1, 0};

    static double run(SequenceClassifier m, Consumer<Module> tamper) {
        return ModelGradCheck.check(m, KernelProvider.defaultKernels(),
                g -> SequenceClassifier.loss(m.forward(g, TOKENS, 3, 2, LENGTHS), TARGETS), tamper);
    }

    @Test
    void catchesAOnePercentScaleErrorAndATinyGradientsWrongElement() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, 2, 3).withLayers(2);
        try (SequenceClassifier m = new SequenceClassifier(config, 5, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 3)) {
            assertThatCode(() -> run(m, x -> { })).doesNotThrowAnyException();
            assertThatThrownBy(() -> run(m, x -> {
                var g = x.parameter("head.weight").grad();
                for (long i = 0; i < g.size(); i++) g.set(i, g.get(i) * 1.01f);
            })).isInstanceOf(AssertionError.class).hasMessageContaining("head.weight");
            // a first-layer recurrent weight (small gradients, under the norm floor): one element off by 3e-4 is caught
            assertThatThrownBy(() -> run(m, x -> {
                var g = x.parameter("rnn.weight_hh_l0").grad();
                g.set(0, g.get(0) + 3e-4f);
            })).isInstanceOf(AssertionError.class).hasMessageContaining("rnn.weight_hh_l0");
        }
    }
}
