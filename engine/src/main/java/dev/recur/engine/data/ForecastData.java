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
 * {@code validationEnd = floor(0.85 n)}. A window belongs to the part its first target falls in and
 * must have all its targets in that part; its inputs may reach back into the earlier part (that
 * history is known at forecast time). Normalisation {@code (v - mean) / std} uses the mean and
 * (population) standard deviation of the training part only, so nothing of the validation or test
 * values leaks into training; the naive baseline repeats the last input value for every horizon step.
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
    private final double mean;
    private final double std;

    /** Reads column {@code column} of a CSV file (see {@link CsvColumn}) and cuts it; errors name the file. */
    public static ForecastData fromCsv(Path csv, String column, int window, int horizon) throws IOException {
        double[] values = CsvColumn.read(csv, column);
        try {
            return new ForecastData(values, window, horizon);
        } catch (IllegalArgumentException e) {
            throw new DataFileException(csv, "column '" + column + "': " + e.getMessage());
        }
    }

    public ForecastData(double[] series, int window, int horizon) {
        if (window < 1 || horizon < 1) {
            throw new IllegalArgumentException("window " + window + " and horizon " + horizon + " must be at least 1");
        }
        this.series = series.clone();
        this.window = window;
        this.horizon = horizon;
        int n = series.length;
        this.trainEnd = (int) Math.floor(TRAIN_FRACTION * n);
        this.validationEnd = (int) Math.floor((TRAIN_FRACTION + VALIDATION_FRACTION) * n);
        for (Part p : Part.values()) {
            if (windowCount(p) < 1) {
                throw new IllegalArgumentException(n + " values are too few for a " + p.name().toLowerCase()
                        + " window of " + window + " inputs and " + horizon + " targets (split 70/15/15 in time)"
                        + "; need at least " + minimumLength(window, horizon) + " values");
            }
        }
        double sum = 0;
        for (int i = 0; i < trainEnd; i++) {
            sum += series[i];
        }
        mean = sum / trainEnd;
        double sq = 0;
        for (int i = 0; i < trainEnd; i++) {
            sq += (series[i] - mean) * (series[i] - mean);
        }
        double s = Math.sqrt(sq / trainEnd);
        std = s > 0 ? s : 1.0; // a constant training part: only centre it
    }

    /** The shortest series for which every part holds at least one window. */
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
        return switch (p) {
            case TRAIN -> window;
            case VALIDATION -> Math.max(window, trainEnd);
            case TEST -> Math.max(window, validationEnd);
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

    public double mean() {
        return mean;
    }

    public double std() {
        return std;
    }

    public int window() {
        return window;
    }

    public int horizon() {
        return horizon;
    }

    public float normalize(double v) {
        return (float) ((v - mean) / std);
    }

    public double denormalize(float v) {
        return v * std + mean;
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
                dst[offset] = normalize(series[first + i - window + t]);
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
                return normalize(series[first + i + k]);
            }
        };
    }
}
