package dev.recur.engine.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A language-model corpus as token ids (characters or words), split in order: the first
 * {@code 1 - validationFraction} for training, the rest for validation (a contiguous tail, so no
 * window of validation text was seen in training).
 *
 * <p>Training batches are windows of T+1 ids starting at uniformly random positions of the training
 * part, drawn from a caller's {@link Rng}; validation batches are the validation part cut into
 * consecutive non-overlapping windows, always the same.
 */
public final class TokenCorpus {
    private final int[] train;
    private final int[] validation;

    private TokenCorpus(int[] train, int[] validation) {
        this.train = train;
        this.validation = validation;
    }

    /** {@code ids} split at {@code round(n · (1 - validationFraction))}. */
    public static TokenCorpus split(int[] ids, double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " must be in (0, 1)");
        }
        int cut = (int) Math.round(ids.length * (1 - validationFraction));
        return new TokenCorpus(Arrays.copyOfRange(ids, 0, cut), Arrays.copyOfRange(ids, cut, ids.length));
    }

    /** Given parts, as they are. */
    public static TokenCorpus of(int[] train, int[] validation) {
        return new TokenCorpus(train.clone(), validation.clone());
    }

    public int trainLength() {
        return train.length;
    }

    public int validationLength() {
        return validation.length;
    }

    /** The training part's ids, in order (a copy). */
    public int[] trainIds() {
        return train.clone();
    }

    /** The validation part's ids, in order (a copy). */
    public int[] validationIds() {
        return validation.clone();
    }

    /** B random windows of the training part: inputs [T, B], targets [T, B]. */
    public TokenBatch trainBatch(Rng rng, int steps, int batchSize) {
        requireFits(train.length, steps, "training");
        int[] in = new int[steps * batchSize];
        int[] out = new int[steps * batchSize];
        for (int b = 0; b < batchSize; b++) {
            int start = rng.nextInt(train.length - steps);
            for (int t = 0; t < steps; t++) {
                in[t * batchSize + b] = train[start + t];
                out[t * batchSize + b] = train[start + t + 1];
            }
        }
        return new TokenBatch(steps, batchSize, in, out);
    }

    /**
     * The validation part as consecutive windows of T steps (window w starts at w*T), B windows per batch
     * (the last batch may hold fewer); each validation position is predicted once, except the final
     * partial window's, which is left out.
     */
    public List<TokenBatch> validationBatches(int steps, int batchSize) {
        requireFits(validation.length, steps, "validation");
        int windows = (validation.length - 1) / steps;
        List<TokenBatch> out = new ArrayList<>();
        for (int first = 0; first < windows; first += batchSize) {
            int b = Math.min(batchSize, windows - first);
            int[] in = new int[steps * b];
            int[] tg = new int[steps * b];
            for (int j = 0; j < b; j++) {
                int start = (first + j) * steps;
                for (int t = 0; t < steps; t++) {
                    in[t * b + j] = validation[start + t];
                    tg[t * b + j] = validation[start + t + 1];
                }
            }
            out.add(new TokenBatch(steps, b, in, tg));
        }
        return out;
    }

    private static void requireFits(int length, int steps, String part) {
        if (steps < 1 || length < steps + 1) {
            throw new IllegalArgumentException("the " + part + " part has " + length + " tokens, too few for a window of "
                    + steps + " steps (needs " + (steps + 1) + ")");
        }
    }
}
