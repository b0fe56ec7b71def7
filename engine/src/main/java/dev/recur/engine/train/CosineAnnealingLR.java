package dev.recur.engine.train;

/**
 * Cosine annealing to a floor, {@code torch.optim.lr_scheduler.CosineAnnealingLR}: over tMax epochs
 * the learning rate follows {@code eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / tMax)) / 2}
 * down to etaMin, in torch's recursive form:
 * <pre>
 *   lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi e / T_max)) / (1 + cos(pi (e-1) / T_max))
 *   lr_e = lr_{e-1} + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2      when (e - 1 - T_max) mod 2 T_max = 0
 * </pre>
 * As in torch there is no restart and no stop: past tMax the rate rises back along the cosine to
 * base_lr at 2 tMax, and so on (step no further than tMax to stay at the floor).
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    /** @param tMax epochs from base_lr down to etaMin, >= 1; @param etaMin the floor, finite and >= 0 */
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        this.tMax = Arguments.positive("tMax", tMax);
        this.etaMin = Arguments.nonNegative("etaMin", etaMin);
    }

    /** With torch's default floor, 0. */
    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    @Override
    double learningRateAt(int epoch, double currentLr) {
        // Python's % is a floor modulo: (epoch - 1 - T_max) is negative during the first descent.
        if (Math.floorMod(epoch - 1 - tMax, 2 * tMax) == 0) {
            // At the trough the ratio below would divide by 1 + cos(pi) = 0: torch steps up instead.
            return currentLr + (baseLr() - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
        }
        return (1 + Math.cos(Math.PI * epoch / tMax)) / (1 + Math.cos(Math.PI * (epoch - 1) / tMax))
                * (currentLr - etaMin) + etaMin;
    }

    public int tMax() {
        return tMax;
    }

    public double etaMin() {
        return etaMin;
    }
}
