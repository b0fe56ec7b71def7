package dev.recur.engine.train;

import dev.recur.engine.io.SafeTensorsException;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A training checkpoint: one safetensors file holding everything a run needs to resume bit for
 * bit, readable by PyTorch's tools.
 *
 * <p>Layout. Tensors (float32):
 * <ul>
 *   <li>the model's parameters under their own names: a recurrent layer's carry PyTorch's
 *       ({@code weight_ih_l0}, {@code bias_hh_l1_reverse}, {@code weight_hr_l0}, ...), so that
 *       {@code torch.nn.LSTM(...).load_state_dict()} accepts them; other modules' are prefixed
 *       ({@code head.weight});</li>
 *   <li>the optimizer's {@link Optimizer#stateDict()} under {@value #OPTIMIZER_PREFIX}
 *       ({@code optimizer.state.weight_ih_l0.exp_avg}); no parameter may start with that prefix.</li>
 * </ul>
 * {@code __metadata__} (strings; doubles in {@link Double#toString}'s exact round-trip form):
 * {@code format} = {@value #FORMAT}, {@code format_version}; {@code model.<key>} for the caller's
 * model configuration; {@code optimizer.kind}, {@code optimizer.lr} (the current learning rate),
 * {@code optimizer.option.<name>} (its other {@link Optimizer#hyperParameters()}, e.g. {@code beta1});
 * {@code schedule.kind} and {@code schedule.<key>} (the schedule's state dict); {@code rng} (the
 * caller's RNG state, comma-separated longs); {@code progress.step}, {@code progress.epoch},
 * {@code progress.samples_seen}, {@code progress.best_metric}; {@code task.<key>} (free-form, e.g.
 * a vocabulary).
 *
 * <p>Saving is atomic ({@link SafeTensorsWriter}: a temporary file beside the target, forced to
 * disk, renamed over it), so a process killed mid-save leaves the previous checkpoint intact.
 * Temporary files left by such a kill are removed by the next save to the same path.
 *
 * <p>Restoring ({@link #restore}) checks everything first (every parameter present with its shape,
 * no tensor the model lacks, the model configuration, the optimizer's kind and options, the
 * schedule's kind and keys) and reads every tensor before it changes anything: a mismatch throws
 * a one-line {@link CheckpointException} naming the file, the key and what was expected, and the
 * model, optimizer and schedule keep their state.
 */
public final class Checkpoint {
    /** The value of the {@code format} metadata entry. */
    public static final String FORMAT = "recur-checkpoint";
    /** The version this class writes and reads. */
    public static final int VERSION = 1;
    /** The prefix of the optimizer's state tensors. */
    public static final String OPTIMIZER_PREFIX = "optimizer.";

    static final String KEY_FORMAT = "format";
    static final String KEY_VERSION = "format_version";
    static final String MODEL = "model.";
    static final String OPTIMIZER_KIND = "optimizer.kind";
    static final String OPTIMIZER_LR = "optimizer.lr";
    static final String OPTIMIZER_OPTION = "optimizer.option.";
    static final String SCHEDULE_KIND = "schedule.kind";
    static final String SCHEDULE = "schedule.";
    static final String RNG = "rng";
    static final String STEP = "progress.step";
    static final String EPOCH = "progress.epoch";
    static final String SAMPLES = "progress.samples_seen";
    static final String BEST = "progress.best_metric";
    static final String TASK = "task.";

    /** Where a run stands: steps and epochs done, samples seen, best validation metric (NaN: none yet). */
    public record Progress(long step, long epoch, long samplesSeen, double bestMetric) {
        public static final Progress START = new Progress(0, 0, 0, Double.NaN);

        public Progress {
            if (step < 0 || epoch < 0 || samplesSeen < 0) {
                throw new IllegalArgumentException("progress counts must be >= 0, got step " + step + ", epoch "
                        + epoch + ", samples " + samplesSeen);
            }
        }
    }

    /** A schedule's class and state dict ({@link LRScheduler#stateDict()}, {@link ReduceLROnPlateau#stateDict()}). */
    public record ScheduleState(String kind, SequencedMap<String, Double> state) {
        public ScheduleState {
            Objects.requireNonNull(kind, "kind");
            state = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(state));
        }

        public static ScheduleState of(LRScheduler schedule) {
            return new ScheduleState(schedule.getClass().getSimpleName(), schedule.stateDict());
        }

        public static ScheduleState of(ReduceLROnPlateau schedule) {
            return new ScheduleState(schedule.getClass().getSimpleName(), schedule.stateDict());
        }
    }

    /**
     * What a checkpoint holds besides tensors. {@code modelConfig} and {@code task} are the
     * caller's string maps (keys without the {@code model.} / {@code task.} prefix);
     * {@code rngState} may be null (no RNG saved).
     */
    public record Info(Map<String, String> modelConfig, Progress progress, long[] rngState, Map<String, String> task) {
        public Info {
            modelConfig = Collections.unmodifiableMap(new LinkedHashMap<>(modelConfig));
            Objects.requireNonNull(progress, "progress");
            rngState = rngState == null ? null : rngState.clone();
            task = Collections.unmodifiableMap(new LinkedHashMap<>(task));
        }

        @Override
        public long[] rngState() {
            return rngState == null ? null : rngState.clone();
        }
    }

    private final SafeTensorsFile file;
    private final int version;
    private final Info info;
    private final String optimizerKind;
    private final double learningRate;
    private final Map<String, String> optimizerOptions;
    private final ScheduleState schedule;

    private Checkpoint(SafeTensorsFile file, int version, Info info, String optimizerKind, double learningRate,
                       Map<String, String> optimizerOptions, ScheduleState schedule) {
        this.file = file;
        this.version = version;
        this.info = info;
        this.optimizerKind = optimizerKind;
        this.learningRate = learningRate;
        this.optimizerOptions = optimizerOptions;
        this.schedule = schedule;
    }

    // ---------------------------------------------------------------------------------------------
    // Saving

    /**
     * Writes {@code parameters}, {@code optimizer}'s state and learning rate (null: none),
     * {@code schedule} (null: none) and {@code info} to {@code target}, atomically replacing it.
     */
    public static Path save(Path target, Collection<Parameter> parameters, Optimizer optimizer,
                            ScheduleState schedule, Info info) throws IOException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(info, "info");
        SafeTensorsWriter writer = new SafeTensorsWriter();
        writer.metadata(KEY_FORMAT, FORMAT).metadata(KEY_VERSION, Integer.toString(VERSION));
        info.modelConfig().forEach((k, v) -> writer.metadata(MODEL + k, v));
        Set<String> names = new HashSet<>();
        for (Parameter p : parameters) {
            if (p.name().startsWith(OPTIMIZER_PREFIX)) {
                throw new IllegalArgumentException("parameter '" + p.name() + "' starts with '" + OPTIMIZER_PREFIX
                        + "', which checkpoints keep for the optimizer's state");
            }
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("two parameters are named '" + p.name() + "'");
            }
            writer.put(p.name(), p.value());
        }
        if (optimizer != null) {
            writer.metadata(OPTIMIZER_KIND, optimizer.kind());
            writer.metadata(OPTIMIZER_LR, Double.toString(optimizer.learningRate()));
            optionsOf(optimizer).forEach((k, v) -> writer.metadata(OPTIMIZER_OPTION + k, v));
            optimizer.stateDict().forEach((name, tensor) -> writer.put(OPTIMIZER_PREFIX + name, tensor));
        }
        if (schedule != null) {
            writer.metadata(SCHEDULE_KIND, schedule.kind());
            schedule.state().forEach((k, v) -> writer.metadata(SCHEDULE + k, Double.toString(v)));
        }
        long[] rng = info.rngState();
        if (rng != null) {
            writer.metadata(RNG, String.join(",", Arrays.stream(rng).mapToObj(Long::toString).toList()));
        }
        Progress p = info.progress();
        writer.metadata(STEP, Long.toString(p.step())).metadata(EPOCH, Long.toString(p.epoch()))
                .metadata(SAMPLES, Long.toString(p.samplesSeen())).metadata(BEST, Double.toString(p.bestMetric()));
        info.task().forEach((k, v) -> writer.metadata(TASK + k, v));
        removeStaleTemporaries(target);
        return writer.write(target);
    }

    /** {@code optimizer.option.*}: every hyper-parameter except lr (saved as {@code optimizer.lr}), as text. */
    static SequencedMap<String, String> optionsOf(Optimizer optimizer) {
        SequencedMap<String, String> out = new LinkedHashMap<>();
        optimizer.hyperParameters().forEach((name, value) -> {
            if (!name.equals("lr")) {
                out.put(name, String.valueOf(value));
            }
        });
        return out;
    }

    /** Deletes {@code .<name>.<hex>.tmp} files beside {@code target}: what a killed save leaves (see SafeTensorsWriter). */
    private static void removeStaleTemporaries(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            return;
        }
        String prefix = "." + absolute.getFileName() + ".";
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(directory, path -> {
            String name = path.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp")
                    && name.substring(prefix.length(), name.length() - 4).matches("[0-9a-f]{16}");
        })) {
            for (Path path : stale) {
                Files.deleteIfExists(path);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /** Reads and checks a checkpoint's header and metadata; tensors are read by {@link #restore}. */
    public static Checkpoint read(Path path) throws IOException {
        SafeTensorsFile file = readFile(path);
        Map<String, String> meta = file.metadata();
        String format = meta.get(KEY_FORMAT);
        if (!FORMAT.equals(format)) {
            throw new CheckpointException(path, "__metadata__", "has no format '" + FORMAT + "' (found "
                    + (format == null ? "none" : "'" + format + "'") + "): not a Recur checkpoint"
                    + " (a plain state_dict loads with Checkpoint.loadParameters)");
        }
        int version = (int) parseLong(path, meta, KEY_VERSION);
        if (version != VERSION) {
            throw new CheckpointException(path, KEY_VERSION, "is " + version + ", expected " + VERSION);
        }
        Map<String, String> model = new LinkedHashMap<>();
        Map<String, String> task = new LinkedHashMap<>();
        Map<String, String> options = new LinkedHashMap<>();
        SequencedMap<String, Double> scheduleState = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL)) {
                model.put(k.substring(MODEL.length()), e.getValue());
            } else if (k.startsWith(TASK)) {
                task.put(k.substring(TASK.length()), e.getValue());
            } else if (k.startsWith(OPTIMIZER_OPTION)) {
                options.put(k.substring(OPTIMIZER_OPTION.length()), e.getValue());
            } else if (k.startsWith(SCHEDULE) && !k.equals(SCHEDULE_KIND)) {
                scheduleState.put(k.substring(SCHEDULE.length()), parseDouble(path, meta, k));
            }
        }
        long[] rng = null;
        String rngText = meta.get(RNG);
        if (rngText != null) {
            try {
                rng = rngText.isEmpty() ? new long[0]
                        : Arrays.stream(rngText.split(",", -1)).mapToLong(Long::parseLong).toArray();
            } catch (NumberFormatException e) {
                throw new CheckpointException(path, RNG, "is not a comma-separated list of longs: '" + rngText + "'");
            }
        }
        Progress progress;
        try {
            progress = new Progress(parseLong(path, meta, STEP), parseLong(path, meta, EPOCH),
                    parseLong(path, meta, SAMPLES), parseDouble(path, meta, BEST));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(path, "progress", e.getMessage());
        }
        String kind = meta.get(OPTIMIZER_KIND);
        double lr = kind == null ? Double.NaN : parseDouble(path, meta, OPTIMIZER_LR);
        if (kind == null && file.names().stream().anyMatch(n -> n.startsWith(OPTIMIZER_PREFIX))) {
            throw new CheckpointException(path, OPTIMIZER_KIND, "is missing but the file holds optimizer state");
        }
        String scheduleKind = meta.get(SCHEDULE_KIND);
        ScheduleState schedule = scheduleKind == null ? null : new ScheduleState(scheduleKind, scheduleState);
        return new Checkpoint(file, version, new Info(model, progress, rng, task), kind, lr,
                Collections.unmodifiableMap(options), schedule);
    }

    private static SafeTensorsFile readFile(Path path) throws IOException {
        try {
            return SafeTensorsFile.read(path);
        } catch (SafeTensorsException e) {
            throw new CheckpointException(path, null, stripFile(e.getMessage(), path), e);
        } catch (IOException e) {
            throw new CheckpointException(path, null, "cannot be read: " + e, e);
        }
    }

    private static String stripFile(String message, Path path) {
        String prefix = path + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    private static long parseLong(Path path, Map<String, String> meta, String key) throws CheckpointException {
        String text = required(path, meta, key);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new CheckpointException(path, key, "is '" + text + "', expected a whole number");
        }
    }

    private static double parseDouble(Path path, Map<String, String> meta, String key) throws CheckpointException {
        String text = required(path, meta, key);
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new CheckpointException(path, key, "is '" + text + "', expected a number");
        }
    }

    private static String required(Path path, Map<String, String> meta, String key) throws CheckpointException {
        String text = meta.get(key);
        if (text == null) {
            throw new CheckpointException(path, key, "is missing from __metadata__");
        }
        return text;
    }

    public Path path() {
        return file.path();
    }

    public int formatVersion() {
        return version;
    }

    /** The model configuration, progress, RNG state and task map the checkpoint was saved with. */
    public Info info() {
        return info;
    }

    public Map<String, String> modelConfig() {
        return info.modelConfig();
    }

    public Progress progress() {
        return info.progress();
    }

    /** The caller's RNG state, if one was saved. */
    public Optional<long[]> rngState() {
        return Optional.ofNullable(info.rngState());
    }

    public Map<String, String> task() {
        return info.task();
    }

    /** The optimizer's class as torch names it ({@code Adam}, ...), if an optimizer was saved. */
    public Optional<String> optimizerKind() {
        return Optional.ofNullable(optimizerKind);
    }

    /** The learning rate at the time of saving (NaN when no optimizer was saved). */
    public double learningRate() {
        return learningRate;
    }

    /** The optimizer's options other than lr, as saved. */
    public Map<String, String> optimizerOptions() {
        return optimizerOptions;
    }

    public Optional<ScheduleState> schedule() {
        return Optional.ofNullable(schedule);
    }

    /** The model's tensor names (everything but the optimizer's state), in file order. */
    public List<String> parameterNames() {
        return file.names().stream().filter(n -> !n.startsWith(OPTIMIZER_PREFIX)).toList();
    }

    // ---------------------------------------------------------------------------------------------
    // Restoring

    /**
     * Throws unless the saved model configuration equals {@code expected} (same keys, same values),
     * naming the first differing key.
     */
    public void requireModelConfig(Map<String, String> expected) throws CheckpointException {
        Map<String, String> saved = info.modelConfig();
        for (Map.Entry<String, String> e : new TreeMap<>(expected).entrySet()) {
            String have = saved.get(e.getKey());
            if (have == null) {
                throw new CheckpointException(path(), MODEL + e.getKey(), "is missing, expected '" + e.getValue()
                        + "' (a checkpoint of another architecture?)");
            }
            if (!have.equals(e.getValue())) {
                throw new CheckpointException(path(), MODEL + e.getKey(), "is '" + have + "', expected '"
                        + e.getValue() + "': the checkpoint is of another architecture");
            }
        }
        for (String k : new TreeMap<>(saved).keySet()) {
            if (!expected.containsKey(k)) {
                throw new CheckpointException(path(), MODEL + k, "is unexpected: this model's configuration has "
                        + new TreeMap<>(expected).keySet());
            }
        }
    }

    /**
     * Restores parameters, optimizer (state and learning rate) and an {@link LRScheduler}, after
     * checking the model configuration against {@code expectedConfig} (null: not checked).
     * {@code optimizer} and {@code schedule} may be null (not restored); when given, the
     * checkpoint must hold one of the same kind and options. Nothing changes if anything fails.
     */
    public void restore(Map<String, String> expectedConfig, Collection<Parameter> parameters, Optimizer optimizer,
                        LRScheduler schedule) throws CheckpointException {
        restore(expectedConfig, parameters, optimizer,
                schedule == null ? null : ScheduleState.of(schedule), schedule == null ? null : schedule::loadStateDict);
    }

    /** As {@link #restore(Map, Collection, Optimizer, LRScheduler)}, with a {@link ReduceLROnPlateau}. */
    public void restore(Map<String, String> expectedConfig, Collection<Parameter> parameters, Optimizer optimizer,
                        ReduceLROnPlateau schedule) throws CheckpointException {
        restore(expectedConfig, parameters, optimizer,
                schedule == null ? null : ScheduleState.of(schedule), schedule == null ? null : schedule::loadStateDict);
    }

    private void restore(Map<String, String> expectedConfig, Collection<Parameter> parameters, Optimizer optimizer,
                         ScheduleState current, Consumer<Map<String, Double>> scheduleLoader)
            throws CheckpointException {
        Path path = path();
        if (expectedConfig != null) {
            requireModelConfig(expectedConfig);
        }
        checkParameters(file, parameters, true);
        if (optimizer != null) {
            checkOptimizer(optimizer);
        }
        if (current != null) {
            checkSchedule(current);
        }
        try (TensorArena staging = TensorArena.open("checkpoint " + path)) {
            Map<String, Tensor> values = readParameters(file, parameters, staging);
            Map<String, Tensor> state = new LinkedHashMap<>();
            if (optimizer != null) {
                for (String name : file.names()) {
                    if (name.startsWith(OPTIMIZER_PREFIX)) {
                        state.put(name.substring(OPTIMIZER_PREFIX.length()), readF32(file, name, staging));
                    }
                }
            }
            // Each loader checks everything before it changes anything; the schedule, loaded first,
            // is put back from `current` if the optimizer then refuses its state.
            if (scheduleLoader != null) {
                try {
                    scheduleLoader.accept(schedule.state());
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException(path, SCHEDULE_KIND, "state does not fit: " + e.getMessage(), e);
                }
            }
            if (optimizer != null) {
                try {
                    optimizer.loadStateDict(state);
                } catch (IllegalArgumentException e) {
                    if (scheduleLoader != null) {
                        scheduleLoader.accept(current.state());
                    }
                    throw new CheckpointException(path, null, "optimizer state does not fit: " + e.getMessage(), e);
                }
                optimizer.setLearningRate(learningRate); // checked by checkOptimizer
            }
            for (Parameter p : parameters) {
                p.value().copyFrom(values.get(p.name()));
            }
        }
    }

    private void checkOptimizer(Optimizer optimizer) throws CheckpointException {
        Path path = path();
        if (optimizerKind == null) {
            throw new CheckpointException(path, OPTIMIZER_KIND, "is missing: the checkpoint holds no optimizer, expected "
                    + optimizer.kind());
        }
        if (!optimizerKind.equals(optimizer.kind())) {
            throw new CheckpointException(path, OPTIMIZER_KIND, "is '" + optimizerKind + "', expected '"
                    + optimizer.kind() + "'");
        }
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new CheckpointException(path, OPTIMIZER_LR, "is " + learningRate + ", expected a finite number >= 0");
        }
        Map<String, String> expected = optionsOf(optimizer);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String have = optimizerOptions.get(e.getKey());
            if (!e.getValue().equals(have)) {
                throw new CheckpointException(path, OPTIMIZER_OPTION + e.getKey(), "is "
                        + (have == null ? "missing" : "'" + have + "'") + ", expected '" + e.getValue() + "'");
            }
        }
        for (String k : optimizerOptions.keySet()) {
            if (!expected.containsKey(k)) {
                throw new CheckpointException(path, OPTIMIZER_OPTION + k, "is unexpected for " + optimizer.kind()
                        + ", whose options are " + expected.keySet());
            }
        }
    }

    private void checkSchedule(ScheduleState current) throws CheckpointException {
        Path path = path();
        if (schedule == null) {
            throw new CheckpointException(path, SCHEDULE_KIND, "is missing: the checkpoint holds no schedule, expected "
                    + current.kind());
        }
        if (!schedule.kind().equals(current.kind())) {
            throw new CheckpointException(path, SCHEDULE_KIND, "is '" + schedule.kind() + "', expected '"
                    + current.kind() + "'");
        }
        if (!schedule.state().keySet().equals(current.state().keySet())) {
            throw new CheckpointException(path, SCHEDULE_KIND, "state has keys " + schedule.state().keySet()
                    + ", expected " + current.state().keySet());
        }
    }

    /**
     * Loads {@code parameters}' values from any safetensors file of named tensors: a checkpoint, or
     * a PyTorch {@code state_dict()} saved with safetensors (F32/F64/F16/BF16 widen or round to
     * float32). Every parameter must be there with its shape; any other tensor (except the
     * optimizer's {@value #OPTIMIZER_PREFIX} state) is an error. Nothing changes if anything fails.
     */
    public static void loadParameters(Path path, Collection<Parameter> parameters) throws IOException {
        SafeTensorsFile file = readFile(path);
        checkParameters(file, parameters, false);
        try (TensorArena staging = TensorArena.open("parameters " + path)) {
            Map<String, Tensor> values = readParameters(file, parameters, staging);
            for (Parameter p : parameters) {
                p.value().copyFrom(values.get(p.name()));
            }
        }
    }

    private static void checkParameters(SafeTensorsFile file, Collection<Parameter> parameters, boolean f32Only)
            throws CheckpointException {
        Path path = file.path();
        Map<String, Parameter> byName = new HashMap<>();
        for (Parameter p : parameters) {
            byName.put(p.name(), p);
        }
        for (Parameter p : parameters) {
            if (!file.contains(p.name())) {
                throw new CheckpointException(path, p.name(), "is missing, expected a tensor of shape "
                        + Tensor.shapeString(p.shape()) + " (a checkpoint of another architecture?)");
            }
        }
        List<String> expected = parameters.stream().map(Parameter::name).toList();
        for (String name : file.names()) {
            if (!name.startsWith(OPTIMIZER_PREFIX) && !byName.containsKey(name)) {
                throw new CheckpointException(path, name, "is not a parameter of this model, expected only "
                        + summary(expected) + " (a checkpoint of another architecture?)");
            }
        }
        for (Parameter p : parameters) {
            try {
                int[] shape = file.shape(p.name());
                if (!Arrays.equals(shape, p.shape())) {
                    throw new CheckpointException(path, p.name(), "has shape " + Tensor.shapeString(shape)
                            + ", expected " + Tensor.shapeString(p.shape()));
                }
                String dtype = file.dtype(p.name());
                boolean ok = f32Only ? dtype.equals("F32") : !dtype.startsWith("I");
                if (!ok) {
                    throw new CheckpointException(path, p.name(), "has dtype " + dtype + ", expected "
                            + (f32Only ? "F32" : "a floating-point dtype"));
                }
            } catch (SafeTensorsException e) {
                throw new CheckpointException(path, p.name(), e.getMessage(), e);
            }
        }
    }

    private static String summary(List<String> names) {
        int shown = 12;
        return names.size() <= shown ? names.toString()
                : names.subList(0, shown).toString().replace("]", ", ... (" + names.size() + " in all)]");
    }

    private static Map<String, Tensor> readParameters(SafeTensorsFile file, Collection<Parameter> parameters,
                                                      TensorArena staging) throws CheckpointException {
        Map<String, Tensor> values = new HashMap<>();
        for (Parameter p : parameters) {
            Tensor value = readF32(file, p.name(), staging);
            requireFinite(file.path(), p.name(), value);
            values.put(p.name(), value);
        }
        return values;
    }

    /** Weights with a NaN or an infinity (a run that diverged) would only give NaN answers: refused on load. */
    private static void requireFinite(Path path, String name, Tensor value) throws CheckpointException {
        long n = value.size();
        for (long i = 0; i < n; i++) {
            float v = value.data().getAtIndex(Tensor.FLOAT, i);
            if (!Float.isFinite(v)) {
                throw new CheckpointException(path, name, "holds " + v + " at flat index " + i
                        + ": the weights are not finite numbers (saved from a run that diverged?)");
            }
        }
    }

    private static Tensor readF32(SafeTensorsFile file, String name, TensorArena staging) throws CheckpointException {
        try {
            return file.readFloat(name, staging);
        } catch (IOException e) {
            throw new CheckpointException(file.path(), name, "cannot be read: "
                    + stripFile(e.getMessage() == null ? e.toString() : e.getMessage(), file.path()), e);
        }
    }

    @Override
    public String toString() {
        return "Checkpoint[" + path() + ", step " + progress().step() + ", " + parameterNames().size() + " parameters"
                + (optimizerKind == null ? "" : ", " + optimizerKind) + "]";
    }
}
