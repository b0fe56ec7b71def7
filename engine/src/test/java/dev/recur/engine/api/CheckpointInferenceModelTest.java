package dev.recur.engine.api;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.nn.ManyToOneHead;
import dev.recur.engine.nn.Module;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.nn.SequenceClassifier;
import dev.recur.engine.nn.SequenceRegressor;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import dev.recur.engine.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/**
 * Checkpoints of {@code recur train} through {@link InferenceModel}: each head's model saved with
 * the metadata a training run writes, loaded back, and run on batch-first inputs, against the
 * saved module run directly on time-major inputs by the textbook layer (relative L2 ≤ 1e-5).
 */
class CheckpointInferenceModelTest {
    private static final int B = 3, T = 17, I = 5, H = 7;
    @TempDir
    Path dir;
    private final SplittableRandom rng = new SplittableRandom(42);

    private static Map<String, String> modelConfig(RecurrentConfig rnn, String head, String widthKey, int width) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cell", rnn.mode().id());
        m.put("input", "" + rnn.inputSize());
        m.put("hidden", "" + rnn.hiddenSize());
        m.put("layers", "" + rnn.numLayers());
        m.put("bidirectional", "" + rnn.bidirectional());
        m.put("proj_size", "" + rnn.projSize());
        m.put("head", head);
        m.put(widthKey, "" + width);
        return m;
    }

    private Path save(Module model, Map<String, String> config, Map<String, String> task) throws Exception {
        return Checkpoint.save(dir.resolve(config.get("head") + ".safetensors"), model.parameters(), null, null,
                new Checkpoint.Info(config, new Checkpoint.Progress(12, 1, 100, 0.5), null, task));
    }

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextDouble(-1, 1);
        return v;
    }

    /** [B, T, K] as time-major [T, B, K], or back (swap = true reads time-major). */
    private static float[] swapLeading(float[] v, int first, int second, int width) {
        float[] out = new float[v.length];
        for (int a = 0; a < first; a++) {
            for (int b = 0; b < second; b++) {
                System.arraycopy(v, (a * second + b) * width, out, (b * first + a) * width, width);
            }
        }
        return out;
    }

    /** The module's output on time-major inputs, through the textbook layer. */
    private static float[] reference(Module model, Function<Graph, Var> forward) {
        model.setRecurrentExecution(RecurrentExecution.TEXTBOOK);
        try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
            return forward.apply(g).value().toArray();
        } finally {
            model.setRecurrentExecution(RecurrentExecution.FUSED);
        }
    }

    @Test
    void aClassifierGivesLogitsAndProbabilitiesPerSample() throws Exception {
        RecurrentConfig rnn = RecurrentConfig.of(CellMode.LSTM, I, H).withLayers(2).withBidirectional(true);
        int classes = 4;
        int[] lengths = {17, 1, 9};
        float[] x = random(B * T * I);
        try (SequenceClassifier saved = new SequenceClassifier(rnn, 0, classes, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 3)) {
            Path file = save(saved, modelConfig(rnn, "classifier", "outputs", classes), Map.of("name", "tensors"));
            float[] expected = reference(saved, g -> saved.forward(g, g.constant(g.arena().of(swapLeading(x, B, T, I), T, B, I)), lengths));
            try (InferenceModel model = InferenceModel.load(file)) {
                assertThat(model.inputs()).extracting(p -> p.describe()).containsExactly("float32 [B, T, 5]", "int64 [B]");
                Map<String, OnnxTensor> out = model.run(Map.of("x", OnnxTensor.ofFloats(x, B, T, I),
                        "lengths", OnnxTensor.ofInt64(new long[]{17, 1, 9}, B)));
                assertThat(out.keySet()).containsExactly("logits", "probabilities");
                assertThat(out.get("logits").shape()).containsExactly(B, classes);
                assertThat(RelativeError.l2(out.get("logits").floats(), expected)).isLessThanOrEqualTo(1e-5);
                float[] p = out.get("probabilities").floats();
                for (int b = 0; b < B; b++) {
                    double sum = 0, norm = 0;
                    for (int c = 0; c < classes; c++) norm += Math.exp(expected[b * classes + c]);
                    for (int c = 0; c < classes; c++) {
                        sum += p[b * classes + c];
                        assertThat((double) p[b * classes + c]).isCloseTo(Math.exp(expected[b * classes + c]) / norm, offset(1e-5));
                    }
                    assertThat(sum).isCloseTo(1.0, offset(1e-5));
                }
                assertThatThrownBy(() -> model.run(Map.of("x", OnnxTensor.ofFloats(x, B, T, I),
                        "lengths", OnnxTensor.ofInt64(new long[]{17, 0, 9}, B))))
                        .hasMessageEndingWith("input 'lengths'[1] = 0, expected 1..17");
                assertThatThrownBy(() -> model.run(Map.of("x", OnnxTensor.ofFloats(new float[B * T * 4], B, T, 4))))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageEndingWith("input 'x' is float32 [3, 17, 4], expected float32 [B, T, 5] with B, T >= 1");
                assertThatThrownBy(() -> model.run(Map.of("input", OnnxTensor.ofFloats(x, B, T, I))))
                        .hasMessageEndingWith("'input' is not an input of the model; its inputs: x, lengths");
            }
        }
    }

    /** A forecast checkpoint reads and writes the series' own units: x normalised with task.mean and task.std, the prediction scaled back. */
    @Test
    void aForecastRegressorWorksInTheSeriesUnits() throws Exception {
        RecurrentConfig rnn = RecurrentConfig.of(CellMode.GRU, 1, H);
        int horizon = 3;
        double mean = 315.5, std = 2.25;
        float[] series = new float[B * T];
        for (int i = 0; i < series.length; i++) series[i] = (float) (mean + std * rng.nextDouble(-2, 2));
        float[] normalised = new float[series.length];
        for (int i = 0; i < series.length; i++) normalised[i] = (float) ((series[i] - mean) / std);
        try (SequenceRegressor saved = new SequenceRegressor(rnn, horizon, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 5)) {
            Path file = save(saved, modelConfig(rnn, "regression", "outputs", horizon),
                    Map.of("name", "forecast", "mean", Double.toString(mean), "std", Double.toString(std)));
            float[] expected = reference(saved, g -> saved.forward(g, g.constant(g.arena().of(swapLeading(normalised, B, T, 1), T, B, 1)), null));
            for (int i = 0; i < expected.length; i++) expected[i] = (float) (expected[i] * std + mean);
            try (InferenceModel model = InferenceModel.load(file)) {
                assertThat(model.outputs()).extracting(p -> p.describe()).containsExactly("float32 [B, 3]");
                float[] got = model.run(Map.of("x", OnnxTensor.ofFloats(series, B, T, 1))).get("prediction").floats();
                assertThat(RelativeError.l2(got, expected)).isLessThanOrEqualTo(1e-5);
            }
        }
    }

    @Test
    void aTaggerAnswersPerStepBatchFirst() throws Exception {
        RecurrentConfig rnn = RecurrentConfig.of(CellMode.RNN_TANH, I, H).withBidirectional(true);
        int classes = 6;
        float[] x = random(B * T * I);
        try (SequenceTagger saved = new SequenceTagger(rnn, 0, classes, 0f, 9)) {
            Path file = save(saved, modelConfig(rnn, "tagger", "outputs", classes), Map.of("name", "tensors"));
            float[] timeMajor = reference(saved, g -> saved.forward(g, g.constant(g.arena().of(swapLeading(x, B, T, I), T, B, I)), null));
            try (InferenceModel model = InferenceModel.load(file)) {
                OnnxTensor logits = model.run(Map.of("x", OnnxTensor.ofFloats(x, B, T, I))).get("logits");
                assertThat(logits.shape()).containsExactly(B, T, classes);
                assertThat(RelativeError.l2(logits.floats(), swapLeading(timeMajor, T, B, classes))).isLessThanOrEqualTo(1e-5);
            }
        }
    }

    /** A character model takes ids [B, T] (positions in task.vocabulary) and refuses one outside it. */
    @Test
    void aCharacterModelTakesIdsAndRefusesOnesOutsideTheVocabulary() throws Exception {
        int vocabulary = 11;
        RecurrentConfig rnn = RecurrentConfig.of(CellMode.LSTM, vocabulary, H);
        long[] ids = new long[B * T];
        int[] timeMajorIds = new int[B * T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                ids[b * T + t] = rng.nextInt(vocabulary);
                timeMajorIds[t * B + b] = (int) ids[b * T + t];
            }
        }
        try (SequenceTagger saved = new SequenceTagger(rnn, vocabulary, vocabulary, 0f, 1)) {
            Path file = save(saved, modelConfig(rnn, "language_model", "vocabulary", vocabulary), Map.of("name", "chars"));
            float[] timeMajor = reference(saved, g -> saved.forward(g, timeMajorIds, T, B, null));
            try (InferenceModel model = InferenceModel.load(file)) {
                assertThat(model.inputs().getFirst().describe()).isEqualTo("int64 [B, T]");
                OnnxTensor logits = model.run(Map.of("x", OnnxTensor.ofInt64(ids, B, T))).get("logits");
                assertThat(RelativeError.l2(logits.floats(), swapLeading(timeMajor, T, B, vocabulary))).isLessThanOrEqualTo(1e-5);
                long[] bad = ids.clone();
                bad[T + 2] = vocabulary;
                assertThatThrownBy(() -> model.run(Map.of("x", OnnxTensor.ofInt64(bad, B, T))))
                        .hasMessageEndingWith("input 'x'[1, 2] = 11, expected a token id in 0..10");
            }
        }
    }

    @Test
    void aCheckpointOfAnotherArchitectureOrHeadIsOneLine() throws Exception {
        RecurrentConfig rnn = RecurrentConfig.of(CellMode.GRU, I, H);
        try (SequenceClassifier saved = new SequenceClassifier(rnn, 0, 2, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 3)) {
            Map<String, String> wrongHidden = modelConfig(rnn, "classifier", "outputs", 2);
            wrongHidden.put("hidden", "8");
            Path file = save(saved, wrongHidden, Map.of());
            assertThatThrownBy(() -> InferenceModel.load(file)).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("weight_ih_l0").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            Map<String, String> unknownHead = modelConfig(rnn, "decoder", "outputs", 2);
            Path other = save(saved, unknownHead, Map.of());
            assertThatThrownBy(() -> InferenceModel.load(other)).isInstanceOf(DataFileException.class)
                    .hasMessageContaining("key 'model.head' is 'decoder', expected classifier, regression, tagger");
        }
    }

    @Test
    void recurTensorsGoInAndComeOut() {
        try (TensorArena arena = TensorArena.open("test")) {
            Tensor t = arena.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
            OnnxTensor heap = OnnxTensor.of(t);
            assertThat(heap.shape()).containsExactly(2, 3);
            assertThat(heap.floats()).containsExactly(1, 2, 3, 4, 5, 6);
            Tensor back = heap.toTensor(arena);
            assertThat(back.shape()).containsExactly(2, 3);
            assertThat(back.toArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThatThrownBy(() -> OnnxTensor.ofInt64(new long[]{1}, 1).toTensor(arena))
                    .hasMessage("the value is int64 [1]; a Recur tensor holds float32");
        }
    }
}
