package dev.recur.engine.train;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layout, round trip and the all-or-nothing validation of {@link Checkpoint}. */
class CheckpointTest {
    @TempDir
    Path dir;

    private final RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, 3, 4).withLayers(2)
            .withBidirectional(true);
    private Recurrent lstm;
    private TensorArena headArena;
    private Parameter headWeight;
    private Parameter headBias;
    private Adam adam;
    private StepLR schedule;

    @BeforeEach
    void setUp() {
        lstm = Recurrent.create(config, 7);
        headArena = TensorArena.open("head");
        headWeight = new Parameter("head.weight", headArena.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 2, 8),
                headArena.zeros(2, 8));
        headBias = new Parameter("head.bias", headArena.of(new float[]{0.5f, -0.5f}, 2), headArena.zeros(2));
        adam = new Adam(parameters(lstm, headWeight, headBias), Adam.Options.defaults().withLr(0.01));
        schedule = new StepLR(adam, 2, 0.5);
    }

    @AfterEach
    void tearDown() {
        adam.close();
        lstm.close();
        headArena.close();
    }

    static List<Parameter> parameters(Recurrent model, Parameter... head) {
        List<Parameter> all = new ArrayList<>(model.parameters());
        all.addAll(List.of(head));
        return all;
    }

    static Map<String, String> configMap(RecurrentConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cell", c.mode().name().toLowerCase());
        m.put("input", Integer.toString(c.inputSize()));
        m.put("hidden", Integer.toString(c.hiddenSize()));
        m.put("layers", Integer.toString(c.numLayers()));
        m.put("bidirectional", Boolean.toString(c.bidirectional()));
        m.put("proj_size", Integer.toString(c.projSize()));
        m.put("head", "2");
        return m;
    }

    private void stepOnce() {
        for (Parameter p : adam.parameters()) {
            for (long i = 0; i < p.grad().size(); i++) p.grad().set(i, (float) Math.sin(i + p.name().length()));
        }
        adam.step();
        schedule.step();
    }

    private Path save(String name) throws IOException {
        Checkpoint.Info info = new Checkpoint.Info(configMap(config), new Checkpoint.Progress(3, 1, 96, 0.25),
                new long[]{42, -1, Long.MIN_VALUE}, Map.of("vocabulary", "ab\ncd\"é"));
        return Checkpoint.save(dir.resolve(name), adam.parameters(), adam, Checkpoint.ScheduleState.of(schedule), info);
    }

    @Test
    void layoutHasPytorchNamesPrefixedOptimizerStateAndMetadata() throws IOException {
        stepOnce();
        stepOnce();
        stepOnce();
        SafeTensorsFile file = SafeTensorsFile.read(save("ck.safetensors"));
        assertThat(file.names()).contains("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                "weight_ih_l1_reverse", "bias_hh_l1_reverse", "head.weight", "head.bias",
                "optimizer.state.weight_ih_l0.exp_avg", "optimizer.state.head.bias.exp_avg_sq",
                "optimizer.state.head.bias.step");
        Map<String, String> meta = file.metadata();
        assertThat(meta).containsEntry("format", "recur-checkpoint").containsEntry("format_version", "1")
                .containsEntry("model.cell", "lstm").containsEntry("model.hidden", "4")
                .containsEntry("optimizer.kind", "Adam").containsEntry("optimizer.lr", Double.toString(adam.learningRate()))
                .containsEntry("optimizer.option.beta1", "0.9").containsEntry("schedule.kind", "StepLR")
                .containsEntry("schedule.last_epoch", "3.0").containsEntry("rng", "42,-1," + Long.MIN_VALUE)
                .containsEntry("progress.step", "3").containsEntry("progress.epoch", "1")
                .containsEntry("progress.samples_seen", "96").containsEntry("progress.best_metric", "0.25")
                .containsEntry("task.vocabulary", "ab\ncd\"é");
        assertThat(meta).doesNotContainKey("optimizer.option.lr");
    }

    @Test
    void roundTripRestoresEverythingIntoFreshObjects() throws IOException {
        stepOnce();
        stepOnce();
        stepOnce();
        Path path = save("ck.safetensors");
        Checkpoint ck = Checkpoint.read(path);
        assertThat(ck.progress()).isEqualTo(new Checkpoint.Progress(3, 1, 96, 0.25));
        assertThat(ck.rngState()).hasValueSatisfying(s -> assertThat(s).containsExactly(42, -1, Long.MIN_VALUE));
        assertThat(ck.task()).containsEntry("vocabulary", "ab\ncd\"é");
        assertThat(ck.modelConfig()).isEqualTo(configMap(config));
        assertThat(ck.optimizerKind()).contains("Adam");
        assertThat(ck.learningRate()).isEqualTo(adam.learningRate());

        try (Recurrent fresh = Recurrent.zeros(config); TensorArena arena = TensorArena.open("fresh head")) {
            Parameter w = new Parameter("head.weight", arena.zeros(2, 8), arena.zeros(2, 8));
            Parameter b = new Parameter("head.bias", arena.zeros(2), arena.zeros(2));
            try (Adam freshAdam = new Adam(parameters(fresh, w, b), Adam.Options.defaults().withLr(0.01))) {
                StepLR freshSchedule = new StepLR(freshAdam, 2, 0.5);
                ck.restore(configMap(config), freshAdam.parameters(), freshAdam, freshSchedule);
                for (int i = 0; i < adam.parameters().size(); i++) {
                    assertThat(freshAdam.parameters().get(i).value().toArray())
                            .isEqualTo(adam.parameters().get(i).value().toArray());
                }
                assertThat(freshAdam.learningRate()).isEqualTo(adam.learningRate());
                assertThat(freshSchedule.stateDict()).isEqualTo(schedule.stateDict());
                assertThat(freshAdam.stateDict().keySet()).isEqualTo(adam.stateDict().keySet());
                adam.stateDict().forEach((k, t) ->
                        assertThat(freshAdam.stateDict().get(k).toArray()).as(k).isEqualTo(t.toArray()));
            }
        }
    }

    /**
     * Restores a checkpoint into another model (checking the config when {@code withConfig}),
     * expects a one-line failure naming the file and key, and no change anywhere.
     */
    private void assertRejected(Path path, RecurrentConfig other, boolean withConfig, String key, String fragment)
            throws IOException {
        try (Recurrent fresh = Recurrent.create(other, 99); TensorArena arena = TensorArena.open("other head")) {
            int out = other.directions() * other.outputSize();
            Parameter w = new Parameter("head.weight", arena.zeros(2, out), arena.zeros(2, out));
            Parameter b = new Parameter("head.bias", arena.zeros(2), arena.zeros(2));
            List<Parameter> params = parameters(fresh, w, b);
            try (Adam freshAdam = new Adam(params, Adam.Options.defaults().withLr(0.01))) {
                StepLR freshSchedule = new StepLR(freshAdam, 2, 0.5);
                List<float[]> before = params.stream().map(p -> p.value().toArray()).toList();
                Checkpoint ck = Checkpoint.read(path);
                Map<String, String> expected = withConfig ? configMap(other) : null;
                assertThatThrownBy(() -> ck.restore(expected, params, freshAdam, freshSchedule))
                        .isInstanceOf(CheckpointException.class)
                        .satisfies(e -> {
                            assertThat(e.getMessage()).startsWith(path + ": key '" + key + "' ")
                                    .doesNotContain("\n").contains(fragment);
                            assertThat(((CheckpointException) e).key()).contains(key);
                            assertThat(((CheckpointException) e).file()).isEqualTo(path);
                        });
                for (int i = 0; i < params.size(); i++) {
                    assertThat(params.get(i).value().toArray()).isEqualTo(before.get(i));
                }
                assertThat(freshAdam.stateDict()).isEmpty();
                assertThat(freshAdam.learningRate()).isEqualTo(0.01);
                assertThat(freshSchedule.lastEpoch()).isZero();
            }
        }
    }

    @Test
    void otherArchitecturesAreRejectedWithOneLineAndNothingChanges() throws IOException {
        stepOnce();
        Path path = save("ck.safetensors");
        RecurrentConfig wider = RecurrentConfig.of(CellMode.LSTM, 3, 5).withLayers(2).withBidirectional(true);
        assertRejected(path, wider, true, "model.hidden", "is '4', expected '5'");
        // Without a config to compare, the tensors themselves tell: one layer fewer leaves a recurrent key over,
        assertRejected(path, config.withLayers(1), false, "weight_ih_l1", "is not a parameter of this model");
        // one more lacks one,
        assertRejected(path, config.withLayers(3), false, "weight_ih_l2", "is missing, expected a tensor of shape [16, 8]");
        // another input size or cell has other shapes under the same names.
        assertRejected(path, RecurrentConfig.of(CellMode.LSTM, 5, 4).withLayers(2).withBidirectional(true), false,
                "weight_ih_l0", "has shape [16, 3], expected [16, 5]");
        assertRejected(path, RecurrentConfig.of(CellMode.GRU, 3, 4).withLayers(2).withBidirectional(true), false,
                "weight_ih_l0", "has shape [16, 3], expected [12, 3]");
        // A unidirectional model lacks the _reverse tensors.
        assertRejected(path, RecurrentConfig.of(CellMode.LSTM, 3, 4).withLayers(2), false,
                "weight_ih_l0_reverse", "is not a parameter of this model");
    }

    @Test
    void otherOptimizerOrScheduleIsRejected() throws IOException {
        stepOnce();
        Path path = save("ck.safetensors");
        Checkpoint ck = Checkpoint.read(path);
        try (Recurrent fresh = Recurrent.zeros(config); TensorArena arena = TensorArena.open("h")) {
            Parameter w = new Parameter("head.weight", arena.zeros(2, 8), arena.zeros(2, 8));
            Parameter b = new Parameter("head.bias", arena.zeros(2), arena.zeros(2));
            List<Parameter> params = parameters(fresh, w, b);
            try (SGD sgd = new SGD(params, SGD.Options.defaults().withLr(0.1))) {
                assertThatThrownBy(() -> ck.restore(configMap(config), params, sgd, (LRScheduler) null))
                        .isInstanceOf(CheckpointException.class)
                        .hasMessage(path + ": key 'optimizer.kind' is 'Adam', expected 'SGD'");
            }
            try (Adam other = new Adam(params, Adam.Options.defaults().withBetas(0.8, 0.999))) {
                assertThatThrownBy(() -> ck.restore(configMap(config), params, other, (LRScheduler) null))
                        .isInstanceOf(CheckpointException.class)
                        .hasMessage(path + ": key 'optimizer.option.beta1' is '0.9', expected '0.8'");
            }
            try (Adam same = new Adam(params, Adam.Options.defaults())) {
                CosineAnnealingLR cosine = new CosineAnnealingLR(same, 10, 0.0);
                assertThatThrownBy(() -> ck.restore(configMap(config), params, same, cosine))
                        .isInstanceOf(CheckpointException.class)
                        .hasMessage(path + ": key 'schedule.kind' is 'StepLR', expected 'CosineAnnealingLR'");
                assertThat(same.stateDict()).isEmpty();
                assertThat(w.value().toArray()).containsOnly(0f);
            }
            // An optimizer over fewer parameters refuses the head's state after the schedule was loaded:
            // the schedule is put back.
            try (Adam lstmOnly = new Adam(new ArrayList<>(fresh.parameters()), Adam.Options.defaults().withLr(0.01))) {
                StepLR freshSchedule = new StepLR(lstmOnly, 2, 0.5);
                Map<String, Double> before = freshSchedule.stateDict();
                assertThatThrownBy(() -> ck.restore(configMap(config), params, lstmOnly, freshSchedule))
                        .isInstanceOf(CheckpointException.class)
                        .hasMessageStartingWith(path + ": optimizer state does not fit: Adam: unexpected state entry 'state.head.weight.");
                assertThat(freshSchedule.stateDict()).isEqualTo(before);
                assertThat(lstmOnly.stateDict()).isEmpty();
                assertThat(lstmOnly.learningRate()).isEqualTo(0.01);
                assertThat(w.value().toArray()).containsOnly(0f);
            }
        }
    }

    @Test
    void plainStateDictsAndNonCheckpointsAreToldApart() throws IOException {
        Path plain = new SafeTensorsWriter().put("weight_ih_l0", headWeight.value()).write(dir.resolve("plain.safetensors"));
        assertThatThrownBy(() -> Checkpoint.read(plain)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(plain + ": key '__metadata__' has no format 'recur-checkpoint'");
        Path garbage = Files.writeString(dir.resolve("garbage.safetensors"), "not a safetensors file");
        assertThatThrownBy(() -> Checkpoint.read(garbage)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(garbage + ": ").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> Checkpoint.read(dir.resolve("absent.safetensors")))
                .isInstanceOf(CheckpointException.class).hasMessageStartingWith(dir.resolve("absent.safetensors") + ": ");
    }

    @Test
    void saveWithoutOptimizerLoadsModelOnly() throws IOException {
        Path path = Checkpoint.save(dir.resolve("model.safetensors"), adam.parameters(), null, null,
                new Checkpoint.Info(configMap(config), Checkpoint.Progress.START, null, Map.of()));
        Checkpoint ck = Checkpoint.read(path);
        assertThat(ck.optimizerKind()).isEmpty();
        assertThat(ck.rngState()).isEmpty();
        assertThat(ck.progress().bestMetric()).isNaN();
        try (Recurrent fresh = Recurrent.zeros(config); TensorArena arena = TensorArena.open("h")) {
            Parameter w = new Parameter("head.weight", arena.zeros(2, 8), arena.zeros(2, 8));
            Parameter b = new Parameter("head.bias", arena.zeros(2), arena.zeros(2));
            ck.restore(configMap(config), parameters(fresh, w, b), null, (LRScheduler) null);
            assertThat(w.value().toArray()).isEqualTo(headWeight.value().toArray());
            Checkpoint.loadParameters(path, parameters(fresh, w, b));
        }
    }

    /** Weights of a run that diverged: refused by restore and by loadParameters, naming the tensor, and nothing changes. */
    @Test
    void nonFiniteWeightsAreRefusedOnLoad() throws IOException {
        headBias.value().set(1, Float.NaN);
        Path path = Checkpoint.save(dir.resolve("nan.safetensors"), adam.parameters(), null, null,
                new Checkpoint.Info(configMap(config), Checkpoint.Progress.START, null, Map.of()));
        try (Recurrent fresh = Recurrent.zeros(config); TensorArena arena = TensorArena.open("h")) {
            Parameter w = new Parameter("head.weight", arena.zeros(2, 8), arena.zeros(2, 8));
            Parameter b = new Parameter("head.bias", arena.zeros(2), arena.zeros(2));
            assertThatThrownBy(() -> Checkpoint.read(path).restore(configMap(config), parameters(fresh, w, b), null,
                    (LRScheduler) null)).isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(path + ": key 'head.bias' holds NaN at flat index 1");
            assertThatThrownBy(() -> Checkpoint.loadParameters(path, parameters(fresh, w, b)))
                    .isInstanceOf(CheckpointException.class).hasMessageContaining("'head.bias' holds NaN");
            assertThat(w.value().toArray()).containsOnly(0f);
        }
    }

    @Test
    void parameterNamesMayNotCollideWithOptimizerPrefix() {
        Tensor t = headArena.zeros(1);
        Parameter bad = new Parameter("optimizer.x", t, headArena.zeros(1));
        assertThatThrownBy(() -> Checkpoint.save(dir.resolve("x.safetensors"), List.of(bad), null, null,
                new Checkpoint.Info(Map.of(), Checkpoint.Progress.START, null, Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("optimizer.");
    }

    @Test
    void reduceOnPlateauStateRoundTripsIncludingAnInfiniteBest() throws IOException {
        ReduceLROnPlateau plateau = new ReduceLROnPlateau(adam, ReduceLROnPlateau.Options.defaults());
        Path before = Checkpoint.save(dir.resolve("p0.safetensors"), adam.parameters(), adam,
                Checkpoint.ScheduleState.of(plateau), new Checkpoint.Info(Map.of(), Checkpoint.Progress.START, null, Map.of()));
        stepOnce();
        plateau.step(0.75);
        Path after = Checkpoint.save(dir.resolve("p1.safetensors"), adam.parameters(), adam,
                Checkpoint.ScheduleState.of(plateau), new Checkpoint.Info(Map.of(), Checkpoint.Progress.START, null, Map.of()));
        for (Path path : List.of(before, after)) {
            Map<String, Double> saved = Checkpoint.read(path).schedule().orElseThrow().state();
            try (Adam freshAdam = new Adam(adam.parameters(), Adam.Options.defaults().withLr(0.01))) {
                ReduceLROnPlateau fresh = new ReduceLROnPlateau(freshAdam, ReduceLROnPlateau.Options.defaults());
                Checkpoint.read(path).restore(null, adam.parameters(), freshAdam, fresh);
                assertThat(fresh.stateDict()).isEqualTo(saved);
            }
        }
        assertThat(Checkpoint.read(after).schedule().orElseThrow().state()).containsEntry("best", 0.75);
        assertThat(Checkpoint.read(before).schedule().orElseThrow().state().get("best")).isInfinite();
    }

    @Test
    void staleTemporariesOfAKilledSaveAreRemovedByTheNextSave() throws IOException {
        Path stale = Files.writeString(dir.resolve(".ck.safetensors.0123456789abcdef.tmp"), "half a checkpoint");
        Path unrelated = Files.writeString(dir.resolve(".other.safetensors.0123456789abcdef.tmp"), "keep");
        save("ck.safetensors");
        assertThat(stale).doesNotExist();
        assertThat(unrelated).exists();
    }
}
