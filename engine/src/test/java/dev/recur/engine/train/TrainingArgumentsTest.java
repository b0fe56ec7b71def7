package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Bad hyperparameters and arguments: IllegalArgumentException whose message names the argument. */
class TrainingArgumentsTest {
    private static TensorArena arena;
    private static List<Parameter> parameters;

    @BeforeAll
    static void makeParameters() {
        arena = TensorArena.open("arguments");
        parameters = List.of(new Parameter("w", arena.zeros(2, 3), arena.zeros(2, 3)));
    }

    @AfterAll
    static void closeArena() {
        arena.close();
    }

    private static void refused(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertThat(e.getMessage()).as("message names " + argument).contains(argument);
    }

    @Test
    void sgd() {
        refused("lr", () -> SGD.Options.defaults().withLr(-0.1));
        refused("lr", () -> SGD.Options.defaults().withLr(Double.NaN));
        refused("lr", () -> SGD.Options.defaults().withLr(Double.POSITIVE_INFINITY));
        refused("momentum", () -> SGD.Options.defaults().withMomentum(-0.9));
        refused("dampening", () -> SGD.Options.defaults().withDampening(Double.NaN));
        refused("weightDecay", () -> SGD.Options.defaults().withWeightDecay(-1e-4));
        refused("nesterov", () -> new SGD(parameters, SGD.Options.defaults().withNesterov(true)));
        refused("nesterov", () -> new SGD(parameters, SGD.Options.defaults().withNesterov(true).withMomentum(0.9).withDampening(0.1)));
        // the with... calls may come in any order: Nesterov is checked by the optimizer
        assertThatCode(() -> new SGD(parameters, SGD.Options.defaults().withNesterov(true).withMomentum(0.9)).close())
                .doesNotThrowAnyException();
    }

    @Test
    void rmsprop() {
        refused("lr", () -> RMSprop.Options.defaults().withLr(-1));
        refused("alpha", () -> RMSprop.Options.defaults().withAlpha(-0.5));
        refused("eps", () -> RMSprop.Options.defaults().withEps(-1e-8));
        refused("weightDecay", () -> RMSprop.Options.defaults().withWeightDecay(Double.NaN));
        refused("momentum", () -> RMSprop.Options.defaults().withMomentum(-0.1));
    }

    @Test
    void adamAndAdamW() {
        refused("lr", () -> Adam.Options.defaults().withLr(-1e-3));
        refused("beta1", () -> Adam.Options.defaults().withBetas(1.0, 0.999));
        refused("beta2", () -> Adam.Options.defaults().withBetas(0.9, -0.1));
        refused("eps", () -> Adam.Options.defaults().withEps(Double.NaN));
        refused("weightDecay", () -> Adam.Options.defaults().withWeightDecay(-0.01));
        refused("lr", () -> AdamW.Options.defaults().withLr(-1e-3));
        refused("beta1", () -> AdamW.Options.defaults().withBetas(-0.1, 0.999));
        refused("beta2", () -> AdamW.Options.defaults().withBetas(0.9, 1.5));
        refused("eps", () -> AdamW.Options.defaults().withEps(-1));
        refused("weightDecay", () -> AdamW.Options.defaults().withWeightDecay(-0.01));
    }

    @Test
    void learningRateSetByHand() {
        try (Adam adam = new Adam(parameters, Adam.Options.defaults())) {
            refused("lr", () -> adam.setLearningRate(-1));
            refused("lr", () -> adam.setLearningRate(Double.NaN));
            assertThat(adam.learningRate()).isEqualTo(1e-3);
            adam.setLearningRate(0.5);
            assertThat(adam.options().lr()).isEqualTo(0.5);
        }
    }

    @Test
    void parameterLists() {
        refused("parameters", () -> new Adam(List.of(), Adam.Options.defaults()));
        refused("twice", () -> new Adam(List.of(parameters.get(0), parameters.get(0)), Adam.Options.defaults()));
        Parameter sameName = new Parameter("w", arena.zeros(1), arena.zeros(1));
        refused("'w'", () -> new SGD(List.of(parameters.get(0), sameName), SGD.Options.defaults()));
        refused("gradient shape", () -> new Parameter("v", arena.zeros(2, 3), arena.zeros(3, 2)));
    }

    @Test
    void schedules() {
        try (SGD sgd = new SGD(parameters, SGD.Options.defaults())) {
            refused("stepSize", () -> new StepLR(sgd, 0));
            refused("gamma", () -> new StepLR(sgd, 3, -0.5));
            refused("tMax", () -> new CosineAnnealingLR(sgd, 0));
            refused("etaMin", () -> new CosineAnnealingLR(sgd, 10, -1e-5));
            var plateau = ReduceLROnPlateau.Options.defaults();
            refused("factor", () -> plateau.withFactor(1.0));
            refused("factor", () -> plateau.withFactor(-0.1));
            refused("patience", () -> plateau.withPatience(-1));
            refused("threshold", () -> plateau.withThreshold(-1e-4, ReduceLROnPlateau.ThresholdMode.REL));
            refused("cooldown", () -> plateau.withCooldown(-2));
            refused("minLr", () -> plateau.withMinLr(-1e-6));
            refused("eps", () -> plateau.withEps(Double.NaN));
        }
    }
}
