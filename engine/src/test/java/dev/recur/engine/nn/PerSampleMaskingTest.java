package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Masking is right per sample: a sample's result in a padded batch is its result alone, garbage in
 * the padding changes nothing, padded steps never enter the loss, and the step-level loss is the
 * mean over valid steps only.
 */
class PerSampleMaskingTest {
    static final Kernels KERNELS = KernelProvider.defaultKernels();

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of(CellMode.LSTM, false, ManyToOneHead.Source.LAST_VALID_OUTPUT),
                Arguments.of(CellMode.LSTM, true, ManyToOneHead.Source.LAST_VALID_OUTPUT),
                Arguments.of(CellMode.GRU, true, ManyToOneHead.Source.FINAL_HIDDEN),
                Arguments.of(CellMode.RNN_TANH, false, ManyToOneHead.Source.FINAL_HIDDEN),
                Arguments.of(CellMode.RNN_RELU, true, ManyToOneHead.Source.LAST_VALID_OUTPUT));
    }

    /** Logits and every parameter's gradient of the mean cross-entropy, plus the input gradient. */
    record Run(float[] logits, List<float[]> grads, float[] inputGrad) {
    }

    static Run run(SequenceClassifier m, float[] x, int steps, int batch, int inputs, int[] lengths, int[] targets) {
        m.zeroGrad();
        try (Graph g = Graph.training(KERNELS)) {
            Var xv = g.variable(g.arena().of(x, steps, batch, inputs));
            Var logits = m.forward(g, xv, lengths);
            g.backward(SequenceClassifier.loss(logits, targets));
            List<float[]> grads = new ArrayList<>();
            for (Parameter p : m.parameters()) grads.add(p.grad().toArray());
            return new Run(logits.value().toArray(), grads, xv.grad().toArray());
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void eachSampleOfAPaddedBatchGetsWhatItGetsAlone(CellMode mode, boolean bidirectional, ManyToOneHead.Source source) {
        int steps = 17, batch = 5, inputs = 3, classes = 4;
        int[] lengths = {17, 3, 1, 9, 16};
        SplittableRandom rng = new SplittableRandom(mode.ordinal() * 31L + (bidirectional ? 1 : 0));
        float[] x = Batches.features(rng, steps, batch, inputs, lengths, Float.NaN);
        int[] targets = {0, 3, 1, 2, 3};
        RecurrentConfig config = RecurrentConfig.of(mode, inputs, 5).withLayers(2).withBidirectional(bidirectional);
        double worstLogits = 0, worstGrad = 0;
        try (SequenceClassifier m = new SequenceClassifier(config, 0, classes, source, 0f, 42)) {
            Run whole = run(m, x, steps, batch, inputs, lengths, targets);
            List<double[]> meanOfAlone = new ArrayList<>();
            for (Parameter p : m.parameters()) meanOfAlone.add(new double[(int) p.value().size()]);
            for (int b = 0; b < batch; b++) {
                int len = lengths[b];
                Run alone = run(m, Batches.sample(x, batch, inputs, b, len), len, 1, inputs, new int[]{len}, new int[]{targets[b]});
                float[] row = java.util.Arrays.copyOfRange(whole.logits(), b * classes, (b + 1) * classes);
                double e = RelativeError.l2(row, alone.logits());
                assertThat(e).as("logits of sample %d (length %d)", b, len).isLessThan(1e-5);
                worstLogits = Math.max(worstLogits, e);
                for (int i = 0; i < meanOfAlone.size(); i++) {
                    float[] gb = alone.grads().get(i);
                    for (int j = 0; j < gb.length; j++) meanOfAlone.get(i)[j] += gb[j] / batch;
                }
                // the input gradient: the sample's own valid steps as alone (divided by B), zero at its padding
                for (int t = 0; t < steps; t++) {
                    for (int i = 0; i < inputs; i++) {
                        float got = whole.inputGrad()[(t * batch + b) * inputs + i];
                        if (t >= len) assertThat(got).as("input gradient at padded step %d of sample %d", t, b).isZero();
                        else assertThat((double) got).isCloseTo(alone.inputGrad()[t * inputs + i] / batch,
                                org.assertj.core.data.Offset.offset(1e-6));
                    }
                }
            }
            // the mean loss's gradient is the mean of the per-sample gradients: no sample's padding leaks into another's
            for (int i = 0; i < meanOfAlone.size(); i++) {
                double e = RelativeError.l2(whole.grads().get(i), meanOfAlone.get(i));
                assertThat(e).as("gradient of %s", m.parameters().get(i).name()).isLessThan(1e-4);
                worstGrad = Math.max(worstGrad, e);
            }
        }
        System.out.printf("batch vs alone %s bidir=%s %s: logits %.1e, gradients %.1e%n", mode, bidirectional, source, worstLogits, worstGrad);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void garbageInThePaddingChangesNothing(CellMode mode, boolean bidirectional, ManyToOneHead.Source source) {
        int steps = 6, batch = 3, inputs = 4, classes = 3;
        int[] lengths = {2, 6, 1};
        int[] targets = {2, 0, 1};
        SplittableRandom rng = new SplittableRandom(7 + mode.ordinal());
        float[] clean = Batches.features(rng, steps, batch, inputs, lengths, 0f);
        RecurrentConfig config = RecurrentConfig.of(mode, inputs, 4).withLayers(2).withBidirectional(bidirectional);
        try (SequenceClassifier m = new SequenceClassifier(config, 0, classes, source, 0f, 3)) {
            Run reference = run(m, clean, steps, batch, inputs, lengths, targets);
            for (float filler : new float[]{Float.NaN, 1e30f, Float.NEGATIVE_INFINITY, -3.5f}) {
                Run r = run(m, Batches.refill(clean, steps, batch, inputs, lengths, filler), steps, batch, inputs, lengths, targets);
                assertThat(r.logits()).as("logits with %s in the padding", filler).containsExactly(reference.logits());
                for (int i = 0; i < r.grads().size(); i++) {
                    assertThat(r.grads().get(i)).as("gradient of %s with %s in the padding", m.parameters().get(i).name(), filler)
                            .containsExactly(reference.grads().get(i));
                }
                assertThat(r.inputGrad()).containsExactly(reference.inputGrad());
            }
        }
    }

    /**
     * The known bug of a framework whose masking skipped a time step for ALL samples of the batch
     * when one sample was padded there: sample 1 (full length) sits beside sample 0 (2 valid
     * steps). Its result must be its full-length result alone, and must differ from what skipping
     * steps 2..4 for everyone would give (sample 1 alone over 2 steps), by far more than the
     * tolerance: the test can tell the two apart.
     */
    @Test
    void aSamplePaddedAtAStepDoesNotSkipThatStepForTheOthers() {
        int steps = 5, batch = 2, inputs = 3, classes = 4;
        int[] lengths = {2, 5};
        SplittableRandom rng = new SplittableRandom(2024);
        float[] x = Batches.features(rng, steps, batch, inputs, lengths, 0f);
        for (CellMode mode : CellMode.values()) {
            RecurrentConfig config = RecurrentConfig.of(mode, inputs, 6);
            try (SequenceClassifier m = new SequenceClassifier(config, 0, classes, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 5)) {
                float[] batched = run(m, x, steps, batch, inputs, lengths, new int[]{0, 0}).logits();
                float[] sample1 = java.util.Arrays.copyOfRange(batched, classes, 2 * classes);
                float[] full = run(m, Batches.sample(x, batch, inputs, 1, 5), 5, 1, inputs, new int[]{5}, new int[]{0}).logits();
                float[] skipped = run(m, Batches.sample(x, batch, inputs, 1, 2), 2, 1, inputs, new int[]{2}, new int[]{0}).logits();
                assertThat(RelativeError.l2(sample1, full)).as("%s: sample 1 in the batch vs alone", mode).isLessThan(1e-5);
                assertThat(RelativeError.l2(sample1, skipped)).as("%s: the skip-for-all result must be distinguishable", mode)
                        .isGreaterThan(1e-2);
            }
            // step level: the tagger's output for sample 1 at steps 2..4 still depends on its inputs there
            try (SequenceTagger tagger = new SequenceTagger(config, 0, classes, 0f, 6); Graph g = Graph.training(KERNELS)) {
                Var xv = g.variable(g.arena().of(x, steps, batch, inputs));
                Var logits = tagger.forward(g, xv, lengths);
                int[] targets = new int[steps * batch];
                g.backward(SequenceTagger.loss(logits, targets, lengths));
                float[] dx = xv.grad().toArray();
                for (int t = 2; t < steps; t++) {
                    double n1 = 0, n0 = 0;
                    for (int i = 0; i < inputs; i++) {
                        n1 += Math.abs(dx[(t * batch + 1) * inputs + i]);
                        n0 += Math.abs(dx[(t * batch) * inputs + i]);
                    }
                    assertThat(n1).as("%s: sample 1's loss depends on its input at step %d", mode, t).isGreaterThan(1e-6);
                    assertThat(n0).as("%s: sample 0's padded step %d", mode, t).isZero();
                }
            }
        }
    }

    @Test
    void theStepLossIsTheMeanOverValidStepsAndIgnoresPaddedTargets() {
        int steps = 7, batch = 3, vocabulary = 11, classes = 5;
        int[] lengths = {7, 1, 4};
        SplittableRandom rng = new SplittableRandom(99);
        int[] tokens = Batches.tokens(rng, steps, batch, vocabulary, lengths, 0);
        int[] targets = Batches.tokens(rng, steps, batch, classes, lengths, 0);
        RecurrentConfig config = RecurrentConfig.of(CellMode.GRU, 4, 6).withLayers(2).withBidirectional(true);
        try (SequenceTagger m = new SequenceTagger(config, vocabulary, classes, 0f, 8); Graph g = Graph.training(KERNELS)) {
            Var logits = m.forward(g, tokens, steps, batch, lengths);
            Var loss = SequenceTagger.loss(logits, targets, lengths);
            // float64 reference: sum of -log softmax over valid (t, b) only, divided by their count (12)
            float[] z = logits.value().toArray();
            double total = 0;
            int count = 0;
            for (int t = 0; t < steps; t++) {
                for (int b = 0; b < batch; b++) {
                    if (t >= lengths[b]) continue;
                    int row = (t * batch + b) * classes;
                    double max = Double.NEGATIVE_INFINITY, s = 0;
                    for (int c = 0; c < classes; c++) max = Math.max(max, z[row + c]);
                    for (int c = 0; c < classes; c++) s += Math.exp(z[row + c] - max);
                    total += max + Math.log(s) - z[row + targets[t * batch + b]];
                    count++;
                }
            }
            assertThat(count).isEqualTo(12);
            assertThat((double) loss.value().get(0)).isCloseTo(total / count, org.assertj.core.data.Offset.offset(1e-6 * total / count));
            // targets at padded steps may hold anything, even ids out of range: the loss is unchanged
            int[] junk = targets.clone();
            for (int t = 0; t < steps; t++) for (int b = 0; b < batch; b++) if (t >= lengths[b]) junk[t * batch + b] = (t % 2 == 0) ? -1 : 999;
            assertThat(SequenceTagger.loss(logits, junk, lengths).value().get(0)).isEqualTo(loss.value().get(0));
            g.backward(loss);
            float[] dz = logits.grad().toArray();
            for (int t = 0; t < steps; t++) {
                for (int b = 0; b < batch; b++) {
                    for (int c = 0; c < classes; c++) {
                        float v = dz[(t * batch + b) * classes + c];
                        if (t >= lengths[b]) assertThat(v).as("logit gradient at padded (%d, %d)", t, b).isZero();
                    }
                }
            }
            // padded tokens may be any id as well (here: the last one): the loss and logits at valid steps are unchanged
            int[] otherPadding = tokens.clone();
            for (int t = 0; t < steps; t++) for (int b = 0; b < batch; b++) if (t >= lengths[b]) otherPadding[t * batch + b] = vocabulary - 1;
            try (Graph g2 = Graph.inference(KERNELS)) {
                Var l2 = SequenceTagger.loss(m.forward(g2, otherPadding, steps, batch, lengths), targets, lengths);
                assertThat(l2.value().get(0)).isEqualTo(loss.value().get(0));
            }
        }
    }
}
