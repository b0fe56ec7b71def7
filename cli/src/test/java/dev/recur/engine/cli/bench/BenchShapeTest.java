package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.CellMode;
import org.junit.jupiter.api.Test;

import static dev.recur.engine.cli.bench.BenchShape.Mode.INFERENCE;
import static dev.recur.engine.cli.bench.BenchShape.Mode.TRAINING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** FLOP counts worked out by hand: 2·G·H·(I_l + H)·B·T per layer and direction, ×3 for training. */
class BenchShapeTest {
    @Test
    void lstmInferenceAndTraining() {
        // 2·4·512·(256+512)·64·50 = 4096·768·3200
        BenchShape inference = new BenchShape(CellMode.LSTM, 64, 50, 256, 512, 1, false, INFERENCE);
        assertThat(inference.flops()).isEqualTo(10_066_329_600L);
        BenchShape training = new BenchShape(CellMode.LSTM, 64, 50, 256, 512, 1, false, TRAINING);
        assertThat(training.flops()).isEqualTo(30_198_988_800L);
    }

    @Test
    void vanillaRnnHasOneGate() {
        // 2·1·1024·(256+1024)·1·100
        assertThat(new BenchShape(CellMode.RNN_TANH, 1, 100, 256, 1024, 1, false, INFERENCE).flops())
                .isEqualTo(262_144_000L);
    }

    @Test
    void laterLayersReadTheHiddenState() {
        // layer 0: 2·1·20·(10+20)·4·5 = 24000; layers 1 and 2: 2·1·20·(20+20)·4·5 = 32000 each
        assertThat(new BenchShape(CellMode.RNN_RELU, 4, 5, 10, 20, 3, false, INFERENCE).flops()).isEqualTo(88_000L);
    }

    @Test
    void bidirectionalCountsBothDirectionsAndDoubleWidthInputs() {
        // layer 0: 2 dirs · 2·3·7·(5+7)·2·3 = 2·3024; layer 1 reads D·H = 14: 2 dirs · 2·3·7·(14+7)·2·3 = 2·5292
        BenchShape gru = new BenchShape(CellMode.GRU, 2, 3, 5, 7, 2, true, INFERENCE);
        assertThat(gru.flops()).isEqualTo(16_632L);
        assertThat(new BenchShape(CellMode.GRU, 2, 3, 5, 7, 2, true, TRAINING).flops()).isEqualTo(49_896L);
    }

    @Test
    void rejectsEmptyShapes() {
        assertThatThrownBy(() -> new BenchShape(CellMode.GRU, 0, 3, 5, 7, 1, false, INFERENCE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("B=0");
    }
}
