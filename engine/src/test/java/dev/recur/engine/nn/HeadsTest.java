package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
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

/** Each head and model: gradients by finite differences, and what each head reads. */
class HeadsTest {
    static final Kernels KERNELS = KernelProvider.defaultKernels();

    @ParameterizedTest
    @EnumSource(value = CellMode.class, names = {"LSTM", "GRU", "RNN_TANH"})
    void manyToOneClassifierGradientsMatchFiniteDifferences(CellMode mode) {
        int steps = 4, batch = 3, classes = 3, vocabulary = 5;
        int[] lengths = {4, 1, 3};
        SplittableRandom rng = new SplittableRandom(mode.ordinal());
        int[] tokens = Batches.tokens(rng, steps, batch, vocabulary, lengths, 0);
        RecurrentConfig config = RecurrentConfig.of(mode, 2, 3).withLayers(2).withBidirectional(true);
        for (ManyToOneHead.Source source : ManyToOneHead.Source.values()) {
            try (SequenceClassifier m = new SequenceClassifier(config, vocabulary, classes, source, 0f, 11)) {
                double worst = ModelGradCheck.check(m, KERNELS,
                        g -> SequenceClassifier.loss(m.forward(g, tokens, steps, batch, lengths), new int[]{2, 0, 1}));
                System.out.printf("classifier %s %s: worst gradient rel L2 %.1e%n", mode, source, worst);
            }
        }
    }

    @Test
    void regressorGradientsMatchFiniteDifferences() {
        int steps = 5, batch = 3, inputs = 2, outputs = 2;
        int[] lengths = {2, 5, 3};
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = Batches.features(rng, steps, batch, inputs, lengths, Float.NaN);
        float[] y = {0.5f, -1f, 0.25f, 2f, -0.3f, 0.1f};
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, inputs, 3).withBatchFirst(true)
                .withProjSize(2);  // batch-first, proj
        float[] xb = new float[x.length];  // to batch-first [B, T, I]
        for (int t = 0; t < steps; t++) for (int b = 0; b < batch; b++)
            System.arraycopy(x, (t * batch + b) * inputs, xb, (b * steps + t) * inputs, inputs);
        try (SequenceRegressor m = new SequenceRegressor(config, outputs, 4)) {
            double worst = ModelGradCheck.check(m, KERNELS, g -> SequenceRegressor.loss(
                    m.forward(g, g.constant(g.arena().of(xb, batch, steps, inputs)), lengths),
                    g.constant(g.arena().of(y, batch, outputs))));
            System.out.printf("regressor: worst gradient rel L2 %.1e%n", worst);
        }
    }

    @Test
    void taggerGradientsMatchFiniteDifferences() {
        int steps = 5, batch = 2, vocabulary = 4, classes = 3;
        int[] lengths = {5, 2};
        SplittableRandom rng = new SplittableRandom(6);
        int[] tokens = Batches.tokens(rng, steps, batch, vocabulary, lengths, 3);
        int[] targets = Batches.tokens(rng, steps, batch, classes, lengths, 0);
        try (SequenceTagger m = new SequenceTagger(RecurrentConfig.of(CellMode.GRU, 2, 3)
                .withBidirectional(true), vocabulary, classes, 0f, 2)) {
            double worst = ModelGradCheck.check(m, KERNELS, g -> SequenceTagger.loss(m.forward(g, tokens, steps, batch, lengths), targets, lengths));
            System.out.printf("tagger: worst gradient rel L2 %.1e%n", worst);
        }
    }

    /**
     * The last valid step of the forward direction is h_n's forward half, and step 0 of the
     * backward direction is h_n's backward half: both sources must read the same numbers.
     */
    @ParameterizedTest
    @EnumSource(value = CellMode.class)
    void lastValidOutputEqualsTheFinalHiddenStateOfTheLastLayer(CellMode mode) {
        int steps = 17, batch = 4, inputs = 3;
        int[] lengths = {17, 1, 8, 3};
        SplittableRandom rng = new SplittableRandom(17);
        float[] x = Batches.features(rng, steps, batch, inputs, lengths, 1e30f);
        for (boolean bidirectional : new boolean[]{false, true}) {
            RecurrentConfig config = RecurrentConfig.of(mode, inputs, 5).withLayers(2).withBidirectional(bidirectional);
            ManyToOneHead last = new ManyToOneHead("a.", config, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 1);
            ManyToOneHead hn = new ManyToOneHead("b.", config, 2, ManyToOneHead.Source.FINAL_HIDDEN, 1);
            try (Recurrent rnn = Recurrent.create(config, 3); Graph g = Graph.inference(KERNELS); last; hn) {
                Recurrent.Output out = rnn.forward(g, g.constant(g.arena().of(x, steps, batch, inputs)), lengths, null, null, RecurrentExecution.FUSED);
                float[] a = last.features(out, lengths).value().toArray();
                float[] b = hn.features(out, lengths).value().toArray();
                assertThat(a).as("%s bidirectional=%s", mode, bidirectional).containsExactly(b);
                assertThat(a).doesNotContain(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
            }
        }
    }

    @Test
    void manyToOneHeadGradientReachesOnlyTheStepsItReads() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.GRU, 2, 3).withBidirectional(true);
        int steps = 4, batch = 2;
        int[] lengths = {2, 4};
        try (ManyToOneHead head = new ManyToOneHead("head.", config, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 1);
             Graph g = Graph.training(KERNELS)) {
            float[] y = new float[steps * batch * 6];
            java.util.Arrays.fill(y, 0.5f);
            Var yv = g.variable(g.arena().of(y, steps, batch, 6));
            g.backward(dev.recur.engine.autodiff.Reductions.sum(head.forward(g, new Recurrent.Output(yv, null, null), lengths)));
            Tensor dy = yv.grad();
            for (int t = 0; t < steps; t++) {
                for (int b = 0; b < batch; b++) {
                    boolean fwdRead = t == lengths[b] - 1, bwdRead = t == 0;
                    for (int f = 0; f < 6; f++) {
                        float v = dy.get(((long) t * batch + b) * 6 + f);
                        boolean read = f < 3 ? fwdRead : bwdRead;
                        if (read) assertThat(v).as("(%d,%d,%d)", t, b, f).isNotZero();
                        else assertThat(v).as("(%d,%d,%d)", t, b, f).isZero();
                    }
                }
            }
        }
    }

    @Test
    void batchFirstAndTimeMajorClassifiersAgree() {
        int steps = 6, batch = 3, inputs = 2;
        int[] lengths = {6, 2, 5};
        SplittableRandom rng = new SplittableRandom(1);
        float[] x = Batches.features(rng, steps, batch, inputs, lengths, Float.NaN);
        float[] xb = new float[x.length];
        for (int t = 0; t < steps; t++) for (int b = 0; b < batch; b++)
            System.arraycopy(x, (t * batch + b) * inputs, xb, (b * steps + t) * inputs, inputs);
        RecurrentConfig tm = RecurrentConfig.of(CellMode.LSTM, inputs, 4).withLayers(2).withBidirectional(true);
        RecurrentConfig bf = RecurrentConfig.of(CellMode.LSTM, inputs, 4).withLayers(2).withBidirectional(true)
                .withBatchFirst(true);
        try (SequenceClassifier a = new SequenceClassifier(tm, 3, 9); SequenceClassifier b = new SequenceClassifier(bf, 3, 9);
             Graph g = Graph.inference(KERNELS)) {
            float[] la = a.forward(g, g.constant(g.arena().of(x, steps, batch, inputs)), lengths).value().toArray();
            float[] lb = b.forward(g, g.constant(g.arena().of(xb, batch, steps, inputs)), lengths).value().toArray();
            assertThat(RelativeError.l2(lb, la)).isLessThan(1e-6);
        }
    }

    @Test
    void badInputsGetClearMessages() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.GRU, 2, 3);
        try (SequenceClassifier m = new SequenceClassifier(config, 2, 1); Graph g = Graph.inference(KERNELS)) {
            Var x = g.constant(g.arena().zeros(3, 2, 2));
            assertThatThrownBy(() -> m.forward(g, x, new int[]{3, 0})).hasMessageContaining("lengths[1] = 0");
            assertThatThrownBy(() -> m.forward(g, new int[]{0}, 1, 1, null)).hasMessageContaining("feature vectors, not token ids");
            assertThatThrownBy(() -> SequenceTagger.loss(g.constant(g.arena().zeros(3, 2, 4)), new int[5], null))
                    .hasMessageContaining("5 targets");
        }
        assertThatThrownBy(() -> new Linear("x.", 0, 2, 1)).hasMessageContaining("in, out >= 1");
    }
}
