package dev.recur.engine.cli.train;

import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.ForecastData;
import dev.recur.engine.data.ForecastScaling;
import dev.recur.engine.io.CsvColumn;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.train.Checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A forecast checkpoint's series, read again for {@code recur eval} and {@code recur predict}: the
 * same column (or a longer copy of it, or another series of its kind), its missing cells handled
 * as in training, seen through the checkpoint's scaling and split at the checkpoint's rows, so that
 * the test part is everything after the validation part the run chose its model on.
 */
final class ForecastSeries {
    private ForecastSeries() {
    }

    /** The checkpoint's missing-cell policy ({@code fail} for checkpoints that do not record one). */
    static CsvColumn.Missing missing(Path checkpoint, Checkpoint saved) {
        String policy = saved.task().getOrDefault("missing", "fail");
        try {
            return CsvColumn.Missing.parse(policy);
        } catch (IllegalArgumentException e) {
            throw new UserError(checkpoint + ": key 'task.missing' is " + e.getMessage());
        }
    }

    /** The checkpoint's scaling: levels or differences, its mean and std. */
    static ForecastScaling scaling(Path checkpoint, Checkpoint saved) {
        Map<String, String> task = saved.task();
        String inputs = task.getOrDefault("inputs", "levels");
        if (!inputs.equals("levels") && !inputs.equals("differences")) {
            throw new UserError(checkpoint + ": key 'task.inputs' is '" + inputs + "', expected levels or differences");
        }
        try {
            return new ForecastScaling(inputs.equals("differences"), number(checkpoint, task, "mean"),
                    number(checkpoint, task, "std"));
        } catch (IllegalArgumentException e) {
            throw new UserError(checkpoint + ": " + e.getMessage());
        }
    }

    static int integer(Path checkpoint, Map<String, String> task, String key) {
        String text = task.get(key);
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UserError(checkpoint + ": key 'task." + key + "' is " + (text == null ? "missing" : "'" + text + "'")
                    + ", expected an integer");
        }
    }

    private static double number(Path checkpoint, Map<String, String> task, String key) {
        String text = task.get(key);
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException | NullPointerException e) {
            throw new UserError(checkpoint + ": key 'task." + key + "' is " + (text == null ? "missing" : "'" + text + "'")
                    + ", expected a number");
        }
    }

    /**
     * Column {@code column} of {@code csv}, windowed as the checkpoint's model reads it. Checkpoints
     * that record their split rows are scored on everything after their validation part; older
     * ones split the given file 70/15/15 and must find the normalisation they were trained with.
     */
    static ForecastData read(Path checkpoint, Checkpoint saved, Path csv, String column) throws IOException {
        Map<String, String> task = saved.task();
        int window = integer(checkpoint, task, "window"), horizon = integer(checkpoint, task, "horizon");
        ForecastScaling scaling = scaling(checkpoint, saved);
        double[] values = CsvColumn.read(csv, column, missing(checkpoint, saved)).values();
        if (!task.containsKey("validation_end")) {
            ForecastData fitted = new ForecastData(values, window, horizon, scaling.differences());
            if (!fitted.scaling().equals(scaling)) {
                throw new UserError(csv + ": column " + column + "'s training part has mean " + fitted.scaling().mean()
                        + " and std " + fitted.scaling().std() + ", the checkpoint was trained with " + scaling.mean()
                        + " and " + scaling.std() + " (another series?)");
            }
            return fitted;
        }
        int trainEnd = integer(checkpoint, task, "train_end"), validationEnd = integer(checkpoint, task, "validation_end");
        try {
            return new ForecastData(values, window, horizon, scaling, trainEnd, validationEnd);
        } catch (IllegalArgumentException e) {
            throw new DataFileException(csv, "column '" + column + "' " + e.getMessage()
                    + " (the model's test part starts at row " + validationEnd + ")");
        }
    }
}
