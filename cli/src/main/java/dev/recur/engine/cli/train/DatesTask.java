package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.DateTranslation;
import dev.recur.engine.data.Rng;
import dev.recur.engine.nn.AttentionSeq2Seq;
import dev.recur.engine.nn.RecurrentConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
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
public final class DatesTask extends AbstractTrainingTask<AttentionSeq2Seq, DatesTask.Batch> {
    static final int VALIDATION_SIZE = 1000;
    static final int EVALUATION_BATCH = 250;
    static final int DEFAULT_EMBEDDING = 32;
    static final int DEFAULT_ATTENTION = 64;
    private static final long VALIDATION_SEED = 0xDA7E5L, TEST_SEED = 0x7E57DA7EL;

    /** Sources as time-major token ids [S·B] with lengths, decoder inputs and targets [T'·B], and the targets' text. */
    record Batch(int[] source, int steps, int batch, int[] lengths, int[] previous, int[] targets, String[] iso) {
        static Batch of(List<DateTranslation.Example> examples) {
            int b = examples.size(), steps = 0;
            for (DateTranslation.Example e : examples) steps = Math.max(steps, e.source().length());
            int[] source = new int[steps * b], lengths = new int[b];
            int t = DateTranslation.TARGET_STEPS;
            int[] previous = new int[t * b], targets = new int[t * b];
            String[] iso = new String[b];
            for (int i = 0; i < b; i++) {
                int[] ids = DateTranslation.sourceIds(examples.get(i).source());
                lengths[i] = ids.length;
                for (int s = 0; s < ids.length; s++) source[s * b + i] = ids[s];
                int[] target = DateTranslation.targetIds(examples.get(i).target());
                for (int s = 0; s < t; s++) {
                    targets[s * b + i] = target[s];
                    previous[s * b + i] = s == 0 ? DateTranslation.BOS : target[s - 1];
                }
                iso[i] = examples.get(i).target();
            }
            return new Batch(source, steps, b, lengths, previous, targets, iso);
        }
    }

    private final RecurrentConfig encoder;
    private final AttentionSeq2Seq.Score score;
    private final int embedding, attention, batchSize;
    private final Rng data;
    private final List<Batch> validation, test;

    DatesTask(RecurrentConfig encoder, int embedding, AttentionSeq2Seq.Score score, int attention, int batchSize,
              float dropout, long seed) {
        Rng data = dataRng(seed);
        super(new AttentionSeq2Seq(encoder, DateTranslation.SOURCE_ALPHABET.length(), DateTranslation.TARGET_VOCABULARY,
                embedding, score, attention, dropout, seed), DataState.of(data));
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
            batches.add(Batch.of(examples));
        }
        return List.copyOf(batches);
    }

    /** The model a checkpoint of this task describes (its {@code model.*} keys), with fresh parameters. */
    static AttentionSeq2Seq rebuild(java.nio.file.Path file, dev.recur.engine.train.Checkpoint saved) {
        Map<String, String> m = saved.modelConfig();
        try {
            RecurrentConfig encoder = RecurrentConfig.of(dev.recur.engine.backend.CellMode.parse(m.getOrDefault("cell", "")),
                            Integer.parseInt(m.get("input")), Integer.parseInt(m.get("hidden")))
                    .withLayers(Integer.parseInt(m.get("layers"))).withBidirectional(Boolean.parseBoolean(m.get("bidirectional")));
            AttentionSeq2Seq.Score score = AttentionSeq2Seq.Score.parse(m.getOrDefault("score", ""));
            return new AttentionSeq2Seq(encoder, DateTranslation.SOURCE_ALPHABET.length(), DateTranslation.TARGET_VOCABULARY,
                    encoder.inputSize(), score, Integer.parseInt(m.get("attention")), 0f, 0);
        } catch (RuntimeException e) {
            throw new UserError(file + ": model metadata does not describe a dates model: " + e.getMessage());
        }
    }

    @Override
    public String id() {
        return "dates";
    }

    @Override
    public String metricName() {
        return "val_exact_match";
    }

    @Override
    public boolean higherIsBetter() {
        return true;
    }

    @Override
    public Map<String, String> modelConfig() {
        Map<String, String> head = new LinkedHashMap<>();
        head.put("head", "seq2seq_attention");
        head.put("score", score.id());
        head.put("attention", Integer.toString(attention));
        head.put("source_vocabulary", Integer.toString(DateTranslation.SOURCE_ALPHABET.length()));
        head.put("target_vocabulary", Integer.toString(DateTranslation.TARGET_VOCABULARY));
        return TaskConfigs.recurrent(encoder, head);
    }

    @Override
    public Map<String, String> taskInfo() {
        return Map.of("name", id(), "embedding", Integer.toString(embedding));
    }

    @Override
    public StepLoss trainingLoss(Graph g) {
        List<DateTranslation.Example> examples = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) examples.add(DateTranslation.draw(data));
        Batch b = Batch.of(examples);
        return new StepLoss(loss(g, b), batchSize);
    }

    private dev.recur.engine.autodiff.Var loss(Graph g, Batch b) {
        var logits = model().forward(g, b.source(), b.steps(), b.batch(), b.lengths(), b.previous(), DateTranslation.TARGET_STEPS);
        return AttentionSeq2Seq.loss(logits, b.targets(), null);
    }

    /** Validation and test: two fixed sets of {@value #VALIDATION_SIZE} dates, from different seeds. */
    @Override
    List<Batch> evaluationBatches(Split split) {
        return split == Split.TEST ? test : validation;
    }

    /** Loss per target token; metric per date: 1 when the greedy decoding is the whole date. */
    @Override
    void score(Graph g, Batch b, Totals totals) {
        double loss = loss(g, b).value().get(0);
        List<AttentionSeq2Seq.Decoded> decoded = model().greedyDecode(g.kernels(), b.source(), b.steps(), b.batch(),
                b.lengths(), DateTranslation.BOS, DateTranslation.EOS, DateTranslation.TARGET_STEPS + 2);
        int right = 0;
        for (int i = 0; i < b.batch(); i++) if (DateTranslation.targetText(decoded.get(i).tokens()).equals(b.iso()[i])) right++;
        totals.add(loss * b.batch(), right, b.batch());
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
        int maxSteps = DateTranslation.TARGET_STEPS + 2;
        return beam <= 1
                ? model.greedyDecode(kernels, ids, ids.length, 1, new int[]{ids.length}, DateTranslation.BOS,
                DateTranslation.EOS, maxSteps).getFirst()
                : model.beamDecode(kernels, ids, DateTranslation.BOS, DateTranslation.EOS, beam, maxSteps);
    }

}
