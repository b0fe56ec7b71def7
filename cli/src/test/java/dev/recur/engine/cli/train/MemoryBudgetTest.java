package dev.recur.engine.cli.train;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.nn.RecurrentConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The estimate a run is checked against before anything is allocated. */
class MemoryBudgetTest {
    @Test
    void countsParametersOptimizerStateActivationsAndAPerStepHead() {
        RecurrentConfig lstm = RecurrentConfig.of(CellMode.LSTM, 8, 16);   // 4·16·(8 + 16 + 2) = 1664 weights
        MemoryBudget.Estimate adam = MemoryBudget.estimate(lstm, 100, 4, 10, 0, "adam");
        assertThat(adam.parameterBytes()).isEqualTo((1664 + 100) * 4L);
        // gradients and Adam's two slots, and the packed copy of W_hh (4·16·16)
        assertThat(adam.stateBytes()).isEqualTo(((1664 + 100) * 3L + 1024) * 4);
        long perStep = 8 + (4 * 16 + 3 * 16 + 16);   // input, gates, states and cells, output
        assertThat(adam.activationBytes()).isEqualTo(2 * perStep * 10 * 4 * 4);
        assertThat(MemoryBudget.estimate(lstm, 100, 4, 10, 0, "sgd").stateBytes()).isEqualTo(((1664 + 100) + 1024) * 4L);
        // A language model's head: logits, softmax and their gradient at every step, one per word.
        assertThat(MemoryBudget.estimate(lstm, 100, 4, 10, 10_000, "adam").activationBytes())
                .isEqualTo(adam.activationBytes() + 3L * 10_000 * 10 * 4 * 4);
        assertThat(MemoryBudget.size(3L << 30)).isEqualTo("3.0 GiB");
        assertThat(MemoryBudget.size(5L << 20)).isEqualTo("5 MiB");
    }
}
