package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.cli.Charts;
import dev.recur.engine.cli.DeviceOption;
import dev.recur.engine.cli.KernelsOption;
import dev.recur.engine.cli.ThreadsOption;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.CharCorpus;
import dev.recur.engine.data.FashionMnist;
import dev.recur.engine.data.ForecastData;
import dev.recur.engine.data.TensorsDataset;
import dev.recur.engine.data.TextPairs;
import dev.recur.engine.data.WordCorpus;
import dev.recur.engine.io.CsvColumn;
import dev.recur.engine.io.WordVectors;
import dev.recur.engine.nn.AttentionSeq2Seq;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.NativeMemory;
import dev.recur.engine.train.Checkpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code recur train}: trains a recurrent model on one of the tasks and writes, into {@code --out},
 * the checkpoint, metrics.json, metrics.csv and curves.png. Every flag has a default that suits
 * the task, so {@code recur train} alone trains an LSTM on the adding problem.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train an RNN/GRU/LSTM on a task; writes "
        + "checkpoint.safetensors, metrics.json, metrics.csv and curves.png into --out.")
public final class TrainCommand implements Callable<Integer> {
    static final List<String> TASKS = List.of("adding", "chars", "words", "forecast", "fashion-mnist", "tensors", "dates",
            "pairs");

    @Option(names = "--task", description = "adding (default), chars or words (--text), forecast (--csv, --column), "
            + "fashion-mnist, tensors (--data), dates or pairs (--tsv: sequence to sequence with attention)")
    String task = "adding";
    @Option(names = "--cell", description = "lstm (default), gru, rnn_tanh or rnn_relu")
    String cell = "lstm";
    @Option(names = "--hidden", paramLabel = "H", description = "hidden units (default: the task's: 128; chars 256, forecast 64)")
    Integer hidden;
    @Option(names = "--layers", paramLabel = "L", description = "stacked layers (default 1)")
    int layers = 1;
    @Option(names = "--bidirectional", description = "two directions per layer")
    boolean bidirectional;
    @Option(names = "--dropout", paramLabel = "P", description = "dropout between stacked layers (default 0)")
    double dropout;
    @Option(names = "--batch", paramLabel = "B", description = "batch size (default: the task's: 64; fashion-mnist 128, forecast 32)")
    Integer batch;
    @Option(names = "--optimizer", description = "sgd, momentum, nesterov, rmsprop, adam (default) or adamw")
    String optimizer = "adam";
    @Option(names = "--lr", description = "learning rate (default: the task's: 1e-3; chars 2e-3, fashion-mnist 4e-3)")
    Double lr;
    @Option(names = "--schedule", description = "learning-rate schedule: none, step, cosine or plateau "
            + "(default: the task's: none; fashion-mnist cosine)")
    String schedule;
    @Option(names = "--clip", description = "clip gradients to this global L2 norm; 0 = off (default 1.0)")
    double clip = 1.0;
    @Option(names = "--steps", paramLabel = "N", description = "training steps (default: the task's: adding 6000, chars 4000, "
            + "words 1500; data sets: --epochs)")
    Long steps;
    @Option(names = "--epochs", paramLabel = "N", description = "passes over the training data (fashion-mnist 8, forecast 30, tensors 10); "
            + "with --steps, whichever ends first")
    Long epochs;
    @Option(names = "--seq", paramLabel = "T", description = "sequence length for generated tasks (adding: 100)")
    Integer seq;
    @Option(names = "--text", paramLabel = "FILE", description = "chars, words: a UTF-8 text file, or a folder of them "
            + "(e.g. /usr/share/games/fortunes)")
    Path text;
    @Option(names = "--vocab", paramLabel = "N", description = "words: the N - 1 most frequent training words and <unk> "
            + "(default 10000)")
    Integer vocab;
    @Option(names = "--embedding-size", paramLabel = "E", description = "words, and tensors with token ids: the "
            + "embedding's width (default 128, or the width of --embeddings)")
    Integer embeddingSize;
    @Option(names = "--embeddings", paramLabel = "FILE", description = "words: start the embedding from pretrained vectors "
            + "(GloVe / word2vec text format); words the file lacks start random and are counted")
    Path embeddings;
    @Option(names = "--freeze-embeddings", description = "words: keep the pretrained embedding fixed while training")
    boolean freezeEmbeddings;
    @Option(names = "--attention", paramLabel = "SCORE", description = "dates, pairs: additive (Bahdanau, default), dot or "
            + "general (Luong)")
    String attention;
    @Option(names = "--tsv", paramLabel = "FILE", description = "pairs: a UTF-8 file of 'source<TAB>target' lines")
    Path tsv;
    @Option(names = "--csv", paramLabel = "FILE", description = "forecast: a CSV file with a header row")
    Path csv;
    @Option(names = "--column", paramLabel = "NAME", description = "forecast: the CSV column holding the series")
    String column;
    @Option(names = "--window", paramLabel = "W", description = "forecast: past values per window (default 28)")
    Integer window;
    @Option(names = "--horizon", paramLabel = "K", description = "forecast: future values predicted per window (default 7)")
    Integer horizon;
    @Option(names = "--missing", paramLabel = "POLICY", description = "forecast: missing cells (empty, NA, NaN): "
            + "fail (default), drop the row, or interpolate linearly")
    String missing;
    @Option(names = "--differences", description = "forecast: the model reads the steps between values and predicts "
            + "the change from the window's last value, so that a trend does not take it out of its range")
    boolean differences;
    @Option(names = "--seed", description = "seed of the initialisation, the data order and dropout (default 1)")
    long seed = 1;
    @Option(names = "--out", paramLabel = "DIR", description = "output folder (default runs/<task>)")
    Path out;
    @Option(names = "--log-every", paramLabel = "N", description = "steps per metrics.csv row (default 50)")
    int logEvery = 50;
    @Option(names = "--eval-every", paramLabel = "N", description = "steps between validations and checkpoints "
            + "(default: once per epoch for data sets, every 250 steps for generated tasks)")
    Integer evalEvery;
    @Option(names = "--data", paramLabel = "FILE", description = "--task tensors: the data set, a safetensors file "
            + "with x [N,T,I] float32 (or [N,T] int64 token ids, embedded), y [N] or [N,T] (int64 classes or float32 "
            + "values), optional lengths [N]")
    Path data;
    @Option(names = "--init", paramLabel = "FILE", description = "start from these weights: a checkpoint, or a PyTorch "
            + "nn.LSTM/GRU/RNN state_dict (safetensors) for the recurrent layers")
    Path init;
    @Option(names = "--resume", description = "continue the run in --out from its last checkpoint (same flags; "
            + "--steps or --epochs may grow, --lr may change a run without --schedule)")
    boolean resume;
    @Option(names = "--patience", paramLabel = "N", description = "stop after N validations in a row without a better "
            + "validation metric (default 0: never)")
    int patience;
    @Option(names = "--config", paramLabel = "FILE", description = "a JSON object of flags without their dashes "
            + "({\"task\": \"forecast\", \"hidden\": 64, \"differences\": true}); flags given on the command line override it")
    Path config;
    @Spec
    CommandSpec spec;

    @Mixin
    DeviceOption device = new DeviceOption();
    @Mixin
    ThreadsOption threads = new ThreadsOption();
    @Mixin
    KernelsOption kernels = new KernelsOption();

    /** Steps between validations of tasks whose data are generated on the fly. */
    static final int DEFAULT_EVAL_EVERY = 250;

    /** The --config file this run's flags were merged from (recorded in metrics.json), or null. */
    private Path mergedFrom;

    @Override
    public Integer call() throws IOException {
        if (config != null && mergedFrom == null) return withConfig();
        // --device cuda: the model's recurrent layers run on the GPU (Trainer).
        try (GpuContext gpu = device.openGpu()) {
            return train(gpu);
        }
    }

    /** Runs a fresh command parsed from the config file's flags followed by the command line's (which win). */
    private int withConfig() throws IOException {
        List<String> merged = new ArrayList<>(RunConfig.arguments(config, spec));
        merged.addAll(spec.commandLine().getParseResult().expandedArgs());
        TrainCommand run = new TrainCommand();
        CommandLine parser = new CommandLine(run);
        parser.setOverwrittenOptionsAllowed(true);
        try {
            parser.parseArgs(merged.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new UserError(config + ": " + e.getMessage());
        }
        run.mergedFrom = config;
        return run.call();
    }

    private int train(GpuContext gpu) throws IOException {
        int threadCount = threads.apply();
        Kernels k = kernels.kernels();
        TaskDefaults defaults = TaskDefaults.of(task);
        int h = UserError.positive("--hidden", hidden, defaults.hidden());
        int b = UserError.positive("--batch", batch, defaults.batch());
        Path dir = out != null ? out : Path.of("runs", task);
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UserError("--out " + dir + " is a file, not a folder: choose a folder for the run's outputs");
        }
        Path resumeFrom = resume ? Trainer.resumePoint(dir) : null;
        Checkpoint previous = resumeFrom == null ? null : Checkpoint.read(resumeFrom);
        // A resumed run keeps its base rate (its schedule was built on it) unless --lr says otherwise.
        double rate = lr != null ? lr : previous != null ? runRate(dir, previous) : defaults.lr();
        String lrSchedule = schedule == null ? defaults.schedule() : schedule;
        if (!(rate > 0)) throw new UserError("--lr must be positive, got " + rate);
        if (!(dropout >= 0 && dropout < 1)) throw new UserError("--dropout must be in [0, 1), got " + dropout);
        if (dropout > 0 && layers < 2) {
            throw new UserError("--dropout applies between stacked layers, and this model has one: "
                    + "pass --layers 2 or more, or leave --dropout out");
        }
        if (clip < 0) throw new UserError("--clip must be >= 0, got " + clip);
        if (layers < 1) throw new UserError("--layers must be at least 1, got " + layers);
        if (patience < 0) throw new UserError("--patience must be >= 0, got " + patience);
        if (logEvery < 1 || (evalEvery != null && evalEvery < 1)) {
            throw new UserError("--log-every and --eval-every must be at least 1");
        }
        CellMode mode;
        try {
            mode = CellMode.parse(cell);
        } catch (IllegalArgumentException e) {
            throw new UserError("--cell '" + cell + "' is unknown: expected lstm, gru, rnn_tanh or rnn_relu");
        }
        if (!resume && Trainer.resumePoint(dir) != null) {
            throw new UserError("--out " + dir + " already holds a run (" + Trainer.CHECKPOINT
                    + "): pass --resume to continue it, or choose another --out");
        }
        try (TrainingTask t = createTask(mode, h, b)) {
            if (init != null && previous == null) {
                System.out.println(InitialWeights.load(init, t.model()));
            }
            NativeMemory.raiseCacheLimit(MemoryBudget.trainingCacheBytes());
            long totalSteps = totalSteps(t, defaults);
            if (previous != null && previous.progress().step() >= totalSteps) {
                long reached = previous.progress().step();
                if (reached > totalSteps) {
                    throw new UserError("--steps/--epochs give " + totalSteps + " steps, but the run in " + dir
                            + " already reached step " + reached + ": ask for more than " + reached + " to continue it");
                }
                System.out.println("recur train: the run in " + dir + " already reached its " + totalSteps
                        + " steps; nothing to train (ask for more with --steps or --epochs to continue it)");
                return 0;
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("task", task);
            config.put("cell", mode.id());
            config.put("hidden", h);
            config.put("layers", layers);
            config.put("bidirectional", bidirectional);
            config.put("dropout", dropout);
            config.put("batch", b);
            config.put("optimizer", optimizer);
            config.put("lr", rate);
            config.put("schedule", lrSchedule);
            config.put("clip", clip);
            config.put("steps", totalSteps);
            if (patience > 0) config.put("patience", patience);
            if (mergedFrom != null) config.put("config", mergedFrom.toString());
            config.put("seed", seed);
            config.put("threads", threadCount);
            config.put("kernels", k.name());
            config.put("device", gpu == null ? "cpu" : "cuda");
            if (device.tf32()) config.put("tf32", true);
            if (data != null) config.put("data", data.toString());
            if (init != null) config.put("init", init.toString());
            if (seq != null || defaults.seq() > 0) config.put("seq", seq != null ? seq : defaults.seq());
            if (text != null) config.put("text", text.toString());
            if (tsv != null) config.put("tsv", tsv.toString());
            if (t instanceof TranslationTask) config.put("attention", attentionScore().id());
            if (t instanceof WordsTask w) {
                config.put("vocab", w.corpus().vocabulary().size());
                if (embeddings != null) config.put("embeddings", embeddings.toString());
                if (freezeEmbeddings) config.put("freeze_embeddings", true);
            }
            if (t instanceof ForecastTask f) {
                config.put("csv", csv.toString());
                config.put("column", column);
                config.put("window", f.data().window());
                config.put("horizon", f.data().horizon());
                config.put("inputs", f.data().scaling().inputs());
                config.put("missing", missingPolicy(missing).name().toLowerCase(Locale.ROOT));
            }
            System.out.printf(Locale.ROOT, "recur train: task %s, %s H=%d L=%d%s, batch %d, %s lr %g, %d steps, %d threads%s -> %s%n",
                    task, mode.id(), h, layers, bidirectional ? " bidirectional" : "", b, optimizer, rate, totalSteps,
                    threadCount, gpu == null ? "" : ", recurrent layers on " + gpu.device().description(), dir);
            // Data sets validate once per epoch; generated tasks (no epochs) every 250 steps.
            int validateEvery = evalEvery != null ? evalEvery
                    : (int) Math.min(Integer.MAX_VALUE, t.stepsPerEpoch() > 0 ? t.stepsPerEpoch() : DEFAULT_EVAL_EVERY);
            Trainer.Result result;
            try (OutputFolder folder = OutputFolder.create(dir)) {
                result = Trainer.run(t, new Trainer.Settings(totalSteps, logEvery, validateEvery, clip, optimizer,
                        rate, lrSchedule, 0, dir, resume, lr != null, patience), k,
                        DeviceOption.execution(gpu, RecurrentExecution.FUSED), config,
                        ProgressReporter.forConsole(System.out, totalSteps));
            }
            TrainingTask.Evaluation last = result.finalEvaluation();
            if (last == null) return 0;
            System.out.printf(Locale.ROOT, "done: %d steps in %.1f s (%.0f samples/s)%s; validation loss %.5g, %s %.5g%n",
                    result.steps(), result.wallSeconds(), result.samplesPerSecond(),
                    result.stoppedEarly() ? ", stopped early (--patience " + patience + ")" : "",
                    last.loss(), t.metricName(), last.metric());
            t.baselines().forEach((name, value) -> System.out.printf(Locale.ROOT, "%s: %.5g%n", name, value));
            Double naive = t.baselines().get("naive_val_mae");
            double kept = result.log().rows().stream().filter(r -> r.step() == result.bestStep())
                    .mapToDouble(TrainingLog.Row::metric).findFirst().orElse(Double.NaN);
            if (naive != null && kept > naive) {
                System.out.printf(Locale.ROOT, "note: the kept model's val_mae %.5g is worse than the naive forecast's %.5g%s%n",
                        kept, naive, differences ? "" : "; for a series with a trend, try --differences");
            }
            System.out.println("wrote " + dir.resolve(Trainer.CHECKPOINT) + " (the best validation " + t.metricName()
                    + ", step " + result.bestStep() + "), " + Trainer.LAST_CHECKPOINT + " (step " + result.steps()
                    + ", for --resume), metrics.json, metrics.csv"
                    + (Charts.available() ? ", curves.png" : " (" + Charts.UNAVAILABLE + ")"));
        }
        return 0;
    }

    /** The base learning rate of the run being resumed: its metrics.json's, else the checkpoint's current one. */
    private static double runRate(Path dir, Checkpoint previous) {
        try {
            JsonNode lrNode = new ObjectMapper().readTree(Files.readString(dir.resolve("metrics.json"))).at("/config/lr");
            if (lrNode.isNumber()) return lrNode.asDouble();
        } catch (IOException e) {
            // an unreadable metrics.json: the checkpoint's rate will do
        }
        return previous.learningRate();
    }

    private TrainingTask createTask(CellMode mode, int h, int b) throws IOException {
        boolean translation = task.equals("dates") || task.equals("pairs");
        if (!translation) refuse("--attention", attention != null);
        if (!task.equals("pairs")) refuse("--tsv", tsv != null);
        return switch (task) {
            case "adding" -> {
                refuseForecastFlags();
                refuseWordFlags();
                int steps = UserError.positive("--seq", seq, TaskDefaults.of(task).seq());
                RecurrentConfig rnn = recurrent(mode, 2, h);
                requireMemory(rnn, head(rnn, 1), b, steps);
                yield new AddingTask(rnn, steps, b, (float) dropout, seed);
            }
            case "chars" -> {
                refuseForecastFlags();
                refuseWordFlags();
                if (text == null) {
                    throw new UserError("--task chars needs --text FILE: a UTF-8 text file or a folder of them "
                            + "(e.g. /usr/share/games/fortunes)");
                }
                int steps = UserError.positive("--seq", seq, TaskDefaults.of(task).seq());
                CharCorpus corpus = CharCorpus.load(text, steps, CharCorpus.DEFAULT_VALIDATION_FRACTION);
                RecurrentConfig rnn = CharsTask.config(mode, h, layers, bidirectional);
                int symbols = corpus.vocabulary().size();
                requireMemory(rnn, (long) symbols * CharsTask.EMBEDDING + head(rnn, symbols), b, steps, symbols);
                yield new CharsTask(corpus, text.toString(), rnn, steps, b, (float) dropout, seed);
            }
            case "words" -> {
                refuseForecastFlags();
                if (text == null) {
                    throw new UserError("--task words needs --text FILE: a UTF-8 text file or a folder of them "
                            + "(e.g. /usr/share/games/fortunes)");
                }
                if (freezeEmbeddings && embeddings == null) {
                    throw new UserError("--freeze-embeddings needs --embeddings FILE: a random embedding would stay random");
                }
                int steps = UserError.positive("--seq", seq, TaskDefaults.of(task).seq());
                int words = UserError.positive("--vocab", vocab, WordsTask.DEFAULT_VOCABULARY);
                if (words < 2) throw new UserError("--vocab must be at least 2 (<unk> and a word), got " + words);
                int width = embeddings != null ? WordVectors.read(embeddings, java.util.Set.of()).dimension()
                        : UserError.positive("--embedding-size", embeddingSize, WordsTask.DEFAULT_EMBEDDING);
                if (embeddings != null && embeddingSize != null && embeddingSize != width) {
                    throw new UserError("--embedding-size " + embeddingSize + " differs from the width of --embeddings ("
                            + width + ")");
                }
                WordCorpus corpus = WordCorpus.load(text, steps, words, CharCorpus.DEFAULT_VALIDATION_FRACTION);
                RecurrentConfig rnn = RecurrentConfig.of(mode, width, h).withLayers(layers).withBidirectional(bidirectional);
                int size = corpus.vocabulary().size();
                requireMemory(rnn, (long) size * width + head(rnn, size), b, steps, size);
                WordsTask t = new WordsTask(corpus, text.toString(), rnn, steps, b, (float) dropout, seed,
                        embeddings == null ? null : embeddings.toString(), freezeEmbeddings);
                System.out.printf(Locale.ROOT, "words: %d tokens, vocabulary %d (with <unk>); unknown: %d in training, %d in "
                                + "validation%n", corpus.tokens().trainLength() + corpus.tokens().validationLength(), size,
                        corpus.trainUnknown(), corpus.validationUnknown());
                if (embeddings != null) {
                    WordsTask.Pretrained loaded = t.loadEmbeddings(embeddings);
                    System.out.printf(Locale.ROOT, "--embeddings %s: vectors for %d of %d words; %d start random%s%n",
                            embeddings, loaded.found(), size, loaded.missing(), freezeEmbeddings ? "; frozen" : "");
                }
                yield t;
            }
            case "dates" -> {
                refuseTextFlags();
                int width = UserError.positive("--embedding-size", embeddingSize, DatesTask.DEFAULT_EMBEDDING);
                RecurrentConfig rnn = recurrent(mode, width, h);
                requireMemory(rnn, 8L * h * h * rnn.directions() * rnn.directions(), b, 40);
                yield new DatesTask(rnn, width, attentionScore(), DatesTask.DEFAULT_ATTENTION, b, (float) dropout, seed);
            }
            case "pairs" -> {
                refuseTextFlags();
                if (tsv == null) throw new UserError("--task pairs needs --tsv FILE: lines of 'source<TAB>target'");
                List<TextPairs.Pair> pairs = TextPairs.read(tsv);
                int width = UserError.positive("--embedding-size", embeddingSize, DatesTask.DEFAULT_EMBEDDING);
                RecurrentConfig rnn = recurrent(mode, width, h);
                int longest = pairs.stream().mapToInt(p -> Math.max(p.source().length(), p.target().length())).max().orElse(1);
                requireMemory(rnn, 8L * h * h * rnn.directions() * rnn.directions(), b, 2 * longest);
                yield PairsTask.forTraining(pairs, tsv, rnn, attentionScore(), DatesTask.DEFAULT_ATTENTION, b, (float) dropout, seed);
            }
            case "forecast" -> {
                if (csv == null || column == null) {
                    throw new UserError("--task forecast needs --csv FILE and --column NAME");
                }
                if (seq != null) throw new UserError("--seq does not apply to --task forecast: use --window");
                refuseWordFlags();
                int w = UserError.positive("--window", window, ForecastTask.DEFAULT_WINDOW);
                int k = UserError.positive("--horizon", horizon, ForecastData.DEFAULT_HORIZON);
                CsvColumn.Missing policy = missingPolicy(missing);
                ForecastData series = ForecastData.fromCsv(csv, column, policy, w, k, differences);
                RecurrentConfig rnn = recurrent(mode, 1, h);
                requireMemory(rnn, head(rnn, k), b, w);
                yield new ForecastTask(series, csv.toString(), column, policy, rnn, b, (float) dropout, seed);
            }
            case "fashion-mnist" -> {
                refuse("--seq", seq != null);
                refuseForecastFlags();
                refuseWordFlags();
                refuse("--data", data != null);
                RecurrentConfig rnn = recurrent(mode, FashionMnist.SIDE, h);
                requireMemory(rnn, head(rnn, 10), b, FashionMnist.SIDE);
                yield FashionMnistTask.forTraining(FashionMnistTask.dataDir(), rnn, b, (float) dropout, seed);
            }
            case "tensors" -> {
                refuse("--seq", seq != null);
                refuseForecastFlags();
                refuse("--vocab", vocab != null);
                refuse("--embeddings", embeddings != null);
                refuse("--freeze-embeddings", freezeEmbeddings);
                if (data == null) {
                    throw new UserError("--task tensors needs --data FILE.safetensors (x [N,T,I], y, lengths)");
                }
                TensorsDataset d = TensorsDataset.load(data);
                if (d.vocabulary() == 0) refuse("--embedding-size", embeddingSize != null);
                int input = d.vocabulary() > 0
                        ? UserError.positive("--embedding-size", embeddingSize, WordsTask.DEFAULT_EMBEDDING) : d.features();
                RecurrentConfig rnn = recurrent(mode, input, h);
                requireMemory(rnn, (long) d.vocabulary() * input + head(rnn, Math.max(1, d.numClasses())), b, d.maxSteps());
                yield TensorsTask.forTraining(data, d, rnn, b, (float) dropout, seed);
            }
            default -> throw new UserError("--task '" + task + "' is unknown: expected one of " + TASKS);
        };
    }

    private RecurrentConfig recurrent(CellMode mode, int input, int h) {
        return RecurrentConfig.of(mode, input, h).withLayers(layers).withBidirectional(bidirectional);
    }

    /** Weights of a linear head from the stack's output (both directions) to {@code outputs} values. */
    private static long head(RecurrentConfig rnn, int outputs) {
        return ((long) rnn.outputSize() * rnn.directions() + 1) * outputs;
    }

    /** Refuses, before anything is allocated, a run that needs more memory than the machine has available. */
    private void requireMemory(RecurrentConfig rnn, long otherParameters, int b, int steps) {
        requireMemory(rnn, otherParameters, b, steps, 0);
    }

    /** As above, for a head with {@code stepOutputs} outputs at every step (a language model's vocabulary). */
    private void requireMemory(RecurrentConfig rnn, long otherParameters, int b, int steps, int stepOutputs) {
        MemoryBudget.check(MemoryBudget.estimate(rnn, otherParameters, b, steps, stepOutputs, optimizer), b, steps, optimizer);
    }

    /** --missing: the policy for a forecast series' missing cells (fail when not given). */
    static CsvColumn.Missing missingPolicy(String given) {
        try {
            return given == null ? CsvColumn.Missing.FAIL : CsvColumn.Missing.parse(given);
        } catch (IllegalArgumentException e) {
            throw new UserError("--missing " + e.getMessage());
        }
    }

    /** The flags of the series and text tasks, for the translation tasks. */
    private void refuseTextFlags() {
        refuseForecastFlags();
        refuse("--seq", seq != null);
        refuse("--vocab", vocab != null);
        refuse("--embeddings", embeddings != null);
        refuse("--freeze-embeddings", freezeEmbeddings);
    }

    /** --attention: the sequence-to-sequence score (additive when not given). */
    private AttentionSeq2Seq.Score attentionScore() {
        try {
            return attention == null ? AttentionSeq2Seq.Score.ADDITIVE : AttentionSeq2Seq.Score.parse(attention);
        } catch (IllegalArgumentException e) {
            throw new UserError("--attention " + e.getMessage());
        }
    }

    private void refuseWordFlags() {
        refuse("--vocab", vocab != null);
        refuse("--embedding-size", embeddingSize != null);
        refuse("--embeddings", embeddings != null);
        refuse("--freeze-embeddings", freezeEmbeddings);
    }

    private void refuseForecastFlags() {
        refuse("--horizon", horizon != null);
        refuse("--missing", missing != null);
        refuse("--differences", differences);
        refuse("--window", window != null);
    }

    private void refuse(String flag, boolean given) {
        if (given) throw new UserError(flag + " does not apply to --task " + task);
    }

    /** --steps and --epochs: whichever ends first; the task's default when neither is given. */
    private long totalSteps(TrainingTask t, TaskDefaults defaults) {
        if (steps != null && steps < 1) throw new UserError("--steps must be at least 1, got " + steps);
        if (epochs != null && epochs < 1) throw new UserError("--epochs must be at least 1, got " + epochs);
        long perEpoch = t.stepsPerEpoch();
        if (epochs != null && perEpoch == 0) {
            throw new UserError("--epochs does not apply to --task " + task + " (its data are generated on the fly): use --steps");
        }
        Long byEpochs = epochs == null ? null : epochs * perEpoch;
        if (steps != null && byEpochs != null) return Math.min(steps, byEpochs);
        if (steps != null) return steps;
        if (byEpochs != null) return byEpochs;
        return defaults.epochs() > 0 && perEpoch > 0 ? defaults.epochs() * perEpoch : defaults.steps();
    }

    /** A task's defaults: the setting a newcomer gets with no flags. */
    record TaskDefaults(int hidden, int batch, double lr, String schedule, long steps, long epochs, int seq) {
        static TaskDefaults of(String task) {
            return switch (task) {
                // As PyTorch's reference run (bench/scripts/torch_adding.py): LSTM 128, batch 64, Adam 1e-3, clip 1.0.
                case "adding" -> new TaskDefaults(128, 64, 1e-3, "none", 6000, 0, 100);
                // A 2-core budget: LSTM 256 over 64-wide embeddings, 64 windows of 100 characters per step (~9 steps/s).
                case "chars" -> new TaskDefaults(256, 64, 2e-3, "none", 4000, 0, 100);
                // Windows of 35 tokens as PyTorch's word_language_model, 32 per step, 10000 words: on fortunes
                // ~0.2 s a step on 2 cores, validation perplexity under a third of the unigram's (docs/results.md).
                case "words" -> new TaskDefaults(256, 32, 2e-3, "none", 1500, 0, 35);
                // Small series (hundreds to thousands of windows): 30 epochs of batches of 32.
                case "forecast" -> new TaskDefaults(64, 32, 1e-3, "none", 0, 30, 0);
                // PyTorch's reference recipe (LSTM 128, Adam 2e-3, batch 128) reaches 89% test accuracy after 10-12
                // epochs; twice the rate annealed to 1/100 by a cosine gets there in 7-8 (docs/results.md).
                case "fashion-mnist" -> new TaskDefaults(128, 128, 4e-3, "cosine", 0, 8, 0);
                case "tensors" -> new TaskDefaults(128, 64, 1e-3, "none", 0, 10, 0);
                // A bidirectional-capable encoder of 64 and an additive attention decoder: ~0.97 exact in minutes.
                case "dates" -> new TaskDefaults(64, 64, 3e-3, "none", 2000, 0, 0);
                case "pairs" -> new TaskDefaults(64, 64, 3e-3, "none", 0, 30, 0);
                default -> throw new UserError("--task '" + task + "' is unknown: expected one of " + TASKS);
            };
        }
    }
}
