package dev.recur.bench;

import dev.recur.engine.backend.CellMode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlopCountsTest {

    @Test
    void sgemmCountsTwoFlopsPerMultiplyAdd() {
        assertThat(FlopCounts.sgemm(1024, 1024, 1024)).isEqualTo(2.0 * (1L << 30));
        assertThat(FlopCounts.sgemm(17, 513, 255)).isEqualTo(2.0 * 17 * 513 * 255);
        assertThat(FlopCounts.sgemm(1, 1, 1)).isEqualTo(2.0);
    }

    @Test
    void recurrentLayerCountsInputAndRecurrentProductsPerGate() {
        // 2 · G · H · (I + H) · B · T
        assertThat(FlopCounts.recurrentLayerForward(CellMode.LSTM, 16, 25, 512, 512))
                .isEqualTo(2.0 * 4 * 512 * 1024 * 16 * 25);
        assertThat(FlopCounts.recurrentLayerForward(CellMode.GRU, 1, 100, 256, 512))
                .isEqualTo(2.0 * 3 * 512 * 768 * 100);
        assertThat(FlopCounts.recurrentLayerForward(CellMode.RNN_TANH, 17, 13, 255, 513))
                .isEqualTo(2.0 * 513 * 768 * 17 * 13);
        assertThat(FlopCounts.recurrentLayerForward(CellMode.RNN_RELU, 17, 13, 255, 513))
                .isEqualTo(FlopCounts.recurrentLayerForward(CellMode.RNN_TANH, 17, 13, 255, 513));
    }

    @Test
    void trainingCountsThreeTimesTheForward() {
        assertThat(FlopCounts.recurrentLayerTraining(CellMode.LSTM, 64, 50, 256, 512))
                .isEqualTo(3 * FlopCounts.recurrentLayerForward(CellMode.LSTM, 64, 50, 256, 512));
    }

    @Test
    void largestDeepBenchShapeDoesNotOverflow() {
        // 2 · 4 · 512 · 768 · 64 · 50 = 10 066 329 600 > 2^31
        assertThat(FlopCounts.recurrentLayerForward(CellMode.LSTM, 64, 50, 256, 512)).isEqualTo(10_066_329_600.0);
    }

    @Test
    void perOperationReadsTheLayerBenchmarkParameters() {
        String fused = RecurrentLayerBenchmark.class.getName() + ".fused";
        String textbook = RecurrentLayerBenchmark.class.getName() + ".textbook";
        Map<String, String> forward = Map.of("mode", "gru", "shape", "4x25x512x512", "pass", "forward", "path", "fused-vector");
        Map<String, String> training = Map.of("mode", "gru", "shape", "4x25x512x512", "pass", "forward+backward",
                "path", "textbook-naive");
        double expected = 2.0 * 3 * 512 * 1024 * 4 * 25;
        assertThat(FlopCounts.perOperation(fused, forward)).hasValue(expected);
        assertThat(FlopCounts.perOperation(textbook, training)).hasValue(3 * expected);
    }

    @Test
    void perOperationIsEmptyForOtherBenchmarks() {
        assertThat(FlopCounts.perOperation(CellStepBenchmark.class.getName() + ".step",
                Map.of("mode", "lstm", "pass", "forward", "batch", "1", "hidden", "255"))).isEmpty();
        assertThat(FlopCounts.perOperation(FmaPeakBenchmark.class.getName() + ".fmaChains", Map.of())).isEmpty();
    }

    @Test
    void kernelBenchmarksHaveNoFlopCount() {
        assertThat(FlopCounts.perOperation(ElementwiseKernelBenchmark.class.getName() + ".call",
                Map.of("kernel", "axpy", "n", "6553600", "impl", "vector"))).isEmpty();
        assertThat(FlopCounts.perOperation(RowKernelBenchmark.class.getName() + ".call",
                Map.of("kernel", "sumRows", "shape", "3200x2048", "impl", "naive"))).isEmpty();
    }

    @Test
    void layerShapeIsBatchStepsInputHidden() {
        assertThat(FlopCounts.LayerShape.parse("17x13x255x513")).isEqualTo(new FlopCounts.LayerShape(17, 13, 255, 513));
        assertThatThrownBy(() -> FlopCounts.LayerShape.parse("17,13,255,513"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BxTxIxH");
    }
}
