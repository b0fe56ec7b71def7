package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * StepLR, CosineAnnealingLR and ReduceLROnPlateau against torch.optim.lr_scheduler: the optimizer's
 * learning rate after construction and after each of 30 steps (plateau: fed torch's metrics).
 * The rates are doubles computed by the same formulas in the same order; only the cosine may
 * differ from CPython's in the last bits, hence a relative tolerance of 1e-12.
 */
class LRSchedulerGoldenTest {
    static final double TOLERANCE = 1e-12;

    static List<OptimizerGoldenFixture> cases() {
        return OptimizerGoldenFixture.ofKind("schedule");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void learningRatesMatchTorch(OptimizerGoldenFixture g) throws Exception {
        double[] expected = g.file().readDoubles("lr");
        double[] metrics = g.file().contains("metric") ? g.file().readDoubles("metric") : null;
        int steps = Integer.parseInt(g.meta("steps"));
        assertThat(expected).hasSize(steps + 1);
        try (TensorArena arena = TensorArena.open("schedule golden");
             SGD sgd = new SGD(List.of(new Parameter("w", arena.zeros(1), arena.zeros(1))),
                     SGD.Options.defaults().withLr(Double.parseDouble(g.meta("lr"))))) {
            double[] actual = new double[steps + 1];
            switch (g.meta("scheduler")) {
                case "StepLR" -> {
                    StepLR schedule = new StepLR(sgd, g.hyperInt("step_size"), g.hyper("gamma"));
                    actual[0] = sgd.learningRate();
                    for (int s = 1; s <= steps; s++) {
                        schedule.step();
                        actual[s] = sgd.learningRate();
                        assertThat(schedule.lastLr()).isEqualTo(actual[s]);
                    }
                }
                case "CosineAnnealingLR" -> {
                    CosineAnnealingLR schedule = new CosineAnnealingLR(sgd, g.hyperInt("T_max"), g.hyper("eta_min"));
                    actual[0] = sgd.learningRate();
                    for (int s = 1; s <= steps; s++) {
                        schedule.step();
                        actual[s] = sgd.learningRate();
                    }
                }
                case "ReduceLROnPlateau" -> {
                    var options = new ReduceLROnPlateau.Options(
                            ReduceLROnPlateau.Mode.valueOf(g.meta("hyper.mode").toUpperCase(Locale.ROOT)),
                            g.hyper("factor"), g.hyperInt("patience"), g.hyper("threshold"),
                            ReduceLROnPlateau.ThresholdMode.valueOf(g.meta("hyper.threshold_mode").toUpperCase(Locale.ROOT)),
                            g.hyperInt("cooldown"), g.hyper("min_lr"), g.hyper("eps"));
                    if (g.name().equals("schedule_plateau_defaults")) {
                        assertThat(ReduceLROnPlateau.Options.defaults()).isEqualTo(options);
                    }
                    ReduceLROnPlateau schedule = new ReduceLROnPlateau(sgd, options);
                    actual[0] = sgd.learningRate();
                    for (int s = 1; s <= steps; s++) {
                        schedule.step(metrics[s - 1]);
                        actual[s] = sgd.learningRate();
                        assertThat(schedule.lastLr()).isEqualTo(actual[s]);
                    }
                }
                default -> throw new IllegalStateException("unknown scheduler " + g.meta("scheduler"));
            }
            for (int s = 0; s <= steps; s++) {
                assertThat(actual[s]).as("lr after step " + s).isCloseTo(expected[s], within(TOLERANCE * Math.abs(expected[s])));
            }
        }
    }
}
