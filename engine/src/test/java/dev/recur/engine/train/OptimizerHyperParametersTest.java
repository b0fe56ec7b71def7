package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Optimizer#hyperParameters()} describes each optimizer fully: {@link Optimizer#create} rebuilds it. */
class OptimizerHyperParametersTest {
    private static TensorArena arena;
    private static List<Parameter> parameters;

    @BeforeAll
    static void makeParameters() {
        arena = TensorArena.open("hyper-parameters");
        parameters = List.of(new Parameter("w", arena.zeros(2, 3), arena.zeros(2, 3)));
    }

    @AfterAll
    static void closeArena() {
        arena.close();
    }

    /** One of each kind, with options other than the defaults. */
    private static List<Optimizer> optimizers() {
        return List.of(
                new SGD(parameters, SGD.Options.defaults().withLr(0.1).withMomentum(0.9).withNesterov(true)
                        .withWeightDecay(1e-4)),
                new RMSprop(parameters, RMSprop.Options.defaults().withAlpha(0.9).withMomentum(0.5).withCentered(true)),
                new Adam(parameters, Adam.Options.defaults().withBetas(0.8, 0.99).withAmsgrad(true)
                        .withDecoupledWeightDecay(true).withWeightDecay(0.1)),
                new AdamW(parameters, AdamW.Options.defaults().withEps(1e-6).withWeightDecay(0.05)));
    }

    @Test
    void namesFollowTheOptionsInTorchsOrderWithLrFirst() {
        List<Optimizer> all = optimizers();
        try (SGD sgd = (SGD) all.get(0); RMSprop rmsprop = (RMSprop) all.get(1); Adam adam = (Adam) all.get(2);
             AdamW adamw = (AdamW) all.get(3)) {
            assertThat(sgd.hyperParameters().keySet())
                    .containsExactly("lr", "momentum", "dampening", "weightDecay", "nesterov");
            assertThat(rmsprop.hyperParameters().keySet())
                    .containsExactly("lr", "alpha", "eps", "weightDecay", "momentum", "centered");
            assertThat(adam.hyperParameters().keySet())
                    .containsExactly("lr", "beta1", "beta2", "eps", "weightDecay", "amsgrad", "decoupledWeightDecay");
            assertThat(adamw.hyperParameters().keySet())
                    .containsExactly("lr", "beta1", "beta2", "eps", "weightDecay", "amsgrad");
            assertThat(adam.hyperParameters()).containsEntry("beta1", 0.8).containsEntry("amsgrad", true);
            adam.setLearningRate(0.25);
            assertThat(adam.hyperParameters()).containsEntry("lr", 0.25);
        }
    }

    /** Checkpoints name the options after the records' components: files saved so must keep loading. */
    @Test
    void namesAreTheOptionsRecordsComponents() {
        List<Record> options = List.of(SGD.Options.defaults(), RMSprop.Options.defaults(), Adam.Options.defaults(),
                AdamW.Options.defaults());
        List<Optimizer> all = optimizers();
        for (int i = 0; i < all.size(); i++) {
            try (Optimizer optimizer = all.get(i)) {
                assertThat(optimizer.hyperParameters().keySet()).as(optimizer.kind()).containsExactly(
                        Arrays.stream(options.get(i).getClass().getRecordComponents()).map(RecordComponent::getName)
                                .toArray(String[]::new));
            }
        }
    }

    @Test
    void createRebuildsEachKindFromItsValuesOrTheirText() {
        for (Optimizer original : optimizers()) {
            try (original) {
                Map<String, String> text = new LinkedHashMap<>();
                original.hyperParameters().forEach((k, v) -> text.put(k, String.valueOf(v)));
                for (Map<String, ?> given : List.of(original.hyperParameters(), text)) {
                    try (Optimizer rebuilt = Optimizer.create(original.kind(), parameters, given)) {
                        assertThat(rebuilt.getClass()).isEqualTo(original.getClass());
                        assertThat(rebuilt.kind()).isEqualTo(original.kind());
                        assertThat(rebuilt.hyperParameters()).isEqualTo(original.hyperParameters());
                    }
                }
            }
        }
    }

    @Test
    void aCheckpointsSettingsRebuildTheOptimizerItWasSavedWith(@TempDir Path dir) throws IOException {
        try (AdamW adamw = new AdamW(parameters, AdamW.Options.defaults().withLr(0.02).withAmsgrad(true))) {
            adamw.setLearningRate(0.005);
            Path path = Checkpoint.save(dir.resolve("ck.safetensors"), parameters, adamw, null,
                    new Checkpoint.Info(Map.of(), Checkpoint.Progress.START, null, Map.of()));
            Checkpoint ck = Checkpoint.read(path);
            Map<String, Object> saved = new LinkedHashMap<>(ck.optimizerOptions());
            saved.put("lr", ck.learningRate());
            try (Optimizer rebuilt = Optimizer.create(ck.optimizerKind().orElseThrow(), parameters, saved)) {
                assertThat(rebuilt.hyperParameters()).isEqualTo(adamw.hyperParameters());
                ck.restore(null, parameters, rebuilt, (LRScheduler) null);
            }
        }
    }

    @Test
    void badDescriptionsAreRefusedNamingTheEntry() {
        try (Adam adam = new Adam(parameters, Adam.Options.defaults())) {
            Map<String, Object> h = new LinkedHashMap<>(adam.hyperParameters());
            assertThatThrownBy(() -> Optimizer.create("Adagrad", parameters, h))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Adagrad'");
            Map<String, Object> missing = new LinkedHashMap<>(h);
            missing.remove("eps");
            assertThatThrownBy(() -> Optimizer.create("Adam", parameters, missing))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("Adam: hyper-parameters lack [eps]");
            Map<String, Object> extra = new LinkedHashMap<>(h);
            extra.put("momentum", 0.9);
            assertThatThrownBy(() -> Optimizer.create("Adam", parameters, extra))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("Adam: unexpected hyper-parameters [momentum]");
            Map<String, Object> notANumber = new LinkedHashMap<>(h);
            notANumber.put("beta2", "0.9x");
            assertThatThrownBy(() -> Optimizer.create("Adam", parameters, notANumber))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Adam: hyper-parameter 'beta2' is 0.9x, expected a number");
            Map<String, Object> notAFlag = new LinkedHashMap<>(h);
            notAFlag.put("amsgrad", "yes");
            assertThatThrownBy(() -> Optimizer.create("Adam", parameters, notAFlag))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Adam: hyper-parameter 'amsgrad' is yes, expected true or false");
            Map<String, Object> outOfRange = new LinkedHashMap<>(h);
            outOfRange.put("beta1", 1.0);
            assertThatThrownBy(() -> Optimizer.create("Adam", parameters, outOfRange))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beta1");
        }
    }
}
