package dev.recur.engine.cli.train;

import dev.recur.engine.api.InferenceModel;
import dev.recur.engine.cli.KernelsOption;
import dev.recur.engine.cli.ThreadsOption;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.ForecastScaling;
import dev.recur.engine.io.AtomicFiles;
import dev.recur.engine.io.CsvColumn;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code recur predict}: uses a {@code recur train} checkpoint on new data of its kind.
 * <ul>
 *   <li>forecast: the next K values after the end of a CSV column (the training run's, a longer
 *       copy, or another series; or after its first {@code --end} values), written as CSV in the
 *       series' own units;</li>
 *   <li>chars, words: samples text, as {@code recur generate} does;</li>
 *   <li>dates: translates {@code --text} to ISO (greedy, or {@code --beam K}), optionally drawing
 *       its attention as a PNG heat map;</li>
 *   <li>every other task: the model on a tensors file's {@code x} (and {@code lengths}), written
 *       as safetensors: {@code probabilities} and their argmax {@code classes} for a classifier or
 *       tagger, {@code prediction} for a regressor.</li>
 * </ul>
 * The model runs through {@link InferenceModel}, as a service would run it.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Use a recur train checkpoint: forecast "
        + "the next values of a series, classify or regress a tensors file, sample text, or translate a date.")
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "a checkpoint written by recur train")
    Path checkpoint;
    @Option(names = "--csv", paramLabel = "FILE", description = "forecast: the series (default: the training run's)")
    Path csv;
    @Option(names = "--column", paramLabel = "NAME", description = "forecast: its column (default: the training run's)")
    String column;
    @Option(names = "--end", paramLabel = "N", description = "forecast: forecast after the first N values (default: all)")
    Integer end;
    @Option(names = "--data", paramLabel = "FILE", description = "classifiers and regressors: a safetensors file with "
            + "x [N,T,I] (and optional lengths [N]); other tensors in it are ignored")
    Path data;
    @Option(names = "--output", paramLabel = "FILE", description = "where the predictions go: a CSV file for a forecast "
            + "(default: standard output), a safetensors file otherwise (required)")
    Path output;
    @Option(names = "--text", description = "dates, pairs: the text to translate, e.g. \"March 3, 1987\"")
    String text;
    @Option(names = "--beam", paramLabel = "K", description = "dates: beam search over K hypotheses (default 1: greedy)")
    int beam = 1;
    @Option(names = "--attention-png", paramLabel = "FILE", description = "dates: draw the attention weights as a heat map")
    Path attentionPng;

    /** chars, words: as recur generate. */
    @Mixin
    SamplingOptions sampling = new SamplingOptions();
    @Mixin
    ThreadsOption threads = new ThreadsOption();
    @Mixin
    KernelsOption kernels = new KernelsOption();
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        DataFileException.requireFile(checkpoint, "checkpoint");
        Checkpoint saved = Checkpoint.read(checkpoint);
        String task = saved.task().getOrDefault("name", "");
        return switch (task) {
            case "forecast" -> {
                refuse(data != null, "--data");
                refuseCharsFlags();
                refuseDatesFlags();
                threads.apply();
                yield forecast(saved);
            }
            case "dates", "pairs" -> {
                refuse(data != null || csv != null || column != null || end != null || output != null,
                        "--data, --csv, --column, --end and --output");
                refuseCharsFlags();
                threads.apply();
                yield translate(saved, task.equals("pairs"));
            }
            case "chars", "words" -> {
                refuse(data != null || csv != null || column != null || end != null || output != null,
                        "--data, --csv, --column, --end and --output");
                refuseDatesFlags();
                GenerateCommand generate = new GenerateCommand();
                generate.checkpoint = checkpoint;
                generate.sampling = sampling;
                generate.threads = threads;
                generate.kernels = kernels;
                generate.spec = spec;
                yield generate.call();
            }
            default -> {
                refuse(csv != null || column != null || end != null, "--csv, --column and --end");
                refuseCharsFlags();
                refuseDatesFlags();
                threads.apply();
                yield tensors(task);
            }
        };
    }

    /** A written date to ISO (or a pairs model's source to its target), printed; with --attention-png, its attention drawn. */
    private int translate(Checkpoint saved, boolean pairs) throws IOException {
        if (text == null) {
            throw new UserError("--text is needed: the " + (pairs ? "source to translate" : "written date to translate, e.g. "
                    + "\"March 3, 1987\""));
        }
        if (beam < 1) throw new UserError("--beam must be at least 1, got " + beam);
        try (dev.recur.engine.nn.AttentionSeq2Seq model = pairs ? PairsTask.rebuild(checkpoint, saved)
                : DatesTask.rebuild(checkpoint, saved)) {
            Checkpoint.loadParameters(checkpoint, model.parameters());
            String output;
            dev.recur.engine.nn.AttentionSeq2Seq.Decoded decoded;
            if (pairs) {
                dev.recur.engine.data.TextPairs.Alphabet[] alphabets = PairsTask.alphabets(checkpoint, saved);
                int unknown = alphabets[0].unknown(text);
                if (unknown > 0) {
                    spec.commandLine().getErr().println("recur predict: " + unknown + " character(s) of --text are not in the "
                            + "model's source alphabet and read as unknown");
                }
                if (text.isEmpty()) throw new UserError("--text is empty");
                int bos = alphabets[1].firstExtra(), longest = ForecastSeries.integer(checkpoint, saved.task(), "longest_target");
                decoded = TranslationTask.translate(model, kernels.kernels(), alphabets[0].ids(text), beam, bos, bos + 1,
                        2 * longest + 2);
                output = alphabets[1].text(decoded.tokens());
            } else {
                decoded = DatesTask.translate(model, kernels.kernels(), text, beam);
                output = dev.recur.engine.data.DateTranslation.targetText(decoded.tokens());
            }
            spec.commandLine().getOut().println(output);
            if (attentionPng != null) {
                if (!dev.recur.engine.cli.Charts.available()) throw new UserError(dev.recur.engine.cli.Charts.UNAVAILABLE);
                if (output.isEmpty()) {
                    spec.commandLine().getErr().println("recur predict: the model decoded nothing (its first token ended the "
                            + "output), so there is no attention to draw; " + attentionPng + " was not written");
                } else {
                    AttentionChart.write(attentionPng, text, output, decoded.attention());
                    spec.commandLine().getErr().println("recur predict: wrote the attention heat map to " + attentionPng);
                }
            }
        }
        return 0;
    }

    private void refuse(boolean given, String flags) {
        if (given) throw new UserError(flags + " do not apply to a checkpoint of this task (" + checkpoint + ")");
    }

    private void refuseDatesFlags() {
        if (text != null || beam != 1 || attentionPng != null) {
            throw new UserError("--text, --beam and --attention-png apply to dates and pairs models only, not to " + checkpoint);
        }
    }

    private void refuseCharsFlags() {
        CommandSpec s = spec;
        for (String flag : SamplingOptions.FLAGS) {
            if (s != null && s.commandLine().getParseResult().hasMatchedOption(flag)) {
                throw new UserError(flag + " applies to language models (chars, words) only, not to " + checkpoint);
            }
        }
    }

    /** The next K values after the series' end (or its first --end values). */
    private int forecast(Checkpoint saved) throws IOException {
        Path file = csv != null ? csv : Path.of(requireTask(saved, "csv", "--csv FILE"));
        String col = column != null ? column : requireTask(saved, "column", "--column NAME");
        int window = ForecastSeries.integer(checkpoint, saved.task(), "window");
        ForecastScaling scaling = ForecastSeries.scaling(checkpoint, saved);
        CsvColumn.Values read = CsvColumn.read(file, col, ForecastSeries.missing(checkpoint, saved));
        double[] series = read.values();
        int upTo = end == null ? series.length : end;
        int needed = window + scaling.history();
        if (upTo < needed || upTo > series.length) {
            throw new UserError((end == null ? file + ": column '" + col + "' has " + series.length + " values"
                    : "--end " + end + " is outside " + needed + ".." + series.length + " (column '" + col + "' has "
                    + series.length + " values)") + "; the model reads the last " + needed + " values before its forecast");
        }
        float[] x = new float[needed];
        for (int i = 0; i < needed; i++) x[i] = (float) series[upTo - needed + i];
        float[] forecast;
        try (InferenceModel model = InferenceModel.load(checkpoint, kernels.kernels())) {
            forecast = model.run(Map.of("x", OnnxTensor.ofFloats(x, 1, needed, 1))).get("prediction").floats();
        }
        StringBuilder out = new StringBuilder("step," + col + "\n");
        for (int k = 0; k < forecast.length; k++) {
            out.append(k + 1).append(',').append(String.format(Locale.ROOT, "%.6g", forecast[k])).append('\n');
        }
        PrintWriter err = spec.commandLine().getErr(), console = spec.commandLine().getOut();
        if (read.missing() > 0) err.println("recur predict: " + read.missing() + " missing value(s) of column '" + col
                + "' handled as the training run did (--missing " + saved.task().getOrDefault("missing", "fail") + ")");
        String what = String.format(Locale.ROOT, "the next %d values of column '%s' of %s after its value %d of %d",
                forecast.length, col, file, upTo, series.length);
        if (output == null) {
            console.print(out);
            console.flush();
        } else {
            AtomicFiles.write(output, out.toString().getBytes(StandardCharsets.UTF_8));
            console.println("recur predict: wrote " + what + " to " + output);
        }
        return 0;
    }

    /** The model on a tensors file: probabilities and classes, or predictions. */
    private int tensors(String task) throws IOException {
        if (data == null) throw new UserError("--data FILE.safetensors is needed: the inputs x [N,T,I] (and lengths [N])");
        if (output == null) throw new UserError("--output FILE.safetensors is needed: where the predictions go");
        Map<String, OnnxTensor> file = OnnxTensorFiles.read(data);
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        if (!file.containsKey("x")) throw new DataFileException(data, "has no tensor 'x' (the inputs, [N,T,I])");
        inputs.put("x", file.get("x"));
        if (file.containsKey("lengths")) inputs.put("lengths", file.get("lengths"));
        Map<String, OnnxTensor> result;
        try (InferenceModel model = InferenceModel.load(checkpoint, kernels.kernels())) {
            result = model.run(inputs);
        }
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        OnnxTensor probabilities = result.get("probabilities");
        if (probabilities != null) {
            out.put("probabilities", probabilities);
            out.put("classes", argmax(probabilities));
        } else {
            out.put("prediction", result.get("prediction"));
        }
        OnnxTensorFiles.write(out, output);
        int n = inputs.get("x").dim(0);
        spec.commandLine().getOut().println("recur predict: wrote " + String.join(" and ", out.keySet()) + " of " + n
                + " samples of " + data + " (a " + (task.isEmpty() ? "recur train" : task) + " model) to " + output);
        return 0;
    }

    /** The most probable class along the last axis: int64 of the leading shape. */
    private static OnnxTensor argmax(OnnxTensor probabilities) {
        int[] shape = probabilities.shape();
        int classes = shape[shape.length - 1], rows = probabilities.size() / classes;
        float[] p = probabilities.floats();
        long[] best = new long[rows];
        for (int r = 0; r < rows; r++) {
            int b = 0;
            for (int c = 1; c < classes; c++) if (p[r * classes + c] > p[r * classes + b]) b = c;
            best[r] = b;
        }
        return OnnxTensor.ofInt64(best, java.util.Arrays.copyOf(shape, shape.length - 1));
    }

    private String requireTask(Checkpoint saved, String key, String flag) {
        String value = saved.task().get(key);
        if (value == null) throw new UserError(checkpoint + ": metadata has no task." + key + ": pass " + flag);
        return value;
    }
}
