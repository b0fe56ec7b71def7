package dev.recur.engine.cli.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.WordCorpus;
import dev.recur.engine.data.WordVocabulary;
import dev.recur.engine.io.WordVectors;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --task words}: a word-level language model (Embedding -> recurrent stack -> Linear at every
 * step, {@link SequenceTagger}) on a text or a folder of them ({@link WordCorpus}: words and
 * punctuation, the first 90% trains, the last 10% validates, the vocabulary the training part's
 * most frequent words plus {@code <unk>}). Batches as {@link CharsTask}'s: B windows of T tokens
 * at random positions, each from a zero state; the loss is the mean cross-entropy of the next
 * token; the metric the validation perplexity (e to the mean cross-entropy), beside the unigram
 * baseline's.
 *
 * <p>The embedding is trained from N(0, 1), or starts from pretrained vectors ({@code --embeddings},
 * GloVe / word2vec text format, whose width it takes; words the file lacks keep their random start
 * and are counted), optionally frozen (left out of the optimizer).
 *
 * <p>The checkpoint's {@code task.vocabulary} holds the words by id as a JSON array, which
 * {@code recur generate} and {@code recur predict} decode with.
 */
public final class WordsTask extends LanguageModelTask {
    static final int DEFAULT_EMBEDDING = 128;
    static final int DEFAULT_VOCABULARY = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WordCorpus corpus;
    private final String source;
    private final boolean frozen;
    private final String pretrained;

    /** What loading pretrained vectors did. */
    record Pretrained(int found, int missing, int dimension) {
    }

    WordsTask(WordCorpus corpus, String source, RecurrentConfig rnn, int steps, int batchSize, float dropout, long seed,
              String pretrained, boolean frozen) {
        if (rnn.bidirectional()) {
            throw new UserError("--task words trains a left-to-right language model: --bidirectional would let it "
                    + "read the words it predicts");
        }
        super(corpus.tokens(), corpus.vocabulary().size(), rnn, steps, batchSize, dropout, seed, dataRng(seed));
        this.corpus = corpus;
        this.source = source;
        this.pretrained = pretrained;
        this.frozen = frozen;
    }

    /** Copies the vectors {@code file} has for the vocabulary's words into the embedding table. */
    Pretrained loadEmbeddings(Path file) throws IOException {
        WordVocabulary v = corpus.vocabulary();
        WordVectors.Found found = WordVectors.read(file, new HashSet<>(v.words()));
        Parameter table = embedding();
        int width = table.shape()[1];
        if (found.dimension() != width) {
            throw new UserError("--embeddings " + file + " holds vectors of " + found.dimension() + " numbers, but the model's "
                    + "embedding is " + width + " wide");
        }
        int hits = 0;
        for (int id = 0; id < v.size(); id++) {
            float[] vector = found.vectors().get(v.word(id));
            if (vector == null) continue;
            hits++;
            for (int j = 0; j < width; j++) table.value().set((long) id * width + j, vector[j]);
        }
        return new Pretrained(hits, v.size() - hits, found.dimension());
    }

    private Parameter embedding() {
        return model().parameters().stream().filter(p -> p.name().equals("embedding.weight")).findFirst().orElseThrow();
    }

    @Override
    public List<Parameter> trainableParameters() {
        if (!frozen) return model().parameters();
        return model().parameters().stream().filter(p -> !p.name().equals("embedding.weight")).toList();
    }

    @Override
    public String id() {
        return "words";
    }

    @Override
    public String metricName() {
        return "val_perplexity";
    }

    public WordCorpus corpus() {
        return corpus;
    }

    @Override
    public Map<String, String> modelConfig() {
        return CharsTask.modelConfig(rnn, corpus.vocabulary().size());
    }

    @Override
    public Map<String, String> taskInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("name", id());
        info.put("seq", Integer.toString(steps));
        info.put("text", source);
        info.put("vocabulary", encodeVocabulary(corpus.vocabulary()));
        if (pretrained != null) info.put("embeddings", pretrained);
        if (frozen) info.put("frozen_embeddings", "true");
        return info;
    }

    /** The words by id as a JSON array. */
    static String encodeVocabulary(WordVocabulary v) {
        try {
            return JSON.writeValueAsString(v.words());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The inverse of {@link #encodeVocabulary}; a malformed one is an IllegalArgumentException. */
    static WordVocabulary decodeVocabulary(String text) {
        try {
            String[] words = JSON.readValue(text, String[].class);
            return WordVocabulary.of(Arrays.asList(words));
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException("not a JSON array of words starting with " + WordVocabulary.UNKNOWN
                    + ": " + e.getMessage());
        }
    }

    /** Perplexity: e to the mean cross-entropy in nats. */
    @Override
    double metric(double nats) {
        return Math.exp(nats);
    }

    @Override
    public Map<String, Double> baselines() {
        return Map.of("unigram_val_perplexity", corpus.unigramPerplexity());
    }
}
