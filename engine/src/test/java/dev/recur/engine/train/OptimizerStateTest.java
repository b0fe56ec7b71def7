package dev.recur.engine.train;

import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SequencedMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Optimizer and schedule state: exported, written to a safetensors file as a checkpoint would,
 * read back into fresh objects, and continued, a run reproduces the uninterrupted run bit for bit;
 * the state dict's names and shapes; what loadStateDict refuses; closing.
 */
class OptimizerStateTest {
    static final int STEPS = 10;
    static final int STOP_AFTER = 4;
    static final String[] NAMES = {"scale", "weight_ih_l0", "head.weight"};
    static final int[][] SHAPES = {{1}, {3, 17}, {5, 3}};

    /** A schedule of either kind behind one face, so that a run can step, save and restore it. */
    interface Schedule {
        void step(double metric);

        SequencedMap<String, Double> stateDict();

        void loadStateDict(Map<String, Double> state);

        static Schedule of(LRScheduler s) {
            return new Schedule() {
                public void step(double metric) {
                    s.step();
                }

                public SequencedMap<String, Double> stateDict() {
                    return s.stateDict();
                }

                public void loadStateDict(Map<String, Double> state) {
                    s.loadStateDict(state);
                }
            };
        }

        static Schedule of(ReduceLROnPlateau s) {
            return new Schedule() {
                public void step(double metric) {
                    s.step(metric);
                }

                public SequencedMap<String, Double> stateDict() {
                    return s.stateDict();
                }

                public void loadStateDict(Map<String, Double> state) {
                    s.loadStateDict(state);
                }
            };
        }
    }

    /** One way to train: how its optimizer and schedule are built (the same each time). */
    record Setup(String name, Function<List<Parameter>, Optimizer> optimizer, Function<Optimizer, Schedule> schedule) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Setup> setups() {
        return List.of(
                new Setup("SGD nesterov, weight decay, StepLR",
                        ps -> new SGD(ps, SGD.Options.defaults().withLr(0.1).withMomentum(0.9).withNesterov(true).withWeightDecay(0.01)),
                        o -> Schedule.of(new StepLR(o, 2, 0.5))),
                new Setup("SGD dampening, cosine",
                        ps -> new SGD(ps, SGD.Options.defaults().withLr(0.05).withMomentum(0.8).withDampening(0.3)),
                        o -> Schedule.of(new CosineAnnealingLR(o, 6, 1e-3))),
                new Setup("RMSprop centered, momentum, weight decay, plateau",
                        ps -> new RMSprop(ps, RMSprop.Options.defaults().withMomentum(0.5).withCentered(true).withWeightDecay(0.05)),
                        o -> Schedule.of(new ReduceLROnPlateau(o, ReduceLROnPlateau.Options.defaults()
                                .withPatience(0).withFactor(0.5).withCooldown(1)))),
                new Setup("Adam amsgrad, weight decay, cosine",
                        ps -> new Adam(ps, Adam.Options.defaults().withLr(1e-2).withAmsgrad(true).withWeightDecay(0.05)),
                        o -> Schedule.of(new CosineAnnealingLR(o, 8))),
                new Setup("AdamW, plateau on a metric to maximise",
                        ps -> new AdamW(ps, AdamW.Options.defaults().withLr(1e-2)),
                        o -> Schedule.of(new ReduceLROnPlateau(o, ReduceLROnPlateau.Options.defaults()
                                .withMode(ReduceLROnPlateau.Mode.MAX).withPatience(1).withFactor(0.7)))));
    }

    static List<Parameter> parameters(TensorArena arena) {
        Random random = new Random(42);
        List<Parameter> out = new ArrayList<>();
        for (int j = 0; j < NAMES.length; j++) {
            Tensor value = arena.zeros(SHAPES[j]);
            for (long i = 0; i < value.size(); i++) value.set(i, (float) random.nextGaussian());
            out.add(new Parameter(NAMES[j], value, arena.zeros(SHAPES[j])));
        }
        return out;
    }

    /** Step {@code step} of a run: its own gradients (magnitudes changing from step to step), the update, the schedule. */
    static void trainStep(int step, List<Parameter> parameters, Optimizer optimizer, Schedule schedule) {
        double scale = Math.pow(10, (step * 7 % 5) - 2.0);
        for (int j = 0; j < parameters.size(); j++) {
            Random random = new Random(1000L * step + j);
            Tensor grad = parameters.get(j).grad();
            for (long i = 0; i < grad.size(); i++) grad.set(i, (float) (random.nextGaussian() * scale));
        }
        optimizer.step();
        double sumOfSquares = 0; // a metric that depends on the whole history, for the plateau schedules
        for (Parameter p : parameters) {
            for (float v : p.value().toArray()) sumOfSquares += v * v;
        }
        schedule.step(sumOfSquares);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("setups")
    void resumingFromASavedCheckpointReproducesTheUninterruptedRun(Setup setup, @TempDir Path dir) throws IOException {
        try (TensorArena arena = TensorArena.open("state round trip")) {
            List<Parameter> uninterrupted = parameters(arena);
            Optimizer uninterruptedOptimizer = setup.optimizer().apply(uninterrupted);
            Schedule uninterruptedSchedule = setup.schedule().apply(uninterruptedOptimizer);
            List<Double> learningRates = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                trainStep(step, uninterrupted, uninterruptedOptimizer, uninterruptedSchedule);
                learningRates.add(uninterruptedOptimizer.learningRate());
            }
            // The schedule must act after the checkpoint too, or restoring it would go untested.
            assertThat(learningRates.subList(STOP_AFTER, STEPS)).as("learning rates after the checkpoint")
                    .anyMatch(lr -> lr != learningRates.get(STOP_AFTER - 1));

            Path checkpoint = dir.resolve("checkpoint.safetensors");
            List<Parameter> stopped = parameters(arena);
            try (Optimizer optimizer = setup.optimizer().apply(stopped)) {
                Schedule schedule = setup.schedule().apply(optimizer);
                for (int step = 0; step < STOP_AFTER; step++) {
                    trainStep(step, stopped, optimizer, schedule);
                }
                save(checkpoint, stopped, optimizer, schedule);
            }

            List<Parameter> resumed = zeroParameters(arena);
            Optimizer resumedOptimizer = setup.optimizer().apply(resumed);
            Schedule resumedSchedule = setup.schedule().apply(resumedOptimizer);
            load(checkpoint, resumed, resumedOptimizer, resumedSchedule, arena, true);
            for (int step = STOP_AFTER; step < STEPS; step++) {
                trainStep(step, resumed, resumedOptimizer, resumedSchedule);
            }

            for (int j = 0; j < NAMES.length; j++) {
                assertThat(resumed.get(j).value().toArray()).as(NAMES[j]).isEqualTo(uninterrupted.get(j).value().toArray());
            }
            assertThat(resumedOptimizer.stateDict().keySet()).containsExactlyElementsOf(uninterruptedOptimizer.stateDict().keySet());
            uninterruptedOptimizer.stateDict().forEach((name, tensor) ->
                    assertThat(resumedOptimizer.stateDict().get(name).toArray()).as(name).isEqualTo(tensor.toArray()));
            assertThat(resumedOptimizer.learningRate()).isEqualTo(uninterruptedOptimizer.learningRate());
            assertThat(resumedSchedule.stateDict()).isEqualTo(uninterruptedSchedule.stateDict());

            // The control: the same resume without the optimizer's state does not reproduce the run.
            List<Parameter> withoutState = zeroParameters(arena);
            try (Optimizer optimizer = setup.optimizer().apply(withoutState)) {
                Schedule schedule = setup.schedule().apply(optimizer);
                load(checkpoint, withoutState, optimizer, schedule, arena, false);
                for (int step = STOP_AFTER; step < STEPS; step++) {
                    trainStep(step, withoutState, optimizer, schedule);
                }
                assertThat(withoutState.get(1).value().toArray()).isNotEqualTo(uninterrupted.get(1).value().toArray());
            }
            uninterruptedOptimizer.close();
            resumedOptimizer.close();
        }
    }

    private static List<Parameter> zeroParameters(TensorArena arena) {
        List<Parameter> out = new ArrayList<>();
        for (int j = 0; j < NAMES.length; j++) {
            out.add(new Parameter(NAMES[j], arena.zeros(SHAPES[j]), arena.zeros(SHAPES[j])));
        }
        return out;
    }

    /** What a checkpoint writer does: parameters and optimizer state as tensors, the doubles as metadata. */
    private static void save(Path file, List<Parameter> parameters, Optimizer optimizer, Schedule schedule) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter();
        for (Parameter p : parameters) writer.put("param." + p.name(), p.value());
        optimizer.stateDict().forEach(writer::put);
        writer.metadata("lr", Double.toString(optimizer.learningRate()));
        schedule.stateDict().forEach((key, value) -> writer.metadata("schedule." + key, Double.toString(value)));
        writer.write(file);
    }

    private static void load(Path file, List<Parameter> parameters, Optimizer optimizer, Schedule schedule,
                             TensorArena arena, boolean withOptimizerState) throws IOException {
        SafeTensorsFile f = SafeTensorsFile.read(file);
        for (Parameter p : parameters) p.value().copyFrom(f.readFloat("param." + p.name(), arena));
        Map<String, Tensor> state = new HashMap<>();
        for (String name : f.names()) {
            if (name.startsWith("state.")) state.put(name, f.readFloat(name, arena));
        }
        assertThat(state).isNotEmpty();
        if (withOptimizerState) optimizer.loadStateDict(state);
        optimizer.setLearningRate(Double.parseDouble(f.metadata().get("lr")));
        Map<String, Double> scheduleState = new HashMap<>();
        f.metadata().forEach((key, value) -> {
            if (key.startsWith("schedule.")) scheduleState.put(key.substring("schedule.".length()), Double.parseDouble(value));
        });
        schedule.loadStateDict(scheduleState);
    }

    @Test
    void stateDictNamesTorchKeysOncePerSteppedParameter() {
        try (TensorArena arena = TensorArena.open("state names");
             Adam adam = new Adam(parameters(arena), Adam.Options.defaults().withAmsgrad(true))) {
            assertThat(adam.stateDict()).isEmpty();
            adam.step();
            adam.step();
            List<String> expected = new ArrayList<>();
            for (String n : NAMES) {
                for (String key : List.of("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")) expected.add("state." + n + "." + key);
            }
            assertThat(adam.stateDict().keySet()).containsExactlyElementsOf(expected);
            Tensor step = adam.stateDict().get("state.head.weight.step");
            assertThat(step.shape()).isEmpty();
            assertThat(step.get(0)).isEqualTo(2f);
            assertThat(adam.stateDict().get("state.weight_ih_l0.exp_avg").shape()).containsExactly(3, 17);
        }
    }

    @Test
    void stateKeysFollowTheOptions() {
        try (TensorArena arena = TensorArena.open("state keys");
             SGD plain = new SGD(parameters(arena), SGD.Options.defaults());
             RMSprop centered = new RMSprop(parameters(arena), RMSprop.Options.defaults().withCentered(true).withMomentum(0.1))) {
            plain.step();
            assertThat(plain.stateDict()).isEmpty(); // torch keeps momentum_buffer None: nothing to save
            centered.step();
            assertThat(centered.stateDict().keySet()).startsWith(
                    "state.scale.step", "state.scale.square_avg", "state.scale.momentum_buffer", "state.scale.grad_avg");
        }
    }

    @Test
    void loadingItsOwnStateChangesNothingAndAnEmptyMapStartsAfresh() {
        try (TensorArena arena = TensorArena.open("self load")) {
            List<Parameter> ps = parameters(arena);
            try (SGD sgd = new SGD(ps, SGD.Options.defaults().withMomentum(0.9).withDampening(0.5))) {
                ps.forEach(p -> p.grad().fill(1f));
                sgd.step();
                sgd.step();
                float[] buffer = sgd.stateDict().get("state.scale.momentum_buffer").toArray();
                sgd.loadStateDict(sgd.stateDict());
                assertThat(sgd.stateDict().get("state.scale.momentum_buffer").toArray()).isEqualTo(buffer);

                sgd.loadStateDict(Map.of());
                assertThat(sgd.stateDict()).isEmpty();
                sgd.step(); // first step again: the buffer is the gradient itself, not (1 - dampening) of it
                assertThat(sgd.stateDict().get("state.scale.momentum_buffer").get(0)).isEqualTo(1f);
            }
        }
    }

    @Test
    void loadStateDictRefusesWhatDoesNotFitAndChangesNothing() {
        try (TensorArena arena = TensorArena.open("bad state");
             Adam adam = new Adam(parameters(arena), Adam.Options.defaults())) {
            adam.step();
            Map<String, Tensor> good = new LinkedHashMap<>();
            adam.stateDict().forEach((k, v) -> good.put(k, arena.copyOf(v)));
            float[] before = adam.stateDict().get("state.weight_ih_l0.exp_avg").toArray();

            Map<String, Tensor> unknown = new LinkedHashMap<>(good);
            unknown.put("state.weight_hh_l0.exp_avg", arena.zeros(3, 17));
            assertRefused(adam, unknown, "state.weight_hh_l0.exp_avg");

            Map<String, Tensor> partial = new LinkedHashMap<>(good);
            partial.remove("state.scale.exp_avg_sq");
            assertRefused(adam, partial, "state.scale.exp_avg_sq");

            Map<String, Tensor> misshapen = new LinkedHashMap<>(good);
            misshapen.put("state.head.weight.exp_avg", arena.zeros(3, 5));
            assertRefused(adam, misshapen, "state.head.weight.exp_avg");

            Map<String, Tensor> fractionalStep = new LinkedHashMap<>(good);
            fractionalStep.put("state.scale.step", arena.of(new float[]{1.5f}));
            assertRefused(adam, fractionalStep, "state.scale.step");

            Map<String, Tensor> negativeStep = new LinkedHashMap<>(good);
            negativeStep.put("state.scale.step", arena.of(new float[]{-1f}));
            assertRefused(adam, negativeStep, "state.scale.step");

            Map<String, Tensor> vectorStep = new LinkedHashMap<>(good);
            vectorStep.put("state.scale.step", arena.of(new float[]{1f}, 1));
            assertRefused(adam, vectorStep, "state.scale.step");

            // a bad entry for the last parameter must not leave the first ones loaded
            Map<String, Tensor> lateFailure = new LinkedHashMap<>(good);
            lateFailure.put("state.weight_ih_l0.exp_avg", arena.zeros(3, 17));
            lateFailure.put("state.head.weight.exp_avg", arena.zeros(15));
            assertRefused(adam, lateFailure, "state.head.weight.exp_avg");
            assertThat(adam.stateDict().get("state.weight_ih_l0.exp_avg").toArray()).isEqualTo(before);
        }
    }

    @Test
    void anOptimizerWithoutStateRefusesAnyEntry() {
        try (TensorArena arena = TensorArena.open("no state");
             SGD sgd = new SGD(parameters(arena), SGD.Options.defaults())) {
            sgd.loadStateDict(Map.of());
            assertRefused(sgd, Map.of("state.scale.momentum_buffer", arena.zeros(1)), "keeps no state");
        }
    }

    private static void assertRefused(Optimizer optimizer, Map<String, Tensor> state, String named) {
        assertThatThrownBy(() -> optimizer.loadStateDict(state))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(named);
    }

    @Test
    void schedulesRefuseStateWithMissingOrUnexpectedEntries() {
        try (TensorArena arena = TensorArena.open("schedule state");
             SGD sgd = new SGD(parameters(arena), SGD.Options.defaults())) {
            StepLR step = new StepLR(sgd, 3);
            step.step();
            Map<String, Double> state = new HashMap<>(step.stateDict());
            assertThat(state).containsEntry("last_epoch", 1.0).containsKeys("base_lr", "last_lr");

            Map<String, Double> missing = new HashMap<>(state);
            missing.remove("base_lr");
            assertThatThrownBy(() -> step.loadStateDict(missing)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base_lr");
            Map<String, Double> extra = new HashMap<>(state);
            extra.put("best", 1.0);
            assertThatThrownBy(() -> step.loadStateDict(extra)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("best");
            Map<String, Double> fractional = new HashMap<>(state);
            fractional.put("last_epoch", 2.5);
            assertThatThrownBy(() -> step.loadStateDict(fractional)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("last_epoch");
            assertThat(step.lastEpoch()).isEqualTo(1);

            ReduceLROnPlateau plateau = new ReduceLROnPlateau(sgd, ReduceLROnPlateau.Options.defaults());
            Map<String, Double> plateauState = new HashMap<>(plateau.stateDict());
            plateauState.remove("num_bad_epochs");
            assertThatThrownBy(() -> plateau.loadStateDict(plateauState)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("num_bad_epochs");
        }
    }

    @Test
    void aClosedOptimizerRefusesToStepAndToCloseAgain() {
        try (TensorArena arena = TensorArena.open("closed")) {
            Adam adam = new Adam(parameters(arena), Adam.Options.defaults());
            adam.step();
            adam.close();
            assertThatThrownBy(adam::step).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatThrownBy(adam::stateDict).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(adam::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("already closed");
        }
    }
}
