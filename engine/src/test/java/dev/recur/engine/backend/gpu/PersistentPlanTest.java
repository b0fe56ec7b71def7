package dev.recur.engine.backend.gpu;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.gpu.PersistentPlan.DeviceLimits;
import dev.recur.engine.backend.gpu.PersistentPlan.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static dev.recur.engine.backend.gpu.PersistentPlan.Weights.BFLOAT16;
import static dev.recur.engine.backend.gpu.PersistentPlan.Weights.FLOAT32;
import static org.assertj.core.api.Assertions.assertThat;

/** The persistent path's shape limits on H100 numbers; no GPU needed. */
class PersistentPlanTest {
    private static final DeviceLimits H100 = DeviceLimits.H100_SXM;

    /** The same table as test_plan in native/test/persistent_partition_test.h: the C++ twin must agree. */
    @ParameterizedTest(name = "{0} H={1} B={2} {3}: fits={4}, {5} blocks of {6} units")
    @CsvSource({
            "LSTM, 1320, 1, FLOAT32, true, 132, 10",
            "LSTM, 1321, 1, FLOAT32, false, 121, 11",
            "LSTM, 1024, 8, FLOAT32, true, 128, 8",
            "LSTM, 1024, 64, FLOAT32, false, 128, 8",
            "LSTM, 1204, 8, FLOAT32, true, 121, 10",
            "LSTM, 1205, 8, FLOAT32, false, 121, 10",
            "LSTM, 1872, 1, BFLOAT16, true, 125, 15",
            "LSTM, 1873, 1, BFLOAT16, false, 125, 15",
            "GRU, 1569, 1, FLOAT32, true, 131, 12",
            "GRU, 1570, 1, FLOAT32, false, 131, 12",
            "RNN_TANH, 2640, 1, FLOAT32, true, 132, 20",
            "RNN_RELU, 2641, 1, FLOAT32, false, 126, 21",
            "LSTM, 100, 4, FLOAT32, true, 100, 1",
    })
    void h100Table(CellMode mode, int hidden, int batch, Weights weights, boolean fits, int blocks, int units) {
        PersistentPlan plan = PersistentPlan.of(mode, hidden, hidden, batch, weights, H100);
        assertThat(plan.fits()).as(plan.reason()).isEqualTo(fits);
        assertThat(plan.blocks()).isEqualTo(blocks);
        assertThat(plan.unitsPerBlock()).isEqualTo(units);
        assertThat(plan.threads()).isEqualTo(512);
        if (fits) {
            assertThat(plan.reason()).isEmpty();
            assertThat(plan.sharedBytes()).isLessThanOrEqualTo(232_448);
        } else {
            assertThat(plan.sharedBytes()).isGreaterThan(232_448);
            assertThat(plan.reason()).contains("bytes of shared memory").contains(Long.toString(plan.sharedBytes()))
                    .contains("232448").doesNotContain("\n");
        }
    }

    /**
     * The largest hidden sizes the persistent kernels hold on an H100, as docs/kernels.md states them:
     * every gate of a unit in one block, one block per SM and the state staged beside the slice
     * hold less than W_hh alone would suggest (about 1400 in float32, 2000 in bf16).
     */
    @Test
    void largestHiddenOnH100() {
        assertThat(PersistentPlan.largestHidden(CellMode.LSTM, 1, FLOAT32, H100)).isEqualTo(1320);
        assertThat(PersistentPlan.largestHidden(CellMode.LSTM, 1, BFLOAT16, H100)).isEqualTo(1872);
        assertThat(PersistentPlan.largestHidden(CellMode.LSTM, 8, FLOAT32, H100)).isEqualTo(1204);
        assertThat(PersistentPlan.largestHidden(CellMode.LSTM, 8, BFLOAT16, H100)).isEqualTo(1696);
        assertThat(PersistentPlan.largestHidden(CellMode.LSTM, 64, FLOAT32, H100)).isLessThan(1024);
        assertThat(PersistentPlan.largestHidden(CellMode.GRU, 1, FLOAT32, H100)).isEqualTo(1569);
        assertThat(PersistentPlan.largestHidden(CellMode.RNN_TANH, 1, FLOAT32, H100)).isEqualTo(2640);
        // The small-batch shapes the persistent path is for (LSTM, batch 1-8, H up to 1024) fit in float32.
        for (int batch = 1; batch <= 8; batch++) {
            assertThat(PersistentPlan.of(CellMode.LSTM, 1024, 1024, batch, FLOAT32, H100).fits()).isTrue();
        }
    }

    /** The limits table of docs/kernels.md ("Persistent forward recurrences"): the largest H at B = 1, 8, 32. */
    @ParameterizedTest(name = "{0} {1}: H <= {2} (B=1), {3} (B=8), {4} (B=32)")
    @CsvSource({
            "RNN_TANH, FLOAT32, 2640, 2244, 1343",
            "RNN_TANH, BFLOAT16, 3747, 2970, 1519",
            "GRU, FLOAT32, 1569, 1410, 1024",
            "GRU, BFLOAT16, 2190, 1893, 1216",
            "LSTM, FLOAT32, 1320, 1204, 924",
            "LSTM, BFLOAT16, 1872, 1696, 1139",
    })
    void documentedLimits(CellMode mode, Weights weights, int batch1, int batch8, int batch32) {
        assertThat(PersistentPlan.largestHidden(mode, 1, weights, H100)).isEqualTo(batch1);
        assertThat(PersistentPlan.largestHidden(mode, 8, weights, H100)).isEqualTo(batch8);
        assertThat(PersistentPlan.largestHidden(mode, 32, weights, H100)).isEqualTo(batch32);
    }

    /** For every H up to 3000, the grid covers the units exactly once and fits the limits it claims to. */
    @Test
    void partitionCoversEveryUnitWithinTheLimits() {
        for (CellMode mode : CellMode.values()) {
            for (int batch : new int[] {1, 3, 17}) {
                for (Weights weights : Weights.values()) {
                    boolean fitted = true;
                    for (int hidden = 1; hidden <= 3000; hidden++) {
                        PersistentPlan plan = PersistentPlan.of(mode, hidden, hidden, batch, weights, H100);
                        String shape = mode + " H=" + hidden + " B=" + batch + " " + weights;
                        assertThat(plan.blocks()).as(shape).isBetween(1, 132);
                        assertThat((long) plan.blocks() * plan.unitsPerBlock()).as(shape).isGreaterThanOrEqualTo(hidden);
                        assertThat((long) (plan.blocks() - 1) * plan.unitsPerBlock()).as(shape).isLessThan(hidden);
                        assertThat(plan.sharedBytes()).as(shape).isEqualTo(PersistentPlan.sharedBytes(mode.gates(),
                                hidden, batch, plan.unitsPerBlock(), weights.bytes()));
                        assertThat(plan.fits()).as(shape).isEqualTo(plan.sharedBytes() <= H100.sharedPerBlock());
                        // the shapes that fit are 1..largest: once one fails, every larger H fails too
                        assertThat(!plan.fits() || fitted).as(shape + " fits after a smaller H did not").isTrue();
                        fitted = plan.fits();
                    }
                }
            }
        }
    }

    @Test
    void sharedMemoryLayoutIsTheSliceTheStateAndTheGateTileEachAlignedTo16Bytes() {
        // LSTM, H = 17, B = 3, U = 5: slice 4·5·17·4 = 1360, state 3·17·4 = 204 -> 208, tile 3·4·5·4 = 240
        assertThat(PersistentPlan.sharedBytes(4, 17, 3, 5, 4)).isEqualTo(1360 + 208 + 240);
        // bf16: slice 4·5·17·2 = 680 -> 688
        assertThat(PersistentPlan.sharedBytes(4, 17, 3, 5, 2)).isEqualTo(688 + 208 + 240);
    }

    @Test
    void projectionFallsBack() {
        PersistentPlan plan = PersistentPlan.of(CellMode.LSTM, 512, 256, 4, FLOAT32, H100);
        assertThat(plan.fits()).isFalse();
        assertThat(plan.reason()).contains("proj_size").contains("256");
    }

    @Test
    void devicesThatCannotRunItSayWhy() {
        DeviceLimits noCooperative = new DeviceLimits(132, 233_472, 232_448, 1_024, 1_024, false);
        assertThat(PersistentPlan.of(CellMode.GRU, 256, 256, 1, FLOAT32, noCooperative).reason())
                .contains("cooperatively");
        DeviceLimits fewThreads = new DeviceLimits(132, 233_472, 232_448, 1_024, 256, true);
        PersistentPlan plan = PersistentPlan.of(CellMode.GRU, 256, 256, 1, FLOAT32, fewThreads);
        assertThat(plan.fits()).isFalse();
        assertThat(plan.reason()).contains("256 threads per block").contains("512");
        // An A100-like device (108 SMs, 164 KiB per block): fewer SMs, more units per block.
        DeviceLimits a100 = new DeviceLimits(108, 167_936, 166_912, 1_024, 1_024, true);
        PersistentPlan lstm = PersistentPlan.of(CellMode.LSTM, 1024, 1024, 1, FLOAT32, a100);
        assertThat(lstm.unitsPerBlock()).isEqualTo(10);
        assertThat(lstm.blocks()).isEqualTo(103);
        assertThat(lstm.fits()).isFalse();  // 4·10·1024·4 = 163 840 + state 4 096 + tile 160 > 166 912
        assertThat(PersistentPlan.of(CellMode.LSTM, 0, 0, 1, FLOAT32, H100).reason()).contains("at least 1");
    }

    @Test
    void kernelNames() {
        assertThat(PersistentPlan.kernel(CellMode.LSTM, FLOAT32)).isEqualTo("recur_persistent_lstm_forward");
        assertThat(PersistentPlan.kernel(CellMode.GRU, BFLOAT16)).isEqualTo("recur_persistent_gru_forward_bf16");
        assertThat(PersistentPlan.kernel(CellMode.RNN_RELU, FLOAT32)).isEqualTo("recur_persistent_rnn_forward");
    }
}
