package dev.recur.engine.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A learning-rate schedule stepped once per epoch (or per step, as the caller likes), as
 * {@code torch.optim.lr_scheduler.LRScheduler}: construction is torch's initial step (epoch 0,
 * the optimizer's learning rate kept and remembered as the base), and each {@link #step()}
 * advances the epoch and sets the optimizer's learning rate from the subclass's rule, in torch's
 * recursive ("chainable") form, which starts from the optimizer's current learning rate.
 *
 * <p>Progress is a handful of doubles: {@link #stateDict()} / {@link #loadStateDict} save and
 * restore it (torch's names: {@code last_epoch}, {@code base_lr} for {@code base_lrs[0]},
 * {@code last_lr} for {@code _last_lr[0]}). Loading does not touch the optimizer: restore its
 * learning rate with {@link Optimizer#setLearningRate}, as torch restores it with the optimizer.
 */
public abstract class LRScheduler {
    static final String LAST_EPOCH = "last_epoch";
    static final String BASE_LR = "base_lr";
    static final String LAST_LR = "last_lr";

    private final Optimizer optimizer;
    private double baseLr;
    private int lastEpoch;
    private double lastLr;

    LRScheduler(Optimizer optimizer) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.baseLr = optimizer.learningRate();
        this.lastEpoch = 0;
        this.lastLr = baseLr;
    }

    /**
     * torch's {@code get_lr()} for {@code epoch} (>= 1, just reached) given the optimizer's current
     * learning rate.
     */
    abstract double learningRateAt(int epoch, double currentLr);

    /** Advances one epoch and sets the optimizer's learning rate. */
    public final void step() {
        lastEpoch++;
        double lr = learningRateAt(lastEpoch, optimizer.learningRate());
        optimizer.setLearningRate(lr);
        lastLr = lr;
    }

    /** torch's {@code last_epoch}: 0 after construction, then the number of {@link #step()} calls. */
    public final int lastEpoch() {
        return lastEpoch;
    }

    /** torch's {@code get_last_lr()[0]}: the learning rate this schedule set last (or found, at construction). */
    public final double lastLr() {
        return lastLr;
    }

    /** torch's {@code base_lrs[0]}: the optimizer's learning rate when the schedule was made. */
    public final double baseLr() {
        return baseLr;
    }

    public final Optimizer optimizer() {
        return optimizer;
    }

    /** {@code last_epoch}, {@code base_lr}, {@code last_lr}: what resuming needs besides the optimizer's learning rate. */
    public final SequencedMap<String, Double> stateDict() {
        SequencedMap<String, Double> state = new LinkedHashMap<>();
        state.put(LAST_EPOCH, (double) lastEpoch);
        state.put(BASE_LR, baseLr);
        state.put(LAST_LR, lastLr);
        return Collections.unmodifiableSequencedMap(state);
    }

    /**
     * Restores what {@link #stateDict()} gave; exactly its keys, else {@link IllegalArgumentException}
     * naming what is missing or unexpected (and nothing changes).
     */
    public final void loadStateDict(Map<String, Double> state) {
        String owner = getClass().getSimpleName();
        Arguments.requireExactKeys(owner, state, Set.of(LAST_EPOCH, BASE_LR, LAST_LR));
        int epoch = Arguments.count(owner, state, LAST_EPOCH);
        double base = Arguments.nonNegative(owner + " state entry '" + BASE_LR + "'", state.get(BASE_LR));
        double last = Arguments.nonNegative(owner + " state entry '" + LAST_LR + "'", state.get(LAST_LR));
        lastEpoch = epoch;
        baseLr = base;
        lastLr = last;
    }
}
