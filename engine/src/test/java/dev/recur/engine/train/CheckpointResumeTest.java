package dev.recur.engine.train;

import dev.recur.engine.autodiff.Elementwise;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.MatMul;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run stopped after 4 steps, saved, and resumed from the checkpoint into fresh objects gives
 * the uninterrupted run's losses of steps 5..10 bit for bit: parameters, Adam's moments and step
 * counts, the StepLR schedule and the learning rate, the data generator's RNG and the progress
 * counters all travel through the file.
 */
class CheckpointResumeTest {
    private static final RecurrentConfig CONFIG = RecurrentConfig.of(CellMode.LSTM, 3, 8).withLayers(2);
    private static final int T = 6;
    private static final int B = 4;
    private static final int STEPS = 10;
    private static final int STOP_AFTER = 4;

    @TempDir
    Path dir;

    /** The data generator: splitmix64, whose whole state is one long (carried as long[] like the engine's Rng). */
    static final class Data {
        private long state;

        Data(long seed) {
            state = seed;
        }

        long[] state() {
            return new long[]{state};
        }

        void restore(long[] saved) {
            state = saved[0];
        }

        float next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            return (float) ((z >>> 40) * 0x1.0p-24 * 2 - 1);
        }
    }

    /** Everything a run owns: model, readout head, optimizer, schedule, data, progress. */
    static final class Run implements AutoCloseable {
        final Recurrent lstm;
        final TensorArena headArena = TensorArena.open("head");
        final Parameter headWeight;
        final Parameter headBias;
        final Adam adam;
        final StepLR schedule;
        final Data data;
        long step;
        long samples;

        Run(long modelSeed, long dataSeed) {
            lstm = Recurrent.create(CONFIG, modelSeed);
            Data init = new Data(modelSeed + 1);
            float[] w = new float[CONFIG.hiddenSize()];
            for (int i = 0; i < w.length; i++) w[i] = init.next() * 0.3f;
            headWeight = new Parameter("head.weight", headArena.of(w, 1, w.length), headArena.zeros(1, w.length));
            headBias = new Parameter("head.bias", headArena.of(new float[]{0.1f}, 1), headArena.zeros(1));
            List<Parameter> params = new ArrayList<>(lstm.parameters());
            params.add(headWeight);
            params.add(headBias);
            adam = new Adam(params, Adam.Options.defaults().withLr(0.02));
            schedule = new StepLR(adam, 3, 0.5);
            data = new Data(dataSeed);
        }

        /** One training step: many-to-one regression of the mean of feature 0 from the last layer's h_n. */
        float step() {
            float[] x = new float[T * B * CONFIG.inputSize()];
            float[] y = new float[B];
            for (int i = 0; i < x.length; i++) x[i] = data.next();
            for (int t = 0; t < T; t++) {
                for (int b = 0; b < B; b++) y[b] += x[(t * B + b) * CONFIG.inputSize()] / T;
            }
            adam.zeroGrad();
            float loss;
            try (Graph g = Graph.training(KernelProvider.defaultKernels())) {
                Var input = g.constant(g.arena().of(x, T, B, CONFIG.inputSize()));
                Recurrent.Output out = lstm.forward(g, input, null, null, null, RecurrentExecution.FUSED);
                Var last = Shapes.reshape(Shapes.slice(out.hN(), 0, CONFIG.numLayers() - 1, CONFIG.numLayers()),
                        B, CONFIG.hiddenSize());
                Var prediction = Elementwise.addBias(MatMul.matmul(last, headWeight.in(g), false, true), headBias.in(g));
                Var l = Losses.mse(prediction, g.constant(g.arena().of(y, B, 1)));
                g.backward(l);
                loss = l.value().get(0);
            }
            GradientClipping.clipGradNorm(adam.parameters(), 1.0);
            adam.step();
            schedule.step();
            step++;
            samples += B;
            return loss;
        }

        Checkpoint.Info info() {
            return new Checkpoint.Info(CheckpointTest.configMap(CONFIG), new Checkpoint.Progress(step, 0, samples, Double.NaN),
                    data.state(), Map.of("name", "resume-test"));
        }

        @Override
        public void close() {
            adam.close();
            lstm.close();
            headArena.close();
        }
    }

    @Test
    void resumedRunReproducesTheUninterruptedLossesBitForBit() throws IOException {
        float[] uninterrupted = new float[STEPS];
        try (Run run = new Run(11, 22)) {
            for (int s = 0; s < STEPS; s++) uninterrupted[s] = run.step();
        }

        float[] resumed = new float[STEPS];
        Path path = dir.resolve("run.safetensors");
        try (Run first = new Run(11, 22)) {
            for (int s = 0; s < STOP_AFTER; s++) resumed[s] = first.step();
            Checkpoint.save(path, first.adam.parameters(), first.adam, Checkpoint.ScheduleState.of(first.schedule),
                    first.info());
        }
        // Fresh objects with another initialisation and data seed: only the checkpoint can make them agree.
        try (Run second = new Run(999, 12345)) {
            Checkpoint ck = Checkpoint.read(path);
            ck.restore(CheckpointTest.configMap(CONFIG), second.adam.parameters(), second.adam, second.schedule);
            second.data.restore(ck.rngState().orElseThrow());
            second.step = ck.progress().step();
            second.samples = ck.progress().samplesSeen();
            assertThat(second.step).isEqualTo(STOP_AFTER);
            for (int s = STOP_AFTER; s < STEPS; s++) resumed[s] = second.step();
            assertThat(second.schedule.lastEpoch()).isEqualTo(STEPS);
        }

        for (int s = 0; s < STEPS; s++) {
            assertThat(Float.floatToRawIntBits(resumed[s])).as("loss of step %d: %s vs %s", s + 1, resumed[s], uninterrupted[s])
                    .isEqualTo(Float.floatToRawIntBits(uninterrupted[s]));
        }
        // The learning rate really moved across the stop (StepLR halves it at steps 3, 6, 9) and the loss changed.
        assertThat(uninterrupted[STEPS - 1]).isNotEqualTo(uninterrupted[0]);
    }

    @Test
    void resumingWithoutTheOptimizerStateWouldDiffer() throws IOException {
        // The control: restoring only the parameters (fresh Adam moments) changes the later losses.
        float[] uninterrupted = new float[STEPS];
        try (Run run = new Run(11, 22)) {
            for (int s = 0; s < STEPS; s++) uninterrupted[s] = run.step();
        }
        Path path = dir.resolve("run.safetensors");
        long[] rng;
        try (Run first = new Run(11, 22)) {
            for (int s = 0; s < STOP_AFTER; s++) first.step();
            Checkpoint.save(path, first.adam.parameters(), first.adam, Checkpoint.ScheduleState.of(first.schedule),
                    first.info());
            rng = first.data.state();
        }
        try (Run second = new Run(999, 12345)) {
            Checkpoint.loadParameters(path, second.adam.parameters());
            second.data.restore(rng);
            // Step 5's loss is computed before its update, from the loaded parameters: equal. Step 6's is not.
            assertThat(second.step()).isEqualTo(uninterrupted[STOP_AFTER]);
            assertThat(second.step()).isNotEqualTo(uninterrupted[STOP_AFTER + 1]);
        }
    }
}
