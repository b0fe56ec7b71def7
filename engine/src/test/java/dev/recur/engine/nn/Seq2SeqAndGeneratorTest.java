package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Seq2SeqAndGeneratorTest {
    static final Kernels KERNELS = KernelProvider.defaultKernels();

    static RecurrentConfig config(CellMode mode, int inputs, int hidden, int layers) {
        return RecurrentConfig.of(mode, inputs, hidden).withLayers(layers);
    }

    /** Argmax per (t, b) of logits [T, B, V]. */
    static int argmax(float[] logits, int row, int vocabulary) {
        int best = 0;
        for (int v = 1; v < vocabulary; v++) if (logits[row * vocabulary + v] > logits[row * vocabulary + best]) best = v;
        return best;
    }

    @ParameterizedTest
    @EnumSource(value = CellMode.class, names = {"LSTM", "GRU", "RNN_TANH"})
    void seq2seqGradientsMatchFiniteDifferences(CellMode mode) {
        int srcSteps = 4, tgtSteps = 3, batch = 2, srcVocab = 5, tgtVocab = 4, bos = 0;
        int[] srcLengths = {4, 2}, tgtLengths = {2, 3};
        SplittableRandom rng = new SplittableRandom(mode.ordinal() + 40);
        int[] src = Batches.tokens(rng, srcSteps, batch, srcVocab, srcLengths, 0);
        int[] tgt = Batches.tokens(rng, tgtSteps, batch, tgtVocab, tgtLengths, 0);
        int[] decIn = Seq2Seq.teacherInputs(tgt, tgtSteps, batch, bos);
        try (Seq2Seq m = new Seq2Seq(config(mode, 2, 3, 2), srcVocab, config(mode, 3, 3, 2), tgtVocab, 0f, 5)) {
            double worst = ModelGradCheck.check(m, KERNELS, g -> Seq2Seq.loss(
                    m.forward(g, m.embedSource(g, src, srcSteps, batch), srcLengths, decIn, tgtSteps, tgtLengths), tgt, tgtLengths));
            System.out.printf("seq2seq %s: worst gradient rel L2 %.1e%n", mode, worst);
        }
    }

    @ParameterizedTest
    @EnumSource(value = CellMode.class, names = {"LSTM", "GRU", "RNN_TANH"})
    void greedyDecodingAgreesWithTeacherForcingOnItsOwnPredictionsAndPerSample(CellMode mode) {
        int srcSteps = 9, batch = 3, srcVocab = 7, tgtVocab = 6, bos = 5, maxSteps = 8;
        int[] srcLengths = {9, 1, 5};
        SplittableRandom rng = new SplittableRandom(mode.ordinal() + 77);
        int[] src = Batches.tokens(rng, srcSteps, batch, srcVocab, srcLengths, 6);
        try (Seq2Seq m = new Seq2Seq(config(mode, 4, 8, 2), srcVocab, config(mode, 3, 8, 2), tgtVocab, 0f, 12)) {
            int[][] decoded = m.greedyDecode(KERNELS, src, srcSteps, batch, srcLengths, bos, -1, maxSteps);
            assertThat(decoded).hasDimensions(batch, maxSteps);
            // teacher forcing on [bos, own predictions] must predict the same tokens at every step
            int[] prevTokens = new int[maxSteps * batch];
            for (int b = 0; b < batch; b++) {
                prevTokens[b] = bos;
                for (int t = 1; t < maxSteps; t++) prevTokens[t * batch + b] = decoded[b][t - 1];
            }
            try (Graph g = Graph.inference(KERNELS)) {
                float[] logits = m.forward(g, m.embedSource(g, src, srcSteps, batch), srcLengths, prevTokens, maxSteps, null).value().toArray();
                for (int t = 0; t < maxSteps; t++) {
                    for (int b = 0; b < batch; b++) assertThat(argmax(logits, t * batch + b, tgtVocab)).as("step %d sample %d", t, b).isEqualTo(decoded[b][t]);
                }
            }
            // each sample decodes alone as in the batch: the source padding reaches nothing
            for (int b = 0; b < batch; b++) {
                int len = srcLengths[b];
                int[] alone = new int[len];
                for (int t = 0; t < len; t++) alone[t] = src[t * batch + b];
                assertThat(m.greedyDecode(KERNELS, alone, len, 1, new int[]{len}, bos, -1, maxSteps)[0]).isEqualTo(decoded[b]);
            }
            // an end token stops a sample and is not returned
            int eos = decoded[0][2];
            int[][] stopped = m.greedyDecode(KERNELS, src, srcSteps, batch, srcLengths, bos, eos, maxSteps);
            int firstEos = 0;
            while (decoded[0][firstEos] != eos) firstEos++;
            assertThat(stopped[0]).isEqualTo(java.util.Arrays.copyOf(decoded[0], firstEos));
        }
    }

    @Test
    void theDecoderStartsFromTheEncodersFinalState() {
        int srcSteps = 5, batch = 2, vocab = 6;
        int[] srcLengths = {5, 3};
        SplittableRandom rng = new SplittableRandom(3);
        int[] src = Batches.tokens(rng, srcSteps, batch, vocab, srcLengths, 0);
        try (Seq2Seq m = new Seq2Seq(config(CellMode.LSTM, 3, 4, 1), vocab, config(CellMode.LSTM, 3, 4, 1), vocab, 0f, 1);
             Graph g = Graph.inference(KERNELS)) {
            int[] decIn = {0, 0, 1, 1};
            float[] base = m.forward(g, m.embedSource(g, src, srcSteps, batch), srcLengths, decIn, 2, null).value().toArray();
            int[] changedValid = src.clone();
            changedValid[2 * batch + 1] = (src[2 * batch + 1] + 1) % vocab;    // sample 1's last valid step
            float[] a = m.forward(g, m.embedSource(g, changedValid, srcSteps, batch), srcLengths, decIn, 2, null).value().toArray();
            int[] changedPadding = src.clone();
            changedPadding[4 * batch + 1] = (src[4 * batch + 1] + 1) % vocab;  // sample 1's padding
            float[] p = m.forward(g, m.embedSource(g, changedPadding, srcSteps, batch), srcLengths, decIn, 2, null).value().toArray();
            assertThat(p).containsExactly(base);
            assertThat(RelativeError.l2(a, base)).isGreaterThan(1e-4);
            assertThat(java.util.Arrays.copyOfRange(a, 0, 6)).as("sample 0 untouched at step 0").containsExactly(java.util.Arrays.copyOfRange(base, 0, 6));
        }
        assertThatThrownBy(() -> new Seq2Seq(config(CellMode.LSTM, 3, 4, 1), 3, config(CellMode.GRU, 3, 4, 1), 3, 0f, 1))
                .hasMessageContaining("final state must fit");
    }

    @ParameterizedTest
    @EnumSource(value = ConditionedGenerator.Condition.class)
    void generatorGradientsMatchFiniteDifferencesAndReachTheInitialState(ConditionedGenerator.Condition condition) {
        int steps = 4, batch = 3, vocab = 5, condSize = 3;
        int[] lengths = {4, 1, 3};
        SplittableRandom rng = new SplittableRandom(condition.ordinal());
        int[] tokens = Batches.tokens(rng, steps, batch, vocab, lengths, 0);
        int[] targets = Batches.tokens(rng, steps, batch, vocab, lengths, 0);
        int[] classes = {2, 0, 2};
        float[] features = Batches.features(rng, 1, batch, condSize, new int[]{1, 1, 1}, 0f);
        for (CellMode mode : new CellMode[]{CellMode.LSTM, CellMode.GRU}) {
            try (ConditionedGenerator m = new ConditionedGenerator(config(mode, 2, 3, 2), condition, condSize, vocab, 0f, 9)) {
                java.util.function.Function<Graph, ConditionedGenerator.State> init = g -> condition == ConditionedGenerator.Condition.CLASS
                        ? m.initialState(g, classes) : m.initialState(g, g.constant(g.arena().of(features, batch, condSize)));
                double worst = ModelGradCheck.check(m, KERNELS, g -> ConditionedGenerator.loss(m.forward(g, init.apply(g), tokens, steps, lengths), targets, lengths));
                assertThat(m.parameter("init_h." + "weight").grad().toArray()).isNotEqualTo(new float[(int) m.parameter("init_h.weight").value().size()]);
                if (mode == CellMode.LSTM) {
                    assertThat(m.parameter("init_c.weight").grad().toArray()).isNotEqualTo(new float[(int) m.parameter("init_c.weight").value().size()]);
                }
                System.out.printf("generator %s %s: worst gradient rel L2 %.1e%n", condition, mode, worst);
            }
        }
    }

    @Test
    void generationFollowsTheConditionAndAgreesWithTeacherForcing() {
        int vocab = 7, classesCount = 4, bos = 0, maxSteps = 6;
        try (ConditionedGenerator m = new ConditionedGenerator(config(CellMode.LSTM, 3, 8, 2), ConditionedGenerator.Condition.CLASS,
                classesCount, vocab, 0f, 21)) {
            int[] classes = {0, 1, 2, 3, 1};
            int[][] out = m.generate(KERNELS, classes, bos, -1, maxSteps);
            assertThat(out[1]).isEqualTo(out[4]);                  // same class, same sequence
            int batch = classes.length;
            int[] prev = new int[maxSteps * batch];
            for (int b = 0; b < batch; b++) {
                prev[b] = bos;
                for (int t = 1; t < maxSteps; t++) prev[t * batch + b] = out[b][t - 1];
            }
            try (Graph g = Graph.inference(KERNELS)) {
                float[] logits = m.forward(g, m.initialState(g, classes), prev, maxSteps, null).value().toArray();
                for (int t = 0; t < maxSteps; t++) {
                    for (int b = 0; b < batch; b++) assertThat(argmax(logits, t * batch + b, vocab)).isEqualTo(out[b][t]);
                }
                // the class changes the state: logits at step 0 differ between classes 0 and 2
                float[] l0 = java.util.Arrays.copyOfRange(logits, 0, vocab), l2 = java.util.Arrays.copyOfRange(logits, 2 * vocab, 3 * vocab);
                assertThat(RelativeError.l2(l0, l2)).isGreaterThan(1e-3);
            }
        }
        try (ConditionedGenerator m = new ConditionedGenerator(config(CellMode.GRU, 3, 5, 1), ConditionedGenerator.Condition.FEATURES,
                4, 5, 0f, 2); dev.recur.engine.tensor.TensorArena arena = dev.recur.engine.tensor.TensorArena.open("f")) {
            Tensor f = arena.of(new float[]{1, 0, -1, 0.5f, 0.2f, 0.3f, -0.7f, 0.9f}, 2, 4);
            assertThat(m.generate(KERNELS, f, 0, -1, 5)).hasDimensions(2, 5);
            assertThatThrownBy(() -> m.generate(KERNELS, new int[]{1}, 0, -1, 3)).hasMessageContaining("conditioned on features");
        }
    }
}
