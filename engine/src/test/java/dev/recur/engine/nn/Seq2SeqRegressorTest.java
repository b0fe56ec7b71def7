package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class Seq2SeqRegressorTest {
    static final Kernels KERNELS = KernelProvider.defaultKernels();

    static RecurrentConfig config(CellMode mode, int inputs, int hidden, int layers) {
        return RecurrentConfig.of(mode, inputs, hidden).withLayers(layers);
    }

    @ParameterizedTest
    @EnumSource(value = CellMode.class, names = {"LSTM", "GRU"})
    void gradientsMatchFiniteDifferences(CellMode mode) {
        int srcSteps = 5, tgtSteps = 3, batch = 2, inputs = 2, outputs = 2;
        int[] lengths = {5, 2};
        SplittableRandom rng = new SplittableRandom(mode.ordinal() + 3);
        float[] x = Batches.features(rng, srcSteps, batch, inputs, lengths, Float.NaN);
        float[] y = Batches.features(rng, tgtSteps, batch, outputs, new int[]{tgtSteps, tgtSteps}, 0f);
        float[] start = Batches.features(rng, 1, batch, outputs, new int[]{1, 1}, 0f);
        try (Seq2SeqRegressor m = new Seq2SeqRegressor(config(mode, inputs, 3, 2), config(mode, 3, 3, 2), outputs, 0f, 8)) {
            assertThat(m.parameters().stream().map(Parameter::name).toList()).contains("decoder.input.weight", "head.bias",
                    "encoder.rnn.weight_hh_l1", "decoder.rnn.bias_ih_l0");
            double worst = ModelGradCheck.check(m, KERNELS, g -> {
                Var target = g.constant(g.arena().of(y, tgtSteps, batch, outputs));
                Var in = Seq2SeqRegressor.teacherInputs(g.constant(g.arena().of(start, batch, outputs)), target);
                return Seq2SeqRegressor.loss(m.forward(g, g.constant(g.arena().of(x, srcSteps, batch, inputs)), lengths, in), target);
            });
            System.out.printf("seq2seq regressor %s: worst gradient rel L2 %.1e%n", mode, worst);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CellMode.class, names = {"LSTM", "GRU", "RNN_TANH"})
    void autoregressivePredictionFeedsBackItsOwnOutputsAndIsPerSample(CellMode mode) {
        int srcSteps = 17, batch = 3, inputs = 1, outputs = 1, horizon = 7;
        int[] lengths = {17, 1, 9};
        SplittableRandom rng = new SplittableRandom(mode.ordinal() + 50);
        float[] x = Batches.features(rng, srcSteps, batch, inputs, lengths, 1e30f);
        float[] start = {0.5f, -0.25f, 1f};
        try (Seq2SeqRegressor m = new Seq2SeqRegressor(config(mode, inputs, 6, 2), config(mode, 4, 6, 2), outputs, 0f, 4);
             TensorArena arena = TensorArena.open("t")) {
            float[] predicted = m.predict(KERNELS, arena.of(x, srcSteps, batch, inputs), lengths, arena.of(start, batch, outputs), horizon);
            // teacher forcing on [start, own predictions] reproduces every step
            float[] previous = new float[horizon * batch];
            System.arraycopy(start, 0, previous, 0, batch);
            System.arraycopy(predicted, 0, previous, batch, (horizon - 1) * batch);
            try (Graph g = Graph.inference(KERNELS)) {
                float[] forced = m.forward(g, g.constant(g.arena().of(x, srcSteps, batch, inputs)), lengths,
                        g.constant(g.arena().of(previous, horizon, batch, outputs))).value().toArray();
                assertThat(RelativeError.l2(forced, predicted)).isLessThan(1e-6);
            }
            for (int b = 0; b < batch; b++) {
                float[] alone = m.predict(KERNELS, arena.of(Batches.sample(x, batch, inputs, b, lengths[b]), lengths[b], 1, inputs),
                        new int[]{lengths[b]}, arena.of(new float[]{start[b]}, 1, 1), horizon);
                float[] inBatch = new float[horizon];
                for (int t = 0; t < horizon; t++) inBatch[t] = predicted[t * batch + b];
                assertThat(RelativeError.l2(inBatch, alone)).as("sample %d", b).isLessThan(1e-5);
                assertThat(alone).doesNotContain(Float.NaN);
            }
            assertThat(Arrays.copyOfRange(predicted, 0, batch)).isNotEqualTo(Arrays.copyOfRange(predicted, batch, 2 * batch));
        }
    }
}
