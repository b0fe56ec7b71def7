package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.DateTranslation;
import dev.recur.engine.data.Rng;
import dev.recur.engine.nn.AttentionSeq2Seq;
import dev.recur.engine.nn.RecurrentConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --task dates}: human-readable dates ({@link DateTranslation}: eight written forms, years
 * 1900-2099) translated to ISO {@code yyyy-MM-dd} by a sequence-to-sequence model with attention
 * ({@link AttentionSeq2Seq}), character by character. Training batches are drawn on the fly;
 * the loss is the decoder's cross-entropy under teacher forcing. Validation reads
 * {@value #VALIDATION_SIZE} fixed examples: the loss, and the metric, exact match of the greedy
 * decoding (the whole date right, or wrong).
 */
public final class DatesTask extends TranslationTask {
    static final int VALIDATION_SIZE = 1000;
    static final int EVALUATION_BATCH = 250;
    static final int DEFAULT_EMBEDDING = 32;
    static final int DEFAULT_ATTENTION = 64;
    private static final long VALIDATION_SEED = 0xDA7E5L, TEST_SEED = 0x7E57DA7EL;

    private final RecurrentConfig encoder;
    private final AttentionSeq2Seq.Score score;
    private final int embedding, attention, batchSize;
    private final Rng data;
    private final List<Batch> validation, test;

    DatesTask(RecurrentConfig encoder, int embedding, AttentionSeq2Seq.Score score, int attention, int batchSize,
              float dropout, long seed) {
        Rng data = dataRng(seed);
        super(new AttentionSeq2Seq(encoder, DateTranslation.SOURCE_ALPHABET.length(), DateTranslation.TARGET_VOCABULARY,
                embedding, score, attention, dropout, seed), DataState.of(data), DateTranslation.BOS, DateTranslation.EOS);
        if (encoder.inputSize() != embedding) throw new IllegalArgumentException("the encoder reads the embedding");
        this.encoder = encoder;
        this.score = score;
        this.embedding = embedding;
        this.attention = attention;
        this.batchSize = batchSize;
        this.data = data;
        this.validation = fixedBatches(VALIDATION_SEED);
        this.test = fixedBatches(TEST_SEED);
    }

    /** {@value #VALIDATION_SIZE} examples drawn from a fixed seed: the same for every run. */
    private static List<Batch> fixedBatches(long seed) {
        Rng fixed = new Rng(seed);
        List<Batch> batches = new ArrayList<>();
        for (int first = 0; first < VALIDATION_SIZE; first += EVALUATION_BATCH) {
            List<DateTranslation.Example> examples = new ArrayList<>();
            for (int i = first; i < Math.min(VALIDATION_SIZE, first + EVALUATION_BATCH); i++) {
                examples.add(DateTranslation.draw(fixed));
            }
            batches.add(batch(examples));
        }
        return List.copyOf(batches);
    }

    /** The model a checkpoint of this task describes (its {@code model.*} keys), with fresh parameters. */
    static AttentionSeq2Seq rebuild(java.nio.file.Path file, dev.recur.engine.train.Checkpoint saved) {
        Saved m = Saved.of(file, saved);
        return new AttentionSeq2Seq(m.encoder(), DateTranslation.SOURCE_ALPHABET.length(), DateTranslation.TARGET_VOCABULARY,
                m.encoder().inputSize(), m.score(), m.attention(), 0f, 0);
    }

    @Override
    public String id() {
        return "dates";
    }

    /** Examples as a batch: source characters, and the ISO date's characters (eos appended by the batch). */
    private static Batch batch(List<DateTranslation.Example> examples) {
        List<int[]> sources = new ArrayList<>(), targets = new ArrayList<>();
        for (DateTranslation.Example e : examples) {
            sources.add(DateTranslation.sourceIds(e.source()));
            int[] t = DateTranslation.targetIds(e.target());
            targets.add(java.util.Arrays.copyOf(t, t.length - 1));
        }
        return Batch.of(sources, targets, DateTranslation.BOS, DateTranslation.EOS);
    }

    @Override
    int maxDecodeSteps() {
        return DateTranslation.TARGET_STEPS + 2;
    }

    @Override
    public Map<String, String> modelConfig() {
        return modelConfig(encoder, score, attention, DateTranslation.SOURCE_ALPHABET.length(), DateTranslation.TARGET_VOCABULARY);
    }

    @Override
    public Map<String, String> taskInfo() {
        return Map.of("name", id(), "embedding", Integer.toString(embedding));
    }

    @Override
    public StepLoss trainingLoss(Graph g) {
        List<DateTranslation.Example> examples = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) examples.add(DateTranslation.draw(data));
        return new StepLoss(loss(g, batch(examples)), batchSize);
    }

    /** Validation and test: two fixed sets of {@value #VALIDATION_SIZE} dates, from different seeds. */
    @Override
    List<Batch> evaluationBatches(Split split) {
        return split == Split.TEST ? test : validation;
    }

    /** Decodes one written date: greedy (beam 1) or beam search. */
    static AttentionSeq2Seq.Decoded translate(AttentionSeq2Seq model, Kernels kernels, String text, int beam) {
        int[] ids;
        try {
            ids = DateTranslation.sourceIds(text);
        } catch (IllegalArgumentException e) {
            throw new UserError("--text: " + e.getMessage());
        }
        if (ids.length == 0) throw new UserError("--text is empty: give a date, e.g. \"March 3, 1987\"");
        return translate(model, kernels, ids, beam, DateTranslation.BOS, DateTranslation.EOS, DateTranslation.TARGET_STEPS + 2);
    }

}
