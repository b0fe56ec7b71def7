package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.TextFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A character-level language-model corpus: the text as code-point ids of a {@link Vocabulary}, split in
 * order: the first {@code 1 - validationFraction} for training, the rest for validation (a contiguous
 * tail, so no window of validation text was seen in training).
 *
 * <p>Training batches are windows of T+1 ids starting at uniformly random positions of the training
 * part, drawn from a caller's {@link Rng}; validation batches are the validation part cut into
 * consecutive non-overlapping windows, always the same.
 */
public final class CharCorpus {
    public static final double DEFAULT_VALIDATION_FRACTION = 0.1;

    private final Vocabulary vocabulary;
    private final int[] train;
    private final int[] validation;

    public CharCorpus(String text, Vocabulary vocabulary, double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " must be in (0, 1)");
        }
        this.vocabulary = vocabulary;
        int[] ids = vocabulary.encode(text);
        int cut = (int) Math.round(ids.length * (1 - validationFraction));
        this.train = Arrays.copyOfRange(ids, 0, cut);
        this.validation = Arrays.copyOfRange(ids, cut, ids.length);
    }

    /** Reads a file or folder ({@link TextFiles}) with its own vocabulary; refuses text too short for T. */
    public static CharCorpus load(Path path, int steps, double validationFraction) throws IOException {
        String text = TextFiles.read(path);
        CharCorpus corpus = new CharCorpus(text, Vocabulary.fromText(text), validationFraction);
        if (corpus.train.length < steps + 1 || corpus.validation.length < steps + 1) {
            throw new DataFileException(path, "holds " + text.codePointCount(0, text.length())
                    + " characters, too few for windows of " + steps + " steps in both the training and the validation "
                    + "part (" + Math.round(validationFraction * 100) + "% of the text); expected at least "
                    + (int) Math.ceil((steps + 1) / Math.min(validationFraction, 1 - validationFraction)));
        }
        return corpus;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public int trainLength() {
        return train.length;
    }

    public int validationLength() {
        return validation.length;
    }

    /** The training part's ids, in order (a copy): a continuous stream for truncated BPTT. */
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
            throw new IllegalArgumentException("the " + part + " text has " + length + " characters, too few for a window of "
                    + steps + " steps (needs " + (steps + 1) + ")");
        }
    }
}
