package dev.recur.engine.data;

import dev.recur.engine.io.CsvColumn;
import dev.recur.engine.io.DataFileException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A univariate time series cut into forecasting windows: the past {@code window} values (W steps of
 * 1 feature) predict the next {@code horizon} values (sequence-to-vector).
 *
 * <p>Chronological split of the series at {@code trainEnd = floor(0.7 n)} and
 * {@code validationEnd = floor(0.85 n)} (or at given rows: a longer copy of a series evaluated
 * with the split its model was trained with). A window belongs to the part its first target falls
 * in and must have all its targets in that part; its inputs may reach back into the earlier part
 * (that history is known at forecast time). The model sees the series through a
 * {@link ForecastScaling} (levels or differences) fitted on the training part only, so nothing of
 * the validation or test values leaks into training; the naive baseline repeats the last input
 * value for every horizon step.
 */
public final class ForecastData {
    public static final int DEFAULT_HORIZON = 7;
    public static final double TRAIN_FRACTION = 0.7;
    public static final double VALIDATION_FRACTION = 0.15;

    public enum Part { TRAIN, VALIDATION, TEST }

    private final double[] series;
    private final int window;
    private final int horizon;
    private final int trainEnd;
    private final int validationEnd;
    private final ForecastScaling scaling;

    /** Reads column {@code column} of a CSV file (see {@link CsvColumn}) and cuts it; errors name the file. */
    public static ForecastData fromCsv(Path csv, String column, int window, int horizon) throws IOException {
        return fromCsv(csv, column, CsvColumn.Missing.FAIL, window, horizon, false);
    }

    /** As {@link #fromCsv(Path, String, int, int)}, with a missing-cell policy and levels or differences. */
    public static ForecastData fromCsv(Path csv, String column, CsvColumn.Missing missing, int window, int horizon,
                                       boolean differences) throws IOException {
        double[] values = CsvColumn.read(csv, column, missing).values();
        try {
            return new ForecastData(values, window, horizon, differences);
        } catch (IllegalArgumentException e) {
            throw new DataFileException(csv, "column '" + column + "': " + e.getMessage());
        }
    }

    /** Levels, split 70/15/15. */
    public ForecastData(double[] series, int window, int horizon) {
        this(series, window, horizon, false);
    }

    /** Split 70/15/15, the scaling fitted on the training part. */
    public ForecastData(double[] series, int window, int horizon, boolean differences) {
        this(series, window, horizon, null, differences, (int) Math.floor(TRAIN_FRACTION * series.length),
                (int) Math.floor((TRAIN_FRACTION + VALIDATION_FRACTION) * series.length));
    }

    /**
     * A series split at given rows and seen through a given scaling: a model's own series, or a
     * longer copy of it, scored on what follows {@code validationEnd}.
     */
    public ForecastData(double[] series, int window, int horizon, ForecastScaling scaling, int trainEnd, int validationEnd) {
        this(series, window, horizon, scaling, scaling.differences(), trainEnd, validationEnd);
    }

    private ForecastData(double[] series, int window, int horizon, ForecastScaling scaling, boolean differences,
                         int trainEnd, int validationEnd) {
        if (window < 1 || horizon < 1) {
            throw new IllegalArgumentException("window " + window + " and horizon " + horizon + " must be at least 1");
        }
        if (trainEnd < 1 || validationEnd < trainEnd || validationEnd > series.length) {
            throw new IllegalArgumentException("has " + series.length + " values; the split needs the training part to end at "
                    + trainEnd + " and the validation part at " + validationEnd);
        }
        this.series = series.clone();
        this.window = window;
        this.horizon = horizon;
        this.trainEnd = trainEnd;
        this.validationEnd = validationEnd;
        this.scaling = scaling != null ? scaling : ForecastScaling.fit(series, trainEnd, differences);
        for (Part p : Part.values()) {
            if (windowCount(p) < 1) {
                throw new IllegalArgumentException(series.length + " values are too few for a " + p.name().toLowerCase()
                        + " window of " + window + " inputs and " + horizon + " targets (split 70/15/15 in time)"
                        + "; need at least " + minimumLength(window + this.scaling.history(), horizon) + " values");
            }
        }
    }

    /** The shortest series for which every part holds at least one window (of {@code window} values read). */
    public static int minimumLength(int window, int horizon) {
        for (int n = window + horizon; ; n++) {
            int te = (int) Math.floor(TRAIN_FRACTION * n);
            int ve = (int) Math.floor((TRAIN_FRACTION + VALIDATION_FRACTION) * n);
            if (te >= window + horizon && ve - te >= horizon && n - ve >= horizon) {
                return n;
            }
        }
    }

    /** First target index of the part's first window, and the end (exclusive) of its targets. */
    private int firstTarget(Part p) {
        int earliest = window + scaling.history();
        return switch (p) {
            case TRAIN -> earliest;
            case VALIDATION -> Math.max(earliest, trainEnd);
            case TEST -> Math.max(earliest, validationEnd);
        };
    }

    private int targetsEnd(Part p) {
        return switch (p) {
            case TRAIN -> trainEnd;
            case VALIDATION -> validationEnd;
            case TEST -> series.length;
        };
    }

    public int windowCount(Part p) {
        return Math.max(0, targetsEnd(p) - horizon - firstTarget(p) + 1);
    }

    public ForecastScaling scaling() {
        return scaling;
    }

    public int window() {
        return window;
    }

    public int horizon() {
        return horizon;
    }

    /** The number of values in the series. */
    public int length() {
        return series.length;
    }

    public int trainEnd() {
        return trainEnd;
    }

    public int validationEnd() {
        return validationEnd;
    }

    /**
     * The naive forecast's mean absolute error on {@code part}, in the series' own units: every one of
     * the {@code horizon} targets is predicted to equal the window's last input; averaged over all
     * targets of all windows.
     */
    public double naiveMae(Part p) {
        int first = firstTarget(p);
        int count = windowCount(p);
        double sum = 0;
        for (int w = 0; w < count; w++) {
            int start = first + w; // first target index
            double last = series[start - 1];
            for (int k = 0; k < horizon; k++) {
                sum += Math.abs(series[start + k] - last);
            }
        }
        return sum / ((double) count * horizon);
    }

    /** The first target index of {@code part}'s window i, and its last input's index is one before. */
    public int targetIndex(Part p, int i) {
        return firstTarget(p) + i;
    }

    /** The series value at index j, in its own units. */
    public double value(int j) {
        return series[j];
    }

    /** The windows of {@code part}, normalised: inputs [W, 1], targets [horizon] per sample. */
    public SequenceDataset part(Part p) {
        int first = firstTarget(p);
        int count = windowCount(p);
        return new SequenceDataset() {
            @Override
            public int size() {
                return count;
            }

            @Override
            public int maxSteps() {
                return window;
            }

            @Override
            public int features() {
                return 1;
            }

            @Override
            public int length(int i) {
                return window;
            }

            @Override
            public void copyStep(int i, int t, float[] dst, int offset) {
                dst[offset] = scaling.input(series, first + i - window + t);
            }

            @Override
            public TargetKind targetKind() {
                return TargetKind.VALUE_PER_SAMPLE;
            }

            @Override
            public int targetWidth() {
                return horizon;
            }

            @Override
            public int numClasses() {
                return 0;
            }

            @Override
            public int classTarget(int i, int t) {
                throw new UnsupportedOperationException("forecast targets are values");
            }

            @Override
            public float valueTarget(int i, int t, int k) {
                return scaling.target(series, first + i - 1, first + i + k);
            }
        };
    }
}
