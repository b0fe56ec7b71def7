package dev.recur.engine.cli.train;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.cli.DeviceOption;
import dev.recur.engine.cli.KernelsOption;
import dev.recur.engine.cli.ThreadsOption;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.cli.WeightPrecisionOption;
import dev.recur.engine.data.Batches;
import dev.recur.engine.data.CharCorpus;
import dev.recur.engine.data.FashionMnist;
import dev.recur.engine.data.ForecastData;
import dev.recur.engine.data.TensorsDataset;
import dev.recur.engine.data.WordCorpus;
import dev.recur.engine.data.WordVocabulary;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code recur eval}: rebuilds a {@code recur train} task's model from a checkpoint's {@code model.*}
 * metadata, loads its parameters and prints the loss and the task's metric on held-out data:
 * fashion-mnist's 10000 test images; for tensors, all of the file given with {@code --data}, or
 * else the validation 10% of the training file (labelled val_, not test_: it chose the kept
 * checkpoint); for adding, 1000 sequences from a fixed seed; for forecast, the last part of the
 * series; for chars (which has no test part), the validation part of the text. A checkpoint of
 * another task or architecture is a one-line error (exit code 2). Nothing is written.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Print the loss and metric of a recur train checkpoint on held-out data: the test split, "
                + "or (chars, and tensors without --data) the validation part.")
public final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "a checkpoint written by recur train")
    Path checkpoint;
    @Option(names = "--task", description = "adding, chars, forecast, fashion-mnist or tensors (default: the checkpoint's)")
    String task;
    @Option(names = "--data", paramLabel = "FILE", description = "--task tensors: a test file, evaluated whole "
            + "(default: the held-out part of the file the model was trained on)")
    Path data;
    @Option(names = "--seq", paramLabel = "T", description = "--task adding: sequence length (default: the training run's)")
    Integer seq;
    @Option(names = "--text", paramLabel = "FILE", description = "--task chars: the text (default: the training run's)")
    Path text;
    @Option(names = "--tsv", paramLabel = "FILE", description = "--task pairs: the pairs (default: the training run's)")
    Path tsv;
    @Option(names = "--csv", paramLabel = "FILE", description = "--task forecast: the series (default: the training run's)")
    Path csv;
    @Option(names = "--column", paramLabel = "NAME", description = "--task forecast: the column (needed unless the "
            + "checkpoint names it)")
    String column;

    @Mixin
    DeviceOption device = new DeviceOption();
    @Mixin
    ThreadsOption threads = new ThreadsOption();
    @Mixin
    KernelsOption kernels = new KernelsOption();
    @Mixin
    WeightPrecisionOption weightPrecision = new WeightPrecisionOption();

    /**
     * The model built for the checkpoint and a description of the split it is scored on;
     * {@code heldOutOfTraining}: the split is a test split (never used while training), not the
     * validation part that chose the checkpoint.
     */
    private record Built(TrainingTask task, String split, boolean test) {
        Built(TrainingTask task, String split) {
            this(task, split, true);
        }
    }

    @Override
    public Integer call() throws IOException {
        device.requireUsable();
        weightPrecision.requireFp32Because(device.isCuda(), "--device cuda");
        threads.apply();
        Kernels k = kernels.kernels();
        DataFileException.requireFile(checkpoint, "checkpoint");
        Checkpoint saved = Checkpoint.read(checkpoint);
        String savedTask = saved.task().get("name");
        String name = task != null ? task : savedTask;
        if (name == null) throw new UserError(checkpoint + ": metadata has no task.name: pass --task");
        if (savedTask != null && !savedTask.equals(name)) {
            throw new UserError(checkpoint + ": is a checkpoint of --task " + savedTask + ", not " + name);
        }
        Built built = build(name, saved);
        try (TrainingTask t = built.task()) {
            saved.requireModelConfig(t.modelConfig());
            Checkpoint.loadParameters(checkpoint, t.model().parameters());
            if (weightPrecision.precision() != WeightPrecision.FP32) {
                t.model().setRecurrentExecution(kernels.execution(weightPrecision.precision()));
            }
            long start = System.nanoTime();
            TrainingTask.Evaluation e = t.evaluate(k, TrainingTask.Split.TEST);
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, String> m = saved.modelConfig();
            System.out.printf(Locale.ROOT, "recur eval: %s (task %s, %s H=%s L=%s%s, step %d%s) on %s%n", checkpoint, name,
                    m.get("cell"), m.get("hidden"), m.get("layers"),
                    "true".equals(m.get("bidirectional")) ? " bidirectional" : "", saved.progress().step(),
                    weightPrecision.precision() == WeightPrecision.FP32 ? "" : ", " + weightPrecision.precision() + " weights",
                    built.split());
            String prefix = built.test() ? "test_" : "val_";
            System.out.printf(Locale.ROOT, "%sloss %.5g, %s %.5g (%.1f s)%n", prefix, e.loss(),
                    t.metricName().replaceFirst("^val_", prefix), e.metric(), seconds);
            if (t instanceof ForecastTask f) {
                double naive = f.data().naiveMae(ForecastData.Part.TEST);
                System.out.printf(Locale.ROOT, "naive forecast (repeat the last value): test_mae %.5g; the model's is %.3g "
                        + "of it%n", naive, e.metric() / naive);
            }
        }
        return 0;
    }

    private Built build(String name, Checkpoint saved) throws IOException {
        if (seq != null && !name.equals("adding") && !name.equals("chars") && !name.equals("words")) {
            throw new UserError("--seq does not apply to --task " + name);
        }
        if (data != null && !name.equals("tensors")) throw new UserError("--data does not apply to --task " + name);
        if (tsv != null && !name.equals("pairs")) throw new UserError("--tsv does not apply to --task " + name);
        if (text != null && !name.equals("chars") && !name.equals("words")) {
            throw new UserError("--text does not apply to --task " + name);
        }
        if ((csv != null || column != null) && !name.equals("forecast")) {
            throw new UserError("--csv and --column do not apply to --task " + name);
        }
        return switch (name) {
            case "adding" -> {
                int steps = seq != null ? seq : intValue(saved.task(), "task.", "seq");
                if (steps < 1) throw new UserError("--seq must be at least 1, got " + steps);
                yield new Built(new AddingTask(recurrent(saved, 2), steps, 1, 0f, 1),
                        AddingTask.VALIDATION_SEQUENCES + " test sequences of " + steps + " steps (fixed seed)");
            }
            case "fashion-mnist" -> {
                FashionMnistTask t = FashionMnistTask.forEvaluation(FashionMnistTask.dataDir(),
                        recurrent(saved, FashionMnist.SIDE));
                yield new Built(t, "the " + t.testSize() + " test images of " + FashionMnistTask.dataDir());
            }
            case "tensors" -> {
                String trainedOn = saved.task().get("data");
                Path file = data != null ? data : trainedOn != null ? Path.of(trainedOn) : null;
                if (file == null) throw new UserError(checkpoint + ": metadata has no task.data: pass --data FILE");
                TensorsDataset d = TensorsDataset.load(file);
                boolean heldOut = trainedOn != null && Files.exists(Path.of(trainedOn))
                        && Files.isSameFile(file, Path.of(trainedOn));
                int[] indices = heldOut ? TensorsTask.split(file, d).validation() : Batches.range(d.size());
                int outputs = intValue(saved.modelConfig(), "model.", "outputs");
                int vocabulary = saved.modelConfig().containsKey("vocabulary")
                        ? intValue(saved.modelConfig(), "model.", "vocabulary") : 0;
                int input = vocabulary > 0 ? intValue(saved.modelConfig(), "model.", "input") : d.features();
                yield new Built(TensorsTask.forEvaluation(file, d, indices, recurrent(saved, input), vocabulary, outputs),
                        (heldOut ? "the validation part (" + indices.length + " of " + d.size() + " samples) of "
                                : "all " + d.size() + " samples of ") + file, !heldOut);
            }
            case "chars" -> {
                Path file = text != null ? text : pathOf(saved, "text", "--text FILE");
                int steps = seq != null ? seq : intValue(saved.task(), "task.", "seq");
                if (steps < 1) throw new UserError("--seq must be at least 1, got " + steps);
                String known = saved.task().get("vocabulary");
                CharCorpus corpus;
                if (known == null) {
                    corpus = CharCorpus.load(file, steps, CharCorpus.DEFAULT_VALIDATION_FRACTION);
                } else {
                    try {
                        corpus = CharCorpus.withVocabulary(file, CharsTask.decodeVocabulary(known), steps,
                                CharCorpus.DEFAULT_VALIDATION_FRACTION);
                    } catch (IllegalArgumentException e) {
                        throw new UserError(checkpoint + ": task.vocabulary is malformed: " + e.getMessage());
                    }
                }
                Map<String, String> m = saved.modelConfig();
                CharsTask t = new CharsTask(corpus, file.toString(), CharsTask.config(recurrent(saved, 1).mode(),
                        intValue(m, "model.", "hidden"), intValue(m, "model.", "layers"),
                        Boolean.parseBoolean(m.get("bidirectional"))), steps, 64, 0f, 1);
                yield new Built(t, "the validation part of " + file + " (windows of " + steps + " characters"
                        + (corpus.leftOut() > 0 ? "; " + corpus.leftOut() + " characters of the text are not in the model's "
                        + "vocabulary and were left out" : "") + ")", false);
            }
            case "dates" -> {
                TranslationTask.Saved m = TranslationTask.Saved.of(checkpoint, saved);
                DatesTask t = new DatesTask(m.encoder(), m.encoder().inputSize(), m.score(), m.attention(), 1, 0f, 1);
                yield new Built(t, DatesTask.VALIDATION_SIZE + " test dates (fixed seed; greedy decoding)");
            }
            case "pairs" -> {
                Path file = tsv != null ? tsv : pathOf(saved, "tsv", "--tsv FILE");
                PairsTask t = PairsTask.forEvaluation(checkpoint, saved, dev.recur.engine.data.TextPairs.read(file), file);
                yield new Built(t, "the validation part of " + file + " (greedy decoding)", false);
            }
            case "words" -> {
                Path file = text != null ? text : pathOf(saved, "text", "--text FILE");
                int steps = seq != null ? seq : intValue(saved.task(), "task.", "seq");
                if (steps < 1) throw new UserError("--seq must be at least 1, got " + steps);
                WordVocabulary vocabulary;
                try {
                    vocabulary = WordsTask.decodeVocabulary(saved.task().getOrDefault("vocabulary", ""));
                } catch (IllegalArgumentException e) {
                    throw new UserError(checkpoint + ": task.vocabulary is malformed: " + e.getMessage());
                }
                WordCorpus corpus = WordCorpus.load(file, steps, vocabulary, CharCorpus.DEFAULT_VALIDATION_FRACTION);
                RecurrentConfig rnn = recurrent(saved, intValue(saved.modelConfig(), "model.", "input"));
                WordsTask t = new WordsTask(corpus, file.toString(), rnn, steps, 64, 0f, 1, null, false);
                yield new Built(t, "the validation part of " + file + " (windows of " + steps + " words; "
                        + corpus.validationUnknown() + " of its " + corpus.tokens().validationLength()
                        + " words are not in the model's vocabulary and read as " + WordVocabulary.UNKNOWN + ")", false);
            }
            case "forecast" -> {
                Path file = csv != null ? csv : pathOf(saved, "csv", "--csv FILE");
                String col = column != null ? column : saved.task().get("column");
                if (col == null) {
                    throw new UserError("--task forecast needs --column NAME (the checkpoint does not name it)");
                }
                ForecastData series = ForecastSeries.read(checkpoint, saved, file, col);
                yield new Built(new ForecastTask(series, file.toString(), col, ForecastSeries.missing(checkpoint, saved),
                        recurrent(saved, 1), 1, 0f, 1),
                        "the test part of column " + col + " of " + file + " (" + series.windowCount(ForecastData.Part.TEST)
                                + " windows from row " + series.validationEnd() + ")");
            }
            default -> throw new UserError("recur eval knows --task adding, chars, words, forecast, fashion-mnist, tensors, dates and pairs, "
                    + "not '" + name + "'");
        };
    }

    /** The recurrent stack the checkpoint describes, reading {@code input} features per step. */
    private RecurrentConfig recurrent(Checkpoint saved, int input) {
        Map<String, String> m = saved.modelConfig();
        String cell = m.get("cell");
        CellMode mode;
        try {
            mode = CellMode.parse(cell == null ? "" : cell);
        } catch (IllegalArgumentException e) {
            throw new UserError(checkpoint + ": key 'model.cell' is " + (cell == null ? "missing" : "'" + cell + "'")
                    + ", expected lstm, gru, rnn_tanh or rnn_relu");
        }
        try {
            return RecurrentConfig.of(mode, input, intValue(m, "model.", "hidden"))
                    .withLayers(intValue(m, "model.", "layers"))
                    .withBidirectional(Boolean.parseBoolean(m.get("bidirectional")))
                    .withProjSize(intValue(m, "model.", "proj_size"));
        } catch (IllegalArgumentException e) {
            throw new UserError(checkpoint + ": model metadata does not describe a recurrent stack: " + e.getMessage());
        }
    }

    private Path pathOf(Checkpoint saved, String key, String flag) {
        String value = saved.task().get(key);
        if (value == null) throw new UserError(checkpoint + ": metadata has no task." + key + ": pass " + flag);
        return Path.of(value);
    }

    private int intValue(Map<String, String> map, String prefix, String key) {
        String text = map.get(key);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UserError(checkpoint + ": key '" + prefix + key + "' is "
                    + (text == null ? "missing" : "'" + text + "'")
                    + ", expected an integer");
        }
    }
}
