package dev.recur.engine.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;

/**
 * Reduce-on-plateau, {@code torch.optim.lr_scheduler.ReduceLROnPlateau}: fed a metric once per
 * epoch, it multiplies the learning rate by factor when the metric has not improved for more than
 * patience epochs, then waits cooldown epochs before counting again. Per {@link #step(double)}:
 * <pre>
 *   better = metric &lt; best * (1 - threshold)        mode MIN, threshold mode REL
 *            metric &lt; best - threshold              MIN, ABS
 *            metric &gt; best * (1 + threshold)        MAX, REL
 *            metric &gt; best + threshold              MAX, ABS
 *   if better: best = metric, bad_epochs = 0  else: bad_epochs += 1
 *   if cooldown_counter &gt; 0: cooldown_counter -= 1, bad_epochs = 0
 *   if bad_epochs &gt; patience:
 *       new_lr = max(lr * factor, min_lr); if lr - new_lr &gt; eps: lr = new_lr
 *       cooldown_counter = cooldown, bad_epochs = 0
 * </pre>
 * best starts at +inf (MIN) or -inf (MAX); a NaN metric is never better.
 */
public final class ReduceLROnPlateau {
    static final String LAST_EPOCH = "last_epoch";
    static final String BEST = "best";
    static final String NUM_BAD_EPOCHS = "num_bad_epochs";
    static final String COOLDOWN_COUNTER = "cooldown_counter";
    static final String LAST_LR = "last_lr";

    /** Whether a lower (a loss) or a higher (an accuracy) metric is better. */
    public enum Mode { MIN, MAX }

    /** Whether threshold is a fraction of best (REL) or an amount (ABS). */
    public enum ThresholdMode { REL, ABS }

    /**
     * torch's arguments, in its order; {@link #defaults()} are torch's. factor is in [0, 1);
     * threshold, minLr and eps are finite and >= 0; patience and cooldown >= 0.
     */
    public record Options(Mode mode, double factor, int patience, double threshold, ThresholdMode thresholdMode,
                          int cooldown, double minLr, double eps) {
        public Options {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(thresholdMode, "thresholdMode");
            Arguments.inUnitInterval("factor", factor);
            Arguments.nonNegative("patience", patience);
            Arguments.nonNegative("threshold", threshold);
            Arguments.nonNegative("cooldown", cooldown);
            Arguments.nonNegative("minLr", minLr);
            Arguments.nonNegative("eps", eps);
        }

        /** mode MIN, factor 0.1, patience 10, threshold 1e-4 REL, cooldown 0, min_lr 0, eps 1e-8. */
        public static Options defaults() {
            return new Options(Mode.MIN, 0.1, 10, 1e-4, ThresholdMode.REL, 0, 0, 1e-8);
        }

        public Options withMode(Mode mode) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withFactor(double factor) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withPatience(int patience) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withThreshold(double threshold, ThresholdMode thresholdMode) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withCooldown(int cooldown) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withMinLr(double minLr) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }

        public Options withEps(double eps) {
            return new Options(mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps);
        }
    }

    private final Optimizer optimizer;
    private final Options options;
    private int lastEpoch;
    private double best;
    private int numBadEpochs;
    private int cooldownCounter;
    private double lastLr;

    public ReduceLROnPlateau(Optimizer optimizer, Options options) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.options = Objects.requireNonNull(options, "options");
        this.lastEpoch = 0;
        this.best = worst();
        this.numBadEpochs = 0;
        this.cooldownCounter = 0;
        this.lastLr = optimizer.learningRate();
    }

    private double worst() {
        return options.mode() == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** One epoch's metric (a validation loss in mode MIN); may lower the optimizer's learning rate. */
    public void step(double metric) {
        lastEpoch++;
        if (isBetter(metric)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0; // bad epochs in cooldown do not count
        }
        if (numBadEpochs > options.patience()) {
            reduceLearningRate();
            cooldownCounter = options.cooldown();
            numBadEpochs = 0;
        }
        lastLr = optimizer.learningRate();
    }

    private boolean isBetter(double metric) {
        double threshold = options.threshold();
        return switch (options.mode()) {
            case MIN -> options.thresholdMode() == ThresholdMode.REL
                    ? metric < best * (1.0 - threshold) : metric < best - threshold;
            case MAX -> options.thresholdMode() == ThresholdMode.REL
                    ? metric > best * (threshold + 1.0) : metric > best + threshold;
        };
    }

    private void reduceLearningRate() {
        double oldLr = optimizer.learningRate();
        double newLr = Math.max(oldLr * options.factor(), options.minLr());
        if (oldLr - newLr > options.eps()) { // changes smaller than eps are ignored
            optimizer.setLearningRate(newLr);
        }
    }

    public Options options() {
        return options;
    }

    /** torch's {@code last_epoch}: the number of {@link #step(double)} calls. */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** torch's {@code get_last_lr()[0]}: the optimizer's learning rate after the last step (or at construction). */
    public double lastLr() {
        return lastLr;
    }

    /** The best metric so far (+inf or -inf before the first step). */
    public double best() {
        return best;
    }

    public int numBadEpochs() {
        return numBadEpochs;
    }

    public int cooldownCounter() {
        return cooldownCounter;
    }

    /**
     * Progress under torch's names: {@code last_epoch}, {@code best}, {@code num_bad_epochs},
     * {@code cooldown_counter}, {@code last_lr}. Loading does not touch the optimizer: restore its
     * learning rate with {@link Optimizer#setLearningRate}.
     */
    public SequencedMap<String, Double> stateDict() {
        SequencedMap<String, Double> state = new LinkedHashMap<>();
        state.put(LAST_EPOCH, (double) lastEpoch);
        state.put(BEST, best);
        state.put(NUM_BAD_EPOCHS, (double) numBadEpochs);
        state.put(COOLDOWN_COUNTER, (double) cooldownCounter);
        state.put(LAST_LR, lastLr);
        return Collections.unmodifiableSequencedMap(state);
    }

    /**
     * Restores what {@link #stateDict()} gave; exactly its keys, else {@link IllegalArgumentException}
     * naming what is missing or unexpected (and nothing changes).
     */
    public void loadStateDict(Map<String, Double> state) {
        String owner = "ReduceLROnPlateau";
        Arguments.requireExactKeys(owner, state, Set.of(LAST_EPOCH, BEST, NUM_BAD_EPOCHS, COOLDOWN_COUNTER, LAST_LR));
        int epoch = Arguments.count(owner, state, LAST_EPOCH);
        int badEpochs = Arguments.count(owner, state, NUM_BAD_EPOCHS);
        int cooldown = Arguments.count(owner, state, COOLDOWN_COUNTER);
        double restoredBest = state.get(BEST);
        if (Double.isNaN(restoredBest)) {
            throw new IllegalArgumentException(owner + " state entry '" + BEST + "' is NaN");
        }
        double last = Arguments.nonNegative(owner + " state entry '" + LAST_LR + "'", state.get(LAST_LR));
        lastEpoch = epoch;
        best = restoredBest;
        numBadEpochs = badEpochs;
        cooldownCounter = cooldown;
        lastLr = last;
    }
}
