package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.TextFiles;

import java.io.IOException;
import java.nio.file.Path;
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
    private final TokenCorpus tokens;
    private final int leftOut;

    public CharCorpus(String text, Vocabulary vocabulary, double validationFraction) {
        this(vocabulary, TokenCorpus.split(vocabulary.encode(text), validationFraction), 0);
    }

    private CharCorpus(Vocabulary vocabulary, TokenCorpus tokens, int leftOut) {
        this.vocabulary = vocabulary;
        this.tokens = tokens;
        this.leftOut = leftOut;
    }

    /**
     * New text seen through a trained model's vocabulary: characters outside it are left out
     * (and counted, {@link #leftOut}); split as a model's own corpus.
     */
    public static CharCorpus withVocabulary(Path path, Vocabulary vocabulary, int steps, double validationFraction)
            throws IOException {
        Vocabulary.Known known = vocabulary.encodeKnown(TextFiles.read(path));
        CharCorpus corpus = new CharCorpus(vocabulary, TokenCorpus.split(known.ids(), validationFraction), known.leftOut());
        if (corpus.trainLength() < steps + 1 || corpus.validationLength() < steps + 1) {
            throw new DataFileException(path, "holds " + known.ids().length + " characters the model knows, too few for "
                    + "windows of " + steps + " steps in its validation part");
        }
        return corpus;
    }

    /** Characters of the text outside the vocabulary, left out ({@link #withVocabulary}; 0 otherwise). */
    public int leftOut() {
        return leftOut;
    }

    /** Reads a file or folder ({@link TextFiles}) with its own vocabulary; refuses text too short for T. */
    public static CharCorpus load(Path path, int steps, double validationFraction) throws IOException {
        String text = TextFiles.read(path);
        CharCorpus corpus = new CharCorpus(text, Vocabulary.fromText(text), validationFraction);
        if (corpus.trainLength() < steps + 1 || corpus.validationLength() < steps + 1) {
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

    /** The ids, split, with the batching both language-model tasks share. */
    public TokenCorpus tokens() {
        return tokens;
    }

    public int trainLength() {
        return tokens.trainLength();
    }

    public int validationLength() {
        return tokens.validationLength();
    }

    /** The training part's ids, in order (a copy): a continuous stream for truncated BPTT. */
    public int[] trainIds() {
        return tokens.trainIds();
    }

    /** The validation part's ids, in order (a copy). */
    public int[] validationIds() {
        return tokens.validationIds();
    }

    /** B random windows of the training part: inputs [T, B], targets [T, B]. */
    public TokenBatch trainBatch(Rng rng, int steps, int batchSize) {
        return tokens.trainBatch(rng, steps, batchSize);
    }

    /** The validation part as consecutive windows of T steps ({@link TokenCorpus#validationBatches}). */
    public List<TokenBatch> validationBatches(int steps, int batchSize) {
        return tokens.validationBatches(steps, batchSize);
    }
}
