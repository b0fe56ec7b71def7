package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModulesTest {

    @ParameterizedTest
    @CsvSource({"1,1", "3,17", "17,3", "64,200"})
    void linearMatchesAFloat64ReferenceOverAnyLeadingAxes(int in, int out) {
        SplittableRandom rng = new SplittableRandom(in * 1000L + out);
        try (Linear linear = new Linear("head.", in, out, 7); Graph g = Graph.training(KernelProvider.defaultKernels())) {
            int t = 3, b = 2;
            float[] x = Batches.features(rng, t, b, in, new int[]{t, t}, 0f);
            Var y = linear.forward(g, g.constant(g.arena().of(x, t, b, in)));
            assertThat(y.shape()).containsExactly(t, b, out);
            float[] w = linear.weight().value().toArray(), bias = linear.bias().value().toArray();
            double[] ref = new double[t * b * out];
            for (int r = 0; r < t * b; r++) {
                for (int o = 0; o < out; o++) {
                    double s = bias[o];
                    for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
                    ref[r * out + o] = s;
                }
            }
            assertThat(RelativeError.l2(y.value().toArray(), ref)).isLessThan(1e-6);
        }
    }

    /** The count a memory estimate starts from equals what the built stack allocates (torch's numel sum). */
    @ParameterizedTest
    @CsvSource({"LSTM, 3, 17, 1, false, 0", "GRU, 1, 5, 3, true, 0", "RNN_TANH, 7, 3, 2, false, 0",
            "LSTM, 4, 9, 2, true, 3"})
    void parameterCountIsWhatTheStackAllocates(CellMode mode, int input, int hidden, int layers, boolean bidirectional,
                                               int proj) {
        RecurrentConfig config = RecurrentConfig.of(mode, input, hidden).withLayers(layers)
                .withBidirectional(bidirectional).withProjSize(proj);
        try (Recurrent rnn = Recurrent.zeros(config)) {
            assertThat(config.parameterCount()).isEqualTo(rnn.parameters().stream().mapToLong(p -> p.value().size()).sum());
        }
        assertThat(config.withBias(false).parameterCount()).isEqualTo(config.parameterCount()
                - 2L * mode.gates() * hidden * layers * config.directions());
    }

    @Test
    void linearInitialisesAsPyTorchUniformWithinOneOverSqrtFanIn() {
        int in = 50, out = 400;
        try (Linear linear = new Linear("", in, out, 3)) {
            double bound = 1 / Math.sqrt(in);
            float[] w = linear.weight().value().toArray();
            double sum = 0, sq = 0, max = 0;
            for (float v : w) {
                sum += v;
                sq += v * v;
                max = Math.max(max, Math.abs(v));
            }
            assertThat(max).isLessThanOrEqualTo(bound).isGreaterThan(0.99 * bound);
            assertThat(sum / w.length).isCloseTo(0, org.assertj.core.data.Offset.offset(0.01 * bound * 5));
            // uniform(-a, a) has variance a^2 / 3
            assertThat(sq / w.length).isCloseTo(bound * bound / 3, org.assertj.core.data.Percentage.withPercentage(5));
            for (float v : linear.bias().value().toArray()) assertThat((double) Math.abs(v)).isLessThanOrEqualTo(bound);
            assertThat(linear.parameters().stream().map(Parameter::name)).containsExactly("weight", "bias");
        }
        try (Linear a = new Linear("x.", 4, 5, 11); Linear b = new Linear("x.", 4, 5, 11); Linear c = new Linear("x.", 4, 5, 12)) {
            assertThat(a.weight().value().toArray()).containsExactly(b.weight().value().toArray());
            assertThat(a.weight().value().toArray()).isNotEqualTo(c.weight().value().toArray());
        }
        try (Linear nobias = new Linear("p.", 3, 2, false, 1)) {
            assertThat(nobias.parameters().stream().map(Parameter::name)).containsExactly("p.weight");
        }
    }

    @Test
    void embeddingInitialisesStandardNormalAndLooksUpRows() {
        try (Embedding e = new Embedding("embedding.", 200, 50, 5); Graph g = Graph.training(KernelProvider.defaultKernels())) {
            float[] w = e.weight().value().toArray();
            double sum = 0, sq = 0;
            for (float v : w) {
                sum += v;
                sq += v * v;
            }
            assertThat(sum / w.length).isCloseTo(0, org.assertj.core.data.Offset.offset(0.03));
            assertThat(sq / w.length).isCloseTo(1, org.assertj.core.data.Offset.offset(0.05));
            Var y = e.forward(g, new int[]{199, 0, 199}, 3, 1);
            assertThat(y.shape()).containsExactly(3, 1, 50);
            assertThat(y.value().rows(0, 1).toArray()).containsExactly(e.weight().value().rows(199, 200).toArray());
            assertThat(e.parameters().stream().map(Parameter::name)).containsExactly("embedding.weight");
        }
    }

    @Test
    void dropoutModuleIsActiveOnlyInTrainingModeOnATrainingGraph() {
        try (Dropout d = new Dropout(0.5f, 9); Graph train = Graph.training(KernelProvider.defaultKernels());
             Graph infer = Graph.inference(KernelProvider.defaultKernels())) {
            float[] ones = new float[1000];
            java.util.Arrays.fill(ones, 1f);
            float[] y = d.forward(train, train.constant(train.arena().of(ones, 1000))).value().toArray();
            int zeros = 0;
            for (float v : y) {
                assertThat(v).isIn(0f, 2f);
                if (v == 0f) zeros++;
            }
            assertThat(zeros).isBetween(400, 600);
            assertThat(d.forward(infer, infer.constant(infer.arena().of(ones, 1000))).value().toArray()).containsOnly(1f);
            d.eval();
            assertThat(d.forward(train, train.constant(train.arena().of(ones, 1000))).value().toArray()).containsOnly(1f);
            assertThat(d.parameters()).isEmpty();
        }
        assertThatThrownBy(() -> new Dropout(1f, 0)).hasMessageContaining("[0, 1)");
    }

    @Test
    void modelsNameTheirParametersUniquelyWithPyTorchNamesForTheRecurrentStack() {
        RecurrentConfig lstm = RecurrentConfig.of(CellMode.LSTM, 4, 6).withLayers(2).withBidirectional(true)
                .withProjSize(3);
        try (SequenceClassifier m = new SequenceClassifier(lstm, 10, 3, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 1)) {
            List<String> names = m.parameters().stream().map(Parameter::name).toList();
            List<String> expected = new java.util.ArrayList<>();
            expected.add("embedding.weight");
            for (Recurrent.ParameterSpec s : Recurrent.parameterSpecs(lstm)) expected.add("rnn." + s.name());
            expected.add("head.weight");
            expected.add("head.bias");
            assertThat(names).isEqualTo(expected).contains("rnn.weight_hr_l1_reverse");
            // the prefixed parameter shares the recurrent stack's memory
            assertThat(m.parameter("rnn.weight_ih_l0").value()).isSameAs(m.rnn().parameter("weight_ih_l0").value());
            assertThat(m.parameter("head.weight").shape()).containsExactly(3, 6);
        }
        RecurrentConfig gru = RecurrentConfig.of(CellMode.GRU, 3, 5);
        try (Seq2Seq s = new Seq2Seq(gru, 7, RecurrentConfig.of(CellMode.GRU, 4, 5), 9, 0f, 2)) {
            assertThat(s.parameters().stream().map(Parameter::name)).containsExactly("encoder.embedding.weight",
                    "encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0", "encoder.rnn.bias_hh_l0",
                    "decoder.embedding.weight", "decoder.rnn.weight_ih_l0", "decoder.rnn.weight_hh_l0",
                    "decoder.rnn.bias_ih_l0", "decoder.rnn.bias_hh_l0", "head.weight", "head.bias");
        }
        try (ConditionedGenerator g = new ConditionedGenerator(RecurrentConfig.of(CellMode.LSTM, 3, 5).withLayers(2),
                ConditionedGenerator.Condition.CLASS, 4, 6, 0f, 3)) {
            assertThat(g.parameters().stream().map(Parameter::name).toList()).startsWith("init_h.weight", "init_c.weight",
                    "embedding.weight", "rnn.weight_ih_l0").endsWith("head.weight", "head.bias");
            assertThat(g.parameter("init_h.weight").shape()).containsExactly(4, 10);
        }
        try (dev.recur.engine.tensor.TensorArena arena = dev.recur.engine.tensor.TensorArena.open("t")) {
            Parameter p = new Parameter("a", arena.zeros(1), arena.zeros(1));
            assertThatThrownBy(() -> Module.concat(List.of(p), List.of(p))).hasMessageContaining("duplicate parameter name 'a'");
        }
    }

    @Test
    void zeroGradClearsEveryParameterAndCloseFreesTheMemory() {
        SequenceTagger m = new SequenceTagger(RecurrentConfig.of(CellMode.GRU, 3, 4), 5, 6, 0f, 1);
        try (Graph g = Graph.training(KernelProvider.defaultKernels())) {
            g.backward(SequenceTagger.loss(m.forward(g, new int[]{1, 2, 3, 4}, 2, 2, null), new int[]{0, 1, 2, 3}, null));
        }
        assertThat(m.parameters()).allSatisfy(p -> assertThat(p.grad().toArray()).isNotEqualTo(new float[p.grad().toArray().length]));
        m.zeroGrad();
        assertThat(m.parameters()).allSatisfy(p -> assertThat(p.grad().toArray()).containsOnly(0f));
        m.close();
        assertThatThrownBy(() -> m.parameters().get(0).value().get(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void modelsAreReproducibleFromTheirSeedAndDropoutActsOnlyWhileTraining() {
        RecurrentConfig config = RecurrentConfig.of(CellMode.GRU, 3, 4).withLayers(3);
        int[] tokens = {1, 2, 3, 4, 0, 1}, lengths = {3, 2};
        try (SequenceClassifier a = new SequenceClassifier(config, 5, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0.5f, 77);
             SequenceClassifier b = new SequenceClassifier(config, 5, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0.5f, 77);
             SequenceClassifier c = new SequenceClassifier(config, 5, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0.5f, 78)) {
            for (int i = 0; i < a.parameters().size(); i++) {
                assertThat(a.parameters().get(i).value().toArray()).containsExactly(b.parameters().get(i).value().toArray());
                assertThat(a.parameters().get(i).value().toArray()).isNotEqualTo(c.parameters().get(i).value().toArray());
            }
            float[] inferA, trainA1, trainA2, trainB1;
            try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
                inferA = a.forward(g, tokens, 3, 2, lengths).value().toArray();
                assertThat(a.forward(g, tokens, 3, 2, lengths).value().toArray()).containsExactly(inferA);
            }
            try (Graph g = Graph.training(KernelProvider.defaultKernels())) {
                trainA1 = a.forward(g, tokens, 3, 2, lengths).value().toArray();
                trainA2 = a.forward(g, tokens, 3, 2, lengths).value().toArray();
                trainB1 = b.forward(g, tokens, 3, 2, lengths).value().toArray();
            }
            assertThat(trainA1).isNotEqualTo(inferA).isNotEqualTo(trainA2);   // a fresh mask per forward
            assertThat(trainB1).containsExactly(trainA1);                       // same seed, same masks
        }
    }
}
