package dev.recur.engine.train;

/**
 * Step decay, {@code torch.optim.lr_scheduler.StepLR}: the learning rate is multiplied by gamma
 * at every epoch that is a multiple of stepSize, so that {@code lr = base_lr * gamma^(epoch / stepSize)}
 * (integer division), computed as torch does, one multiplication of the current rate at a time.
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    /** @param stepSize epochs between decays, >= 1; @param gamma the factor, finite and >= 0 */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        this.stepSize = Arguments.positive("stepSize", stepSize);
        this.gamma = Arguments.nonNegative("gamma", gamma);
    }

    /** With torch's default gamma, 0.1. */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    @Override
    double learningRateAt(int epoch, double currentLr) {
        return epoch % stepSize == 0 ? currentLr * gamma : currentLr;
    }

    public int stepSize() {
        return stepSize;
    }

    public double gamma() {
        return gamma;
    }
}
