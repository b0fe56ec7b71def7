package dev.recur.engine.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.data.TokenBatch;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TBPTT(k1, k2) against its definition: with k1 = k2 = T it is full BPTT; no gradient crosses a
 * chunk boundary while the state does; with k2 < k1 the gradient is that of the last k2 steps'
 * mean loss from a frozen state (central differences), not that of the whole chunk.
 */
class TruncatedBpttTest {
    static final int VOCAB = 7, EMBED = 4, HIDDEN = 5;
    static final Kernels KERNELS = KernelProvider.defaultKernels();

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of(RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN).withLayers(2)),
                Arguments.of(RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN).withProjSize(3)),
                Arguments.of(RecurrentConfig.of(CellMode.GRU, EMBED, HIDDEN).withLayers(2).withBatchFirst(true)),
                Arguments.of(RecurrentConfig.of(CellMode.RNN_TANH, EMBED, HIDDEN).withBias(false)));
    }

    static int[] randomTokens(long seed, int n, int from, int to) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = r.nextInt(from, to);
        return out;
    }

    /** Time-major rows [from, to) of a [T·B] array. */
    static int[] steps(int[] timeMajor, int batch, int from, int to) {
        return Arrays.copyOfRange(timeMajor, from * batch, to * batch);
    }

    static int[] batchMajorIfNeeded(RecurrentConfig c, int[] timeMajor, int steps, int batch) {
        if (!c.batchFirst()) return timeMajor;
        int[] out = new int[timeMajor.length];
        for (int t = 0; t < steps; t++) for (int b = 0; b < batch; b++) out[b * steps + t] = timeMajor[t * batch + b];
        return out;
    }

    static Map<String, float[]> grads(SequenceTagger model) {
        Map<String, float[]> out = new HashMap<>();
        for (Parameter p : model.parameters()) out.put(p.name(), p.grad().toArray());
        return out;
    }

    @ParameterizedTest
    @MethodSource("configs")
    void wholeSequenceAsOneChunkIsFullBptt(RecurrentConfig config) {
        int steps = 11, batch = 3;
        int[] in = randomTokens(1, steps * batch, 0, VOCAB), tg = randomTokens(2, steps * batch, 0, VOCAB);
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 5);
             CarriedState state = CarriedState.zeros(config, batch)) {
            model.zeroGrad();
            double reference;
            try (Graph g = Graph.training(KERNELS)) {
                Var logits = model.forward(g, batchMajorIfNeeded(config, in, steps, batch), steps, batch, null);
                Var loss = SequenceTagger.loss(logits, tg, null);
                g.backward(loss);
                reference = loss.value().get(0);
            }
            Map<String, float[]> full = grads(model);

            model.zeroGrad();
            TruncatedBptt.Result r = TruncatedBptt.of(steps).step(model, state, new TokenBatch(steps, batch, in, tg), KERNELS);
            assertThat(r.loss()).isCloseTo(reference, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(reference)));
            assertThat(r.differentiatedSteps()).isEqualTo(steps);
            assertThat(r.predictions()).isEqualTo(steps * batch);
            assertThat(r.crossEntropySum()).isCloseTo(reference * steps * batch, org.assertj.core.data.Offset.offset(1e-4));
            for (Parameter p : model.parameters()) {
                float[] want = full.get(p.name());
                assertThat(RelativeError.l2(p.grad().toArray(), want)).as(p.name()).isLessThan(1e-6);
                assertThat(norm(want)).as(p.name()).isGreaterThan(0);
            }
            // k1 = T with a smaller k2 is no longer full BPTT (the test could fail).
            model.zeroGrad();
            state.reset();
            new TruncatedBptt(steps, 3).step(model, state, new TokenBatch(steps, batch, in, tg), KERNELS);
            assertThat(RelativeError.l2(model.parameter("head.weight").grad().toArray(), full.get("head.weight")))
                    .isGreaterThan(1e-2);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void stateCrossesChunkBoundariesButGradientsDoNot(RecurrentConfig config) {
        int chunk = 6, batch = 3, total = 2 * chunk;
        // Chunk 1 reads only tokens 0..2, chunk 2 only 3..6: the embedding rows 0..2 are chunk 1's inputs.
        int[] in = new int[total * batch];
        System.arraycopy(randomTokens(3, chunk * batch, 0, 3), 0, in, 0, chunk * batch);
        System.arraycopy(randomTokens(4, chunk * batch, 3, VOCAB), 0, in, chunk * batch, chunk * batch);
        int[] tg = randomTokens(5, total * batch, 0, VOCAB);
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 6);
             CarriedState state = CarriedState.zeros(config, batch);
             TensorArena arena = TensorArena.open("reference")) {
            // Full forward over both chunks: the loss of chunk 2's steps, its gradient, and h_n / c_n.
            model.zeroGrad();
            double referenceLoss2;
            Tensor refH, refC;
            try (Graph g = Graph.training(KERNELS)) {
                SequenceTagger.StatefulOutput out = model.forward(g, batchMajorIfNeeded(config, in, total, batch), total, batch, null, null);
                Var logits2 = Shapes.slice(out.logits(), 0, chunk, total);
                Var loss2 = SequenceTagger.loss(logits2, steps(tg, batch, chunk, total), null);
                g.backward(loss2);
                referenceLoss2 = loss2.value().get(0);
                refH = arena.copyOf(out.hN().value());
                refC = out.cN() == null ? null : arena.copyOf(out.cN().value());
            }
            float[] fullEmbeddingGrad = model.parameter("embedding.weight").grad().toArray();
            assertThat(norm(Arrays.copyOfRange(fullEmbeddingGrad, 0, 3 * EMBED)))
                    .as("full BPTT sends chunk 2's loss into chunk 1's inputs").isGreaterThan(1e-4);

            TruncatedBptt tbptt = TruncatedBptt.of(chunk);
            TruncatedBptt.Result r1 = tbptt.step(model, state, new TokenBatch(chunk, batch, steps(in, batch, 0, chunk),
                    steps(tg, batch, 0, chunk)), KERNELS);
            model.zeroGrad();
            TruncatedBptt.Result r2 = tbptt.step(model, state, new TokenBatch(chunk, batch, steps(in, batch, chunk, total),
                    steps(tg, batch, chunk, total)), KERNELS);

            // The forward: chunk 2 started from chunk 1's final state.
            assertThat(r2.loss()).isCloseTo(referenceLoss2, org.assertj.core.data.Offset.offset(1e-6 * referenceLoss2));
            assertThat(RelativeError.l2(state.h().toArray(), refH.toArray())).isLessThan(1e-6);
            if (refC != null) assertThat(RelativeError.l2(state.c().toArray(), refC.toArray())).isLessThan(1e-6);
            assertThat(r1.loss()).isNotEqualTo(r2.loss());

            // The backward: chunk 2's loss reached no input of chunk 1, but did reach its own.
            float[] embeddingGrad = model.parameter("embedding.weight").grad().toArray();
            for (int i = 0; i < 3 * EMBED; i++) assertThat(embeddingGrad[i]).as("embedding grad %d", i).isZero();
            assertThat(norm(Arrays.copyOfRange(embeddingGrad, 3 * EMBED, VOCAB * EMBED))).isGreaterThan(1e-4);
        }
    }

    /** Without the carried state, chunk 2 would not reproduce the full forward: the check above can fail. */
    @Test
    void aResetStateGivesAnotherLoss() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN);
        int batch = 2, chunk = 4;
        int[] in = randomTokens(7, 2 * chunk * batch, 0, VOCAB), tg = randomTokens(8, 2 * chunk * batch, 0, VOCAB);
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 1);
             CarriedState carried = CarriedState.zeros(config, batch);
             CarriedState fresh = CarriedState.zeros(config, batch)) {
            TokenBatch c1 = new TokenBatch(chunk, batch, steps(in, batch, 0, chunk), steps(tg, batch, 0, chunk));
            TokenBatch c2 = new TokenBatch(chunk, batch, steps(in, batch, chunk, 2 * chunk), steps(tg, batch, chunk, 2 * chunk));
            TruncatedBptt.evaluate(model, carried, c1, KERNELS);
            double withState = TruncatedBptt.evaluate(model, carried, c2, KERNELS).loss();
            double withoutState = TruncatedBptt.evaluate(model, fresh, c2, KERNELS).loss();
            assertThat(Math.abs(withState - withoutState)).isGreaterThan(1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void withK2BelowK1TheGradientIsThatOfTheLastK2StepsFromAFrozenState(RecurrentConfig config) {
        int k1 = 8, k2 = 3, batch = 2, frozen = k1 - k2;
        // Token 0 appears only in the frozen steps: its embedding row must get no gradient.
        int[] in = randomTokens(9, k1 * batch, 1, VOCAB);
        for (int b = 0; b < batch; b++) in[b] = 0;
        int[] tg = randomTokens(10, k1 * batch, 0, VOCAB);
        TokenBatch chunk = new TokenBatch(k1, batch, in, tg);
        int[] windowIn = batchMajorIfNeeded(config, steps(in, batch, frozen, k1), k2, batch);
        int[] windowTg = steps(tg, batch, frozen, k1);
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 8);
             CarriedState state = CarriedState.zeros(config, batch);
             CarriedState start = CarriedState.zeros(config, batch);
             CarriedState frozenState = CarriedState.zeros(config, batch)) {
            // A non-zero starting state, as in the middle of a stream.
            TruncatedBptt.evaluate(model, start, new TokenBatch(k1, batch, randomTokens(11, k1 * batch, 0, VOCAB), tg), KERNELS);
            state.loadStateDict(start.stateDict());
            frozenState.loadStateDict(start.stateDict());
            // The state after the frozen steps, computed once at the unperturbed parameters.
            TruncatedBptt.evaluate(model, frozenState, new TokenBatch(frozen, batch, steps(in, batch, 0, frozen),
                    steps(tg, batch, 0, frozen)), KERNELS);

            model.zeroGrad();
            TruncatedBptt.Result r = new TruncatedBptt(k1, k2).step(model, state, chunk, KERNELS);
            assertThat(r.differentiatedSteps()).isEqualTo(k2);
            double windowLoss = windowLoss(model, frozenState, windowIn, windowTg, k2, batch);
            assertThat(r.loss()).isCloseTo(windowLoss, org.assertj.core.data.Offset.offset(1e-6 * windowLoss));
            double allLoss;
            try (Graph g = Graph.inference(KERNELS)) {
                Var logits = model.forward(g, batchMajorIfNeeded(config, in, k1, batch), k1, batch,
                        start.h0(g), start.c0(g)).logits();
                allLoss = SequenceTagger.loss(logits, tg, null).value().get(0);
            }
            assertThat(r.crossEntropySum()).isCloseTo(allLoss * k1 * batch, org.assertj.core.data.Offset.offset(1e-4));

            float[] embedding = model.parameter("embedding.weight").grad().toArray();
            for (int i = 0; i < EMBED; i++) assertThat(embedding[i]).isZero();

            // Central differences of the window's loss, the frozen state held fixed.
            for (Parameter p : model.parameters()) {
                float[] analytic = p.grad().toArray();
                double[] numeric = new double[analytic.length];
                Tensor v = p.value();
                for (int i = 0; i < analytic.length; i++) {
                    float x = v.get(i);
                    v.set(i, x + 1e-2f);
                    double plus = windowLoss(model, frozenState, windowIn, windowTg, k2, batch);
                    v.set(i, x - 1e-2f);
                    double minus = windowLoss(model, frozenState, windowIn, windowTg, k2, batch);
                    v.set(i, x);
                    numeric[i] = (plus - minus) / ((x + 1e-2f) - (x - 1e-2f));
                }
                double scale = Math.max(Math.max(norm(analytic), norm(numeric)), 2e-2);
                assertThat(diff(analytic, numeric) / scale).as("gradient of %s", p.name()).isLessThan(2e-3);
            }

            // Differentiating through the whole chunk gives another gradient (so the check above can fail).
            Map<String, float[]> truncated = grads(model);
            model.zeroGrad();
            try (Graph g = Graph.training(KERNELS)) {
                Var logits = model.forward(g, batchMajorIfNeeded(config, in, k1, batch), k1, batch,
                        start.h0(g), start.c0(g)).logits();
                g.backward(SequenceTagger.loss(Shapes.slice(logits, 0, frozen, k1), windowTg, null));
            }
            String recurrentWeight = "rnn.weight_hh_l0";
            assertThat(RelativeError.l2(model.parameter(recurrentWeight).grad().toArray(), truncated.get(recurrentWeight)))
                    .isGreaterThan(1e-2);
        }
    }

    private static double windowLoss(SequenceTagger model, CarriedState frozenState, int[] in, int[] tg, int steps, int batch) {
        try (Graph g = Graph.inference(KERNELS)) {
            Var logits = model.forward(g, in, steps, batch, frozenState.h0(g), frozenState.c0(g)).logits();
            return SequenceTagger.loss(logits, tg, null).value().get(0);
        }
    }

    @Test
    void streamEvaluationDoesNotDependOnTheChunkLength() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN).withLayers(2);
        int batch = 2;
        int[] ids = randomTokens(12, 2 * 30 + 1, 0, VOCAB);
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 4)) {
            TokenStream stream = new TokenStream(ids, batch);
            // One forward over each whole row (29 steps): the reference.
            TokenBatch whole = stream.next(stream.stepsPerPass());
            double reference;
            try (Graph g = Graph.inference(KERNELS)) {
                reference = SequenceTagger.loss(model.forward(g, whole.inputs(), whole.steps(), batch, null), whole.targets(), null)
                        .value().get(0) / Math.log(2);
            }
            for (int chunk : new int[]{1, 4, 29, 50}) {
                assertThat(TruncatedBptt.bitsPerToken(model, stream, chunk, KERNELS)).as("chunks of %d", chunk)
                        .isCloseTo(reference, org.assertj.core.data.Offset.offset(1e-5));
                assertThat(stream.position()).isZero();
            }
        }
    }

    @Test
    void aShortLastChunkBackpropagatesThroughAtMostK2Steps() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.GRU, EMBED, HIDDEN);
        int batch = 2;
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 3);
             CarriedState state = CarriedState.zeros(config, batch)) {
            TruncatedBptt tbptt = new TruncatedBptt(10, 4);
            assertThat(tbptt.step(model, state, new TokenBatch(2, batch, randomTokens(1, 4, 0, VOCAB),
                    randomTokens(2, 4, 0, VOCAB)), KERNELS).differentiatedSteps()).isEqualTo(2);
            assertThat(tbptt.step(model, state, new TokenBatch(7, batch, randomTokens(1, 14, 0, VOCAB),
                    randomTokens(2, 14, 0, VOCAB)), KERNELS).differentiatedSteps()).isEqualTo(4);
            assertThatThrownBy(() -> tbptt.step(model, state, new TokenBatch(11, batch, new int[22], new int[22]), KERNELS))
                    .hasMessageContaining("longer than k1 = 10");
        }
    }

    @Test
    void refusesBidirectionalModelsAndBadLengths() {
        RecurrentConfig bi = RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN).withBidirectional(true);
        assertThatThrownBy(() -> CarriedState.zeros(bi, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unidirectional");
        assertThatThrownBy(() -> new TruncatedBptt(5, 6)).hasMessageContaining("k2 must be in 1..k1 = 5");
        assertThatThrownBy(() -> new TruncatedBptt(5, 0)).hasMessageContaining("k2 must be in 1..k1");
        assertThatThrownBy(() -> new TruncatedBptt(0, 0)).hasMessageContaining("k1 must be >= 1");
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN);
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 3);
             CarriedState state = CarriedState.zeros(config, 3)) {
            assertThatThrownBy(() -> TruncatedBptt.of(4).step(model, state, new TokenBatch(2, 2, new int[4], new int[4]), KERNELS))
                    .hasMessageContaining("chunk of 2 streams for a carried state of 3");
        }
    }

    @Test
    void resetZeroesOneStreamInEveryLayer() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, EMBED, HIDDEN).withLayers(2);
        int batch = 3;
        try (SequenceTagger model = new SequenceTagger(config, VOCAB, VOCAB, 0f, 3);
             CarriedState state = CarriedState.zeros(config, batch)) {
            TruncatedBptt.evaluate(model, state, new TokenBatch(4, batch, randomTokens(1, 12, 0, VOCAB),
                    randomTokens(2, 12, 0, VOCAB)), KERNELS);
            float[] before = state.h().toArray();
            state.reset(1);
            float[] after = state.h().toArray(), c = state.c().toArray();
            for (int l = 0; l < 2; l++) {
                for (int b = 0; b < batch; b++) {
                    for (int j = 0; j < HIDDEN; j++) {
                        int i = (l * batch + b) * HIDDEN + j;
                        if (b == 1) {
                            assertThat(after[i]).isZero();
                            assertThat(c[i]).isZero();
                        } else {
                            assertThat(after[i]).isEqualTo(before[i]);
                            assertThat(before[i]).isNotZero();
                        }
                    }
                }
            }
            state.reset();
            assertThat(norm(state.h().toArray())).isZero();
            assertThat(norm(state.c().toArray())).isZero();
            assertThatThrownBy(() -> state.reset(3)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    static double norm(float[] a) {
        double s = 0;
        for (float x : a) s += (double) x * x;
        return Math.sqrt(s);
    }

    static double norm(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s);
    }

    static double diff(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }

    static List<Parameter> parameters(SequenceTagger model) {
        return model.parameters();
    }
}
