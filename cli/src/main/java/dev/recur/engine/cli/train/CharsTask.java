package dev.recur.engine.cli.train;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.CharCorpus;
import dev.recur.engine.data.Vocabulary;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code --task chars}: a character-level language model (Embedding -> recurrent stack -> Linear at
 * every step, see {@link SequenceTagger}) on a UTF-8 text or a folder of them ({@link CharCorpus}:
 * the first 90% of the text trains, the last 10% validates). Each training batch is B windows of T
 * characters at random positions of the training part, the state starting at zero in every window
 * (no state carried between batches); the loss is the mean cross-entropy of the next character.
 * Validation reads the validation part once, as consecutive windows of T characters (at most
 * {@value LanguageModelTask#MAX_VALIDATION_WINDOWS} of them), each also from a zero state; the metric is that
 * cross-entropy in bits per character (nats / ln 2).
 *
 * <p>The checkpoint's {@code task.vocabulary} holds the vocabulary's code points (decimal,
 * comma-separated, ascending), which {@code recur generate} decodes with.
 */
public final class CharsTask extends LanguageModelTask {
    /** The embedding width (the recurrent layer's input size). */
    static final int EMBEDDING = 64;
    static final String HEAD = "language_model";

    private final CharCorpus corpus;
    private final String source;

    public CharsTask(CharCorpus corpus, String source, RecurrentConfig rnn, int steps, int batchSize, float dropout,
                     long seed) {
        if (rnn.bidirectional()) {
            throw new UserError("--task chars trains a left-to-right language model: --bidirectional would let it "
                    + "read the characters it predicts");
        }
        super(corpus.tokens(), corpus.vocabulary().size(), rnn, steps, batchSize, dropout, seed, dataRng(seed));
        this.corpus = corpus;
        this.source = source;
    }

    /** The recurrent configuration of a chars model with an embedding of {@link #EMBEDDING}. */
    static RecurrentConfig config(CellMode mode, int hidden, int layers, boolean bidirectional) {
        return RecurrentConfig.of(mode, EMBEDDING, hidden).withLayers(layers).withBidirectional(bidirectional);
    }

    @Override
    public String id() {
        return "chars";
    }

    @Override
    public String metricName() {
        return "val_bits_per_char";
    }

    public Vocabulary vocabulary() {
        return corpus.vocabulary();
    }

    @Override
    public Map<String, String> modelConfig() {
        return modelConfig(rnn, corpus.vocabulary().size());
    }

    /** {@code model.*} of a chars model: the recurrent stack, the head kind and the vocabulary size. */
    static Map<String, String> modelConfig(RecurrentConfig rnn, int vocabulary) {
        Map<String, String> head = new LinkedHashMap<>();
        head.put("head", HEAD);
        head.put("vocabulary", Integer.toString(vocabulary));
        return TaskConfigs.recurrent(rnn, head);
    }

    @Override
    public Map<String, String> taskInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("name", id());
        info.put("seq", Integer.toString(steps));
        info.put("text", source);
        info.put("vocabulary", encodeVocabulary(corpus.vocabulary()));
        return info;
    }

    /** A vocabulary as {@code task.vocabulary} holds it: the code points in decimal, comma-separated. */
    static String encodeVocabulary(Vocabulary v) {
        return Arrays.stream(v.codePoints()).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    /** The inverse of {@link #encodeVocabulary}; a malformed entry is an IllegalArgumentException naming it. */
    static Vocabulary decodeVocabulary(String text) {
        if (text.isEmpty()) throw new IllegalArgumentException("the vocabulary is empty");
        String[] parts = text.split(",", -1);
        long[] codePoints = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                codePoints[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is '" + parts[i] + "', expected a code point");
            }
        }
        return Vocabulary.of(codePoints);
    }

    /** Bits per character. */
    @Override
    double metric(double nats) {
        return nats / Math.log(2);
    }

    /** A model that knows nothing (uniform over the vocabulary) scores log2(V) bits per character. */
    @Override
    public Map<String, Double> baselines() {
        return Map.of("uniform_bits_per_char", Math.log(corpus.vocabulary().size()) / Math.log(2));
    }
}
