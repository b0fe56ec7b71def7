package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.CellMode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.recur.engine.cli.bench.BenchShape.Mode.INFERENCE;
import static dev.recur.engine.cli.bench.BenchShape.Mode.TRAINING;
import static org.assertj.core.api.Assertions.assertThat;

class BenchSuiteTest {
    @Test
    void rowsExpandToTheProductOfTheirLists() {
        assertThat(BenchSuite.expand("gru training I=H H=8,16 T=3 B=1,2 L=2 bi")).containsExactly(
                new BenchShape(CellMode.GRU, 1, 3, 8, 8, 2, true, TRAINING),
                new BenchShape(CellMode.GRU, 2, 3, 8, 8, 2, true, TRAINING),
                new BenchShape(CellMode.GRU, 1, 3, 16, 16, 2, true, TRAINING),
                new BenchShape(CellMode.GRU, 2, 3, 16, 16, 2, true, TRAINING));
    }

    @Test
    void deepbenchCpuHoldsThePublishedReferenceShapes() {
        List<BenchShape> shapes = BenchSuite.DEEPBENCH_CPU.shapes();
        assertThat(shapes).contains(
                new BenchShape(CellMode.LSTM, 64, 50, 256, 512, 1, false, INFERENCE),
                new BenchShape(CellMode.LSTM, 64, 50, 256, 512, 1, false, TRAINING),
                new BenchShape(CellMode.LSTM, 1, 100, 256, 512, 1, false, INFERENCE),
                new BenchShape(CellMode.GRU, 64, 50, 256, 512, 1, false, INFERENCE));
        assertThat(shapes).allSatisfy(s -> assertThat(s.steps()).isBetween(25, 150));
    }

    @Test
    void deepbenchCpuWithThePeerFitsInSixMinutesAtOneHundredFiftyGflops() {
        double seconds = BenchCommand.estimateSeconds(BenchSuite.DEEPBENCH_CPU.shapes(), Sampler.Rules.STANDARD, 150, 1);
        assertThat(seconds).isLessThan(360);
    }

    @Test
    void onlyTheFirstShapeOfEachCellAndModeGetsTheLongWarmUp() {
        List<BenchShape> shapes = BenchSuite.SMOKE.shapes(); // lstm inf, lstm train, gru train, rnn_relu inf, rnn_tanh train
        List<Sampler.Rules> rules = BenchCommand.rulesPerShape(
                List.of(shapes.get(0), shapes.get(1), shapes.get(0), shapes.get(2), shapes.get(1)), Sampler.Rules.STANDARD);
        Sampler.Rules first = Sampler.Rules.STANDARD.firstOfKind();
        assertThat(rules).containsExactly(first, first, Sampler.Rules.STANDARD, first, Sampler.Rules.STANDARD);
    }

    @Test
    void latencySuiteIsBatchOne() {
        assertThat(BenchSuite.LATENCY.shapes()).hasSize(9)
                .allSatisfy(s -> assertThat(s.batch()).isEqualTo(1))
                .allSatisfy(s -> assertThat(s.mode()).isEqualTo(INFERENCE));
    }
}
