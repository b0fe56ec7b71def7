package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.TextFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A word-level language-model corpus: a text split into tokens ({@link WordTokenizer}), the first
 * {@code 1 - validationFraction} of them for training and the rest for validation; the vocabulary
 * ({@link WordVocabulary}) is built from the training part only, so validation words it never saw
 * count as unknown, as they would for new text.
 */
public final class WordCorpus {
    private final WordVocabulary vocabulary;
    private final TokenCorpus tokens;
    private final int trainUnknown, validationUnknown;
    private final int[] trainCounts;

    public WordCorpus(List<String> tokens, int maxVocabulary, double validationFraction) {
        this(tokens, null, maxVocabulary, validationFraction);
    }

    /** Split as a model's own corpus, but encoded with {@code vocabulary} (a trained model's; new text's words may be unknown). */
    public WordCorpus(List<String> tokens, WordVocabulary vocabulary, double validationFraction) {
        this(tokens, vocabulary, 0, validationFraction);
    }

    private WordCorpus(List<String> tokens, WordVocabulary given, int maxVocabulary, double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " must be in (0, 1)");
        }
        int cut = (int) Math.round(tokens.size() * (1 - validationFraction));
        this.vocabulary = given != null ? given : WordVocabulary.build(tokens.subList(0, cut), maxVocabulary);
        WordVocabulary.Encoded train = vocabulary.encode(tokens.subList(0, cut));
        WordVocabulary.Encoded validation = vocabulary.encode(tokens.subList(cut, tokens.size()));
        this.tokens = TokenCorpus.of(train.ids(), validation.ids());
        this.trainUnknown = train.unknown();
        this.validationUnknown = validation.unknown();
        this.trainCounts = new int[vocabulary.size()];
        for (int id : train.ids()) trainCounts[id]++;
    }

    /** Reads a file or folder ({@link TextFiles}); refuses text too short for windows of T tokens. */
    public static WordCorpus load(Path path, int steps, int maxVocabulary, double validationFraction) throws IOException {
        return checked(path, WordTokenizer.tokens(TextFiles.read(path)), null, maxVocabulary, steps, validationFraction);
    }

    /** As {@link #load(Path, int, int, double)}, with a trained model's vocabulary. */
    public static WordCorpus load(Path path, int steps, WordVocabulary vocabulary, double validationFraction) throws IOException {
        return checked(path, WordTokenizer.tokens(TextFiles.read(path)), vocabulary, 0, steps, validationFraction);
    }

    private static WordCorpus checked(Path path, List<String> tokens, WordVocabulary vocabulary, int maxVocabulary, int steps,
                                      double validationFraction) throws DataFileException {
        WordCorpus corpus = new WordCorpus(tokens, vocabulary, maxVocabulary, validationFraction);
        if (corpus.tokens.trainLength() < steps + 1 || corpus.tokens.validationLength() < steps + 1) {
            throw new DataFileException(path, "holds " + tokens.size() + " words and punctuation marks, too few for "
                    + "windows of " + steps + " steps in both the training and the validation part ("
                    + Math.round(validationFraction * 100) + "% of the text)");
        }
        return corpus;
    }

    public WordVocabulary vocabulary() {
        return vocabulary;
    }

    public TokenCorpus tokens() {
        return tokens;
    }

    /** Tokens of the training part outside the vocabulary (beyond its cap). */
    public int trainUnknown() {
        return trainUnknown;
    }

    /** Tokens of the validation part outside the vocabulary. */
    public int validationUnknown() {
        return validationUnknown;
    }

    /**
     * The unigram baseline: the perplexity on the validation part of a model that predicts every
     * token with its training frequency (add-one smoothed over the vocabulary, so none is 0).
     */
    public double unigramPerplexity() {
        double total = tokens.trainLength() + vocabulary.size(), nats = 0;
        int[] validation = tokens.validationIds();
        for (int id : validation) nats -= Math.log((trainCounts[id] + 1) / total);
        return Math.exp(nats / validation.length);
    }
}
