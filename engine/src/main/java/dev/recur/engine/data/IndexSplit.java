package dev.recur.engine.data;

import java.util.Arrays;

/** Sample indices split into a training and a validation part. */
public record IndexSplit(int[] train, int[] validation) {
    public IndexSplit {
        train = train.clone();
        validation = validation.clone();
    }

    @Override
    public int[] train() {
        return train.clone();
    }

    @Override
    public int[] validation() {
        return validation.clone();
    }

    /**
     * A random split of {@code 0 .. n-1} fixed by {@code seed}: {@code round(n * validationFraction)}
     * indices (at least 1 when the fraction is positive and n > 1) go to validation, the rest to
     * training; each part is sorted ascending, so the split does not depend on later shuffling.
     */
    public static IndexSplit random(int n, double validationFraction, long seed) {
        if (n < 0 || !(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("split of " + n + " samples with validation fraction "
                    + validationFraction + ": expected n >= 0 and a fraction in [0, 1)");
        }
        int validationCount = (int) Math.round(n * validationFraction);
        if (validationFraction > 0 && n > 1) {
            validationCount = Math.max(1, Math.min(n - 1, validationCount));
        }
        int[] order = new Rng(seed).permutation(n);
        int[] validation = Arrays.copyOfRange(order, 0, validationCount);
        int[] train = Arrays.copyOfRange(order, validationCount, n);
        Arrays.sort(validation);
        Arrays.sort(train);
        return new IndexSplit(train, validation);
    }

    @Override
    public String toString() {
        return "IndexSplit[train " + train.length + ", validation " + validation.length + "]";
    }
}
