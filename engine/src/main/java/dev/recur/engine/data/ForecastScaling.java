package dev.recur.engine.data;

/**
 * How a forecast model sees a series, and how its outputs become values again.
 *
 * <ul>
 *   <li>Levels: inputs and targets are {@code (v - mean) / std}; a prediction {@code p} is
 *       {@code p * std + mean}. The series' level is what the model reads, so a level it never saw
 *       in training (a trend that leaves the training range) is outside what it learned.</li>
 *   <li>Differences: inputs are the steps {@code (v[t] - v[t-1]) / std}, targets the change from
 *       the window's last value {@code (v[T+k] - v[T]) / std}; a prediction {@code p} is
 *       {@code v[T] + p * std}. The model never sees the level, so a trend does not take it out of
 *       its range, and predicting 0 is the naive forecast. {@code mean} is 0, {@code std} the root
 *       mean square of the training part's steps.</li>
 * </ul>
 * Both are fitted on the training part only.
 */
public record ForecastScaling(boolean differences, double mean, double std) {
    public ForecastScaling {
        if (!(std > 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("a forecast scaling needs a finite mean and a positive std, got "
                    + mean + " and " + std);
        }
    }

    /** Fitted on {@code series[0, trainEnd)}; a constant part gets std 1 (only centred). */
    public static ForecastScaling fit(double[] series, int trainEnd, boolean differences) {
        if (differences) {
            double sq = 0;
            for (int i = 1; i < trainEnd; i++) sq += (series[i] - series[i - 1]) * (series[i] - series[i - 1]);
            double rms = Math.sqrt(sq / Math.max(1, trainEnd - 1));
            return new ForecastScaling(true, 0, rms > 0 ? rms : 1);
        }
        double sum = 0;
        for (int i = 0; i < trainEnd; i++) sum += series[i];
        double mean = sum / trainEnd, sq = 0;
        for (int i = 0; i < trainEnd; i++) sq += (series[i] - mean) * (series[i] - mean);
        double std = Math.sqrt(sq / trainEnd);
        return new ForecastScaling(false, mean, std > 0 ? std : 1);
    }

    /** Values before a window's first input that its inputs read: 1 with differences, else 0. */
    public int history() {
        return differences ? 1 : 0;
    }

    /** The model's input for series index j (j >= {@link #history()}). */
    public float input(double[] series, int j) {
        return (float) (differences ? (series[j] - series[j - 1]) / std : (series[j] - mean) / std);
    }

    /** The model's target for series index j, of a window whose last input is at {@code last}. */
    public float target(double[] series, int last, int j) {
        return (float) (differences ? (series[j] - series[last]) / std : (series[j] - mean) / std);
    }

    /** The value a model output means, for a window whose last input value is {@code lastValue}. */
    public double prediction(float output, double lastValue) {
        return differences ? lastValue + output * std : output * std + mean;
    }

    /** {@code differences} or {@code levels}, as checkpoints record it. */
    public String inputs() {
        return differences ? "differences" : "levels";
    }
}
