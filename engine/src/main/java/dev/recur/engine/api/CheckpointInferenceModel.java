package dev.recur.engine.api;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.data.ForecastScaling;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.nn.ManyToOneHead;
import dev.recur.engine.nn.Module;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceClassifier;
import dev.recur.engine.nn.SequenceRegressor;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.onnx.OnnxModel;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.train.Checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A checkpoint of {@code recur train} behind {@link InferenceModel}: the model its {@code model.*}
 * metadata describes (the recurrent stack and its head) with the checkpoint's parameters. Inputs
 * are batch-first, as tensors files hold them:
 * <ul>
 *   <li>{@code x}: float32 [B, T, I], the features the task fed the model (Fashion-MNIST: 28 rows
 *       of 28 pixels / 255; forecast: T values of the series, in its own units, of which a
 *       model trained with {@code --differences} reads the T - 1 steps, so it takes W + 1 values
 *       for its training windows of W); for a
 *       character model ({@code task chars}), int64 [B, T] character ids, the positions of the
 *       characters in the checkpoint's {@code task.vocabulary} (a word model's: its words' ids);
 *       for a tensors model trained on token ids ({@code model.vocabulary}), int64 [B, T] ids;</li>
 *   <li>{@code lengths}: optional int64 or int32 [B], each in 1..T (steps past a sample's length
 *       are padding).</li>
 * </ul>
 * Outputs by head: classifier {@code logits} and {@code probabilities} [B, C]; regression
 * {@code prediction} [B, K] (forecast: the next K values, in the series' units); tagger and
 * language model {@code logits} and {@code probabilities} [B, T, C]; per-step regression
 * {@code prediction} [B, T, K].
 */
final class CheckpointInferenceModel implements InferenceModel {
    private enum Head {
        CLASSIFIER("classifier"), REGRESSION("regression"), TAGGER("tagger"), STEP_REGRESSION("step_regression"),
        LANGUAGE_MODEL("language_model");

        final String id;

        Head(String id) {
            this.id = id;
        }

        boolean perStep() {
            return this == TAGGER || this == STEP_REGRESSION || this == LANGUAGE_MODEL;
        }

        boolean classes() {
            return this != REGRESSION && this != STEP_REGRESSION;
        }
    }

    private final Path file;
    private final Head head;
    private final Module model;
    private final RecurrentConfig rnn;
    private final int outputWidth;
    private final int vocabulary;            // token-id inputs: the embedding's rows; feature inputs: 0
    private final ForecastScaling scaling;   // forecast: how the model sees the series; else null
    private final Kernels kernels;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<OnnxModel.Port> inputs, outputs;

    private CheckpointInferenceModel(Path file, Kernels kernels, Head head, Module model, RecurrentConfig rnn, int outputWidth,
                                     int vocabulary, ForecastScaling scaling) {
        this.file = file;
        this.kernels = kernels;
        this.head = head;
        this.model = model;
        this.rnn = rnn;
        this.outputWidth = outputWidth;
        this.vocabulary = vocabulary;
        this.scaling = scaling;
        this.inputs = List.of(
                vocabulary > 0 ? new OnnxModel.Port("x", OnnxTensor.Type.INT64, List.of("B", "T"))
                        : new OnnxModel.Port("x", OnnxTensor.Type.FLOAT, List.of("B", "T", "" + rnn.inputSize())),
                new OnnxModel.Port("lengths", OnnxTensor.Type.INT64, List.of("B")));
        List<String> dims = head.perStep() ? List.of("B", "T", "" + outputWidth) : List.of("B", "" + outputWidth);
        List<OnnxModel.Port> out = new ArrayList<>();
        if (head.classes()) {
            out.add(new OnnxModel.Port("logits", OnnxTensor.Type.FLOAT, dims));
            out.add(new OnnxModel.Port("probabilities", OnnxTensor.Type.FLOAT, dims));
        } else {
            out.add(new OnnxModel.Port("prediction", OnnxTensor.Type.FLOAT, dims));
        }
        this.outputs = List.copyOf(out);
    }

    /** Reads {@code file}'s metadata, builds the model it describes and loads its parameters. */
    static CheckpointInferenceModel load(Path file, Kernels kernels) throws IOException {
        Checkpoint saved = Checkpoint.read(file);
        Map<String, String> m = saved.modelConfig();
        String headName = m.getOrDefault("head", "");
        Head head = null;
        for (Head h : Head.values()) {
            if (h.id.equals(headName)) head = h;
        }
        if (head == null) {
            throw new DataFileException(file, "key 'model.head' is " + (headName.isEmpty() ? "missing" : "'" + headName + "'")
                    + ", expected classifier, regression, tagger, step_regression or language_model");
        }
        RecurrentConfig rnn;
        try {
            rnn = RecurrentConfig.of(CellMode.parse(m.getOrDefault("cell", "")), intValue(file, m, "input"),
                            intValue(file, m, "hidden"))
                    .withLayers(intValue(file, m, "layers"))
                    .withBidirectional(Boolean.parseBoolean(m.get("bidirectional")))
                    .withProjSize(m.containsKey("proj_size") ? intValue(file, m, "proj_size") : 0);
        } catch (IllegalArgumentException e) {
            throw new DataFileException(file, "model metadata does not describe a recurrent stack: " + e.getMessage());
        }
        int width = intValue(file, m, head == Head.LANGUAGE_MODEL ? "vocabulary" : "outputs");
        // Token-id inputs: a language model's, or a tensors model trained on int64 x (model.vocabulary).
        int vocabulary = head == Head.LANGUAGE_MODEL ? width : m.containsKey("vocabulary") ? intValue(file, m, "vocabulary") : 0;
        Module model = switch (head) {
            case CLASSIFIER -> new SequenceClassifier(rnn, vocabulary, width, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 0);
            case REGRESSION -> new SequenceRegressor(rnn, vocabulary, width, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, 0);
            case TAGGER, STEP_REGRESSION, LANGUAGE_MODEL -> new SequenceTagger(rnn, vocabulary, width, 0f, 0);
        };
        try {
            Checkpoint.loadParameters(file, model.parameters());
            ForecastScaling scaling = null;
            if ("forecast".equals(saved.task().get("name"))) {
                String inputs = saved.task().getOrDefault("inputs", "levels");
                if (!inputs.equals("levels") && !inputs.equals("differences")) {
                    throw new DataFileException(file, "key 'task.inputs' is '" + inputs + "', expected levels or differences");
                }
                scaling = new ForecastScaling(inputs.equals("differences"), doubleValue(file, saved.task(), "mean"),
                        doubleValue(file, saved.task(), "std"));
            }
            return new CheckpointInferenceModel(file, kernels, head, model, rnn, width, vocabulary, scaling);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static int intValue(Path file, Map<String, String> m, String key) throws DataFileException {
        try {
            return Integer.parseInt(m.getOrDefault(key, ""));
        } catch (NumberFormatException e) {
            throw new DataFileException(file, "key 'model." + key + "' is " + (m.containsKey(key) ? "'" + m.get(key) + "'" : "missing")
                    + ", expected an integer");
        }
    }

    private static double doubleValue(Path file, Map<String, String> task, String key) throws DataFileException {
        try {
            return Double.parseDouble(task.getOrDefault(key, ""));
        } catch (NumberFormatException e) {
            throw new DataFileException(file, "key 'task." + key + "' is " + (task.containsKey(key) ? "'" + task.get(key) + "'" : "missing")
                    + ", expected the forecast series' " + key);
        }
    }

    @Override
    public List<OnnxModel.Port> inputs() {
        return inputs;
    }

    @Override
    public List<OnnxModel.Port> outputs() {
        return outputs;
    }

    @Override
    public Map<String, OnnxTensor> run(Map<String, OnnxTensor> given) {
        if (closed.get()) throw new IllegalStateException("model " + file + " is closed");
        for (String name : given.keySet()) {
            if (!name.equals("x") && !name.equals("lengths")) {
                throw new IllegalArgumentException(file + ": '" + name + "' is not an input of the model; its inputs: x, lengths");
            }
        }
        OnnxModel.Port xPort = inputs.getFirst();
        OnnxTensor x = given.get("x");
        if (x == null) throw new IllegalArgumentException(file + ": input 'x' (" + xPort.describe() + ") is missing");
        boolean tokens = vocabulary > 0;
        boolean typeOk = tokens ? x.type() != OnnxTensor.Type.FLOAT : x.type() == OnnxTensor.Type.FLOAT;
        if (!typeOk || x.rank() != (tokens ? 2 : 3) || (!tokens && x.dim(2) != rnn.inputSize()) || x.dim(0) < 1 || x.dim(1) < 1) {
            throw new IllegalArgumentException(file + ": input 'x' is " + x.describe() + ", expected " + xPort.describe()
                    + " with B, T >= 1");
        }
        int batch = x.dim(0), steps = x.dim(1);
        int[] lengths = lengths(given.get("lengths"), batch, steps);
        if (scaling != null && scaling.differences()) {
            return forecastFromDifferences(x, lengths);
        }
        try (Graph g = Graph.inferenceUnchecked(kernels)) {   // the results are copied to the heap
            Var y = switch (model) {
                case SequenceClassifier c when tokens -> c.forward(g, tokenIds(x), steps, batch, lengths);
                case SequenceClassifier c -> c.forward(g, timeMajor(g, x), lengths);
                case SequenceRegressor r when tokens -> r.forward(g, tokenIds(x), steps, batch, lengths);
                case SequenceRegressor r -> r.forward(g, timeMajor(g, x), lengths);
                case SequenceTagger t when tokens -> t.forward(g, tokenIds(x), steps, batch, lengths);
                case SequenceTagger t -> t.forward(g, timeMajor(g, x), lengths);
                default -> throw new IllegalStateException("unexpected model " + model);
            };
            float[] values = head.perStep() ? batchMajor(y.value(), steps, batch) : y.value().toArray();
            int[] shape = head.perStep() ? new int[]{batch, steps, outputWidth} : new int[]{batch, outputWidth};
            Map<String, OnnxTensor> out = new LinkedHashMap<>();
            if (head.classes()) {
                out.put("logits", OnnxTensor.ofFloats(values, shape));
                out.put("probabilities", OnnxTensor.ofFloats(softmaxRows(values, outputWidth), shape));
            } else {
                if (scaling != null) {
                    for (int i = 0; i < values.length; i++) values[i] = (float) scaling.prediction(values[i], 0);
                }
                out.put("prediction", OnnxTensor.ofFloats(values, shape));
            }
            return out;
        }
    }

    /** x [B, T, I] as a time-major [T, B, I] constant, normalised as the forecast task trained on it. */
    private Var timeMajor(Graph g, OnnxTensor x) {
        int batch = x.dim(0), steps = x.dim(1), features = x.dim(2);
        float[] from = x.floats(), to = new float[from.length];
        double mean = scaling == null ? 0 : scaling.mean(), std = scaling == null ? 1 : scaling.std();
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                int src = (b * steps + t) * features, dst = (t * batch + b) * features;
                for (int i = 0; i < features; i++) to[dst + i] = (float) ((from[src + i] - mean) / std);
            }
        }
        return g.constant(g.arena().of(to, steps, batch, features));
    }

    /**
     * A forecast model that reads differences: sample b's L values (x [B, T, 1], L its length or T)
     * are L - 1 steps, and its forecast is its last value plus the predicted changes.
     */
    private Map<String, OnnxTensor> forecastFromDifferences(OnnxTensor x, int[] lengths) {
        int batch = x.dim(0), steps = x.dim(1);
        int[] stepCounts = new int[batch];
        for (int b = 0; b < batch; b++) {
            int values = lengths == null ? steps : lengths[b];
            if (values < 2) {
                throw new IllegalArgumentException(file + ": sample " + b + " of input 'x' has " + values + " value(s); this "
                        + "model reads the steps between values, so each sample needs at least 2");
            }
            stepCounts[b] = values - 1;
        }
        float[] from = x.floats(), to = new float[(steps - 1) * batch];
        double[] series = new double[steps];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) series[t] = from[b * steps + t];
            for (int t = 1; t <= stepCounts[b]; t++) to[(t - 1) * batch + b] = scaling.input(series, t);
        }
        try (Graph g = Graph.inferenceUnchecked(kernels)) {
            float[] values = ((SequenceRegressor) model).forward(g, g.constant(g.arena().of(to, steps - 1, batch, 1)),
                    lengths == null ? null : stepCounts).value().toArray();
            for (int b = 0; b < batch; b++) {
                double last = from[b * steps + stepCounts[b]];
                for (int k = 0; k < outputWidth; k++) {
                    values[b * outputWidth + k] = (float) scaling.prediction(values[b * outputWidth + k], last);
                }
            }
            return Map.of("prediction", OnnxTensor.ofFloats(values, batch, outputWidth));
        }
    }

    /** Character ids [B, T] as time-major [T·B], each checked against the vocabulary. */
    private int[] tokenIds(OnnxTensor x) {
        int batch = x.dim(0), steps = x.dim(1);
        long[] ids = x.integers();
        int[] out = new int[ids.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                long id = ids[b * steps + t];
                if (id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException(file + ": input 'x'[" + b + ", " + t + "] = " + id
                            + ", expected a token id in 0.." + (vocabulary - 1));
                }
                out[t * batch + b] = (int) id;
            }
        }
        return out;
    }

    private int[] lengths(OnnxTensor given, int batch, int steps) {
        if (given == null) return null;
        if (given.type() == OnnxTensor.Type.FLOAT || given.type() == OnnxTensor.Type.BOOL || given.rank() != 1
                || given.dim(0) != batch) {
            throw new IllegalArgumentException(file + ": input 'lengths' is " + given.describe() + ", expected int64 [" + batch + "]");
        }
        int[] out = new int[batch];
        for (int b = 0; b < batch; b++) {
            long l = given.integers()[b];
            if (l < 1 || l > steps) {
                throw new IllegalArgumentException(file + ": input 'lengths'[" + b + "] = " + l + ", expected 1.." + steps);
            }
            out[b] = (int) l;
        }
        return out;
    }

    /** A time-major [T, B, K] tensor as batch-major [B, T, K] values. */
    private static float[] batchMajor(Tensor y, int steps, int batch) {
        float[] from = y.toArray(), to = new float[from.length];
        int width = from.length / (steps * batch);
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(from, (t * batch + b) * width, to, (b * steps + t) * width, width);
            }
        }
        return to;
    }

    /** Softmax of each row of {@code width} values, in double, shifted by the row's maximum. */
    static float[] softmaxRows(float[] logits, int width) {
        float[] out = new float[logits.length];
        for (int row = 0; row < logits.length; row += width) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < width; i++) max = Math.max(max, logits[row + i]);
            for (int i = 0; i < width; i++) sum += Math.exp(logits[row + i] - max);
            for (int i = 0; i < width; i++) out[row + i] = (float) (Math.exp(logits[row + i] - max) / sum);
        }
        return out;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) model.close();
    }
}
