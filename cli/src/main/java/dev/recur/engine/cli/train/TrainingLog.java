package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recur.engine.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * What a training run records: one {@link Row} per logging interval, written as {@code metrics.csv},
 * and a summary written as {@code metrics.json} (task, config, final metrics, samples per second,
 * wall time). Both files are rewritten whole and atomically at every interval, so a run killed at
 * any moment leaves complete files describing the steps it finished.
 *
 * <p>Columns: step, epoch, train_loss (mean over the interval), val_loss and the task's metric
 * (NaN when not evaluated at this row; written empty), learning rate, samples per second over the
 * interval, elapsed seconds.
 */
public final class TrainingLog {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One logging interval. */
    public record Row(long step, double epoch, double trainLoss, double valLoss, double metric, double learningRate,
                      double samplesPerSecond, double elapsedSeconds) {
    }

    private final String task;
    private final String metricName;
    private final Map<String, Object> config;
    private final List<Row> rows = new ArrayList<>();

    /**
     * @param metricName the task's metric column, e.g. {@code val_mse}, {@code val_accuracy},
     *                   {@code val_bits_per_char}, {@code val_mae}
     * @param config     the run's settings as shown in metrics.json (cell, hidden, batch, lr, seed, ...)
     */
    public TrainingLog(String task, String metricName, Map<String, Object> config) {
        this.task = task;
        this.metricName = metricName;
        this.config = Map.copyOf(config);
    }

    public void add(Row row) {
        rows.add(row);
    }

    public void addAll(List<Row> earlier) {
        rows.addAll(earlier);
    }

    /**
     * The rows of an earlier run's metrics.csv up to {@code lastStep} (a resumed run continues its
     * log); none when the file is absent.
     */
    public static List<Row> readRows(Path csv, long lastStep) throws IOException {
        if (!Files.exists(csv)) return List.of();
        List<Row> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", -1);
            if (f.length != 8) throw new IOException(csv + ": line " + (i + 1) + " has " + f.length + " fields, expected 8");
            Row row = new Row(Long.parseLong(f[0]), parse(f[1]), parse(f[2]), parse(f[3]), parse(f[4]), parse(f[5]),
                    parse(f[6]), parse(f[7]));
            if (row.step() <= lastStep) out.add(row);
        }
        return out;
    }

    private static double parse(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }

    public List<Row> rows() {
        return Collections.unmodifiableList(rows);
    }

    public String task() {
        return task;
    }

    public String metricName() {
        return metricName;
    }

    /** metrics.csv: a header and one line per row. */
    public String csv() {
        StringBuilder out = new StringBuilder("step,epoch,train_loss,val_loss," + metricName + ",lr,samples_per_s,elapsed_s\n");
        for (Row r : rows) {
            out.append(r.step()).append(',').append(number(r.epoch())).append(',').append(number(r.trainLoss()))
                    .append(',').append(number(r.valLoss())).append(',').append(number(r.metric()))
                    .append(',').append(number(r.learningRate())).append(',').append(number(r.samplesPerSecond()))
                    .append(',').append(number(r.elapsedSeconds())).append('\n');
        }
        return out.toString();
    }

    /**
     * metrics.json: task, config, the final metrics (the last row's, plus any the caller adds, e.g.
     * a baseline), the kept checkpoint's step and metric ({@code best}: the row of {@code bestStep},
     * when there is one), the whole run's samples per second and wall time.
     */
    public String json(Map<String, Double> finalMetrics, long bestStep, double samplesPerSecond, double wallSeconds) {
        ObjectNode root = JSON.createObjectNode();
        root.put("task", task);
        ObjectNode configNode = root.putObject("config");
        config.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> configNode.set(e.getKey(), JSON.valueToTree(e.getValue())));
        ObjectNode finals = root.putObject("final");
        if (!rows.isEmpty()) {
            Row last = rows.getLast();
            finals.put("step", last.step());
            putFinite(finals, "train_loss", last.trainLoss());
            putFinite(finals, "val_loss", lastFinite(Row::valLoss));
            putFinite(finals, metricName, lastFinite(Row::metric));
        }
        finalMetrics.forEach((k, v) -> putFinite(finals, k, v));
        rows.stream().filter(r -> r.step() == bestStep && Double.isFinite(r.metric())).findFirst().ifPresent(r -> {
            ObjectNode best = root.putObject("best");
            best.put("step", r.step());
            putFinite(best, "val_loss", r.valLoss());
            putFinite(best, metricName, r.metric());
        });
        root.put("samples_per_second", samplesPerSecond);
        root.put("wall_time_s", wallSeconds);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes metrics.csv and metrics.json into {@code dir}, each atomically. */
    public void write(Path dir, Map<String, Double> finalMetrics, long bestStep, double samplesPerSecond,
                      double wallSeconds) throws IOException {
        AtomicFiles.write(dir.resolve("metrics.csv"), csv().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("metrics.json"),
                json(finalMetrics, bestStep, samplesPerSecond, wallSeconds).getBytes(StandardCharsets.UTF_8));
    }

    private double lastFinite(ToDoubleFunction<Row> column) {
        for (int i = rows.size() - 1; i >= 0; i--) {
            double v = column.applyAsDouble(rows.get(i));
            if (Double.isFinite(v)) return v;
        }
        return Double.NaN;
    }

    private static void putFinite(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) node.put(key, value);
        else node.putNull(key);
    }

    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }
}
