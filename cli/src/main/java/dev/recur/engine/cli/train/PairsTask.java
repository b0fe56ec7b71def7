package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.EpochSampler;
import dev.recur.engine.data.IndexSplit;
import dev.recur.engine.data.TextPairs;
import dev.recur.engine.nn.AttentionSeq2Seq;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.train.Checkpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --task pairs --tsv FILE}: the user's own pairs ({@link TextPairs}: one {@code source TAB
 * target} per line) translated character by character by an {@link AttentionSeq2Seq}, as
 * {@link DatesTask} does dates. 10% of the pairs (a fixed random choice) are held out for
 * validation; the alphabets are the training part's characters ({@code \uFFFD} standing for any
 * other source character), saved in the checkpoint for {@code recur predict --text}.
 */
public final class PairsTask extends TranslationTask {
    static final double VALIDATION_FRACTION = 0.1;
    static final long SPLIT_SEED = 0x9A125L;
    static final int EVALUATION_BATCH = 256;

    private final List<TextPairs.Pair> pairs;
    private final String source;
    private final TextPairs.Alphabet sourceAlphabet, targetAlphabet;
    private final RecurrentConfig encoder;
    private final AttentionSeq2Seq.Score score;
    private final int attention, longestTarget;
    private final EpochSampler sampler;
    private final List<Batch> validation;

    private PairsTask(List<TextPairs.Pair> pairs, String source, IndexSplit split, TextPairs.Alphabet sourceAlphabet,
                      TextPairs.Alphabet targetAlphabet, RecurrentConfig encoder, AttentionSeq2Seq.Score score, int attention,
                      int batchSize, float dropout, long seed) {
        EpochSampler sampler = split.train().length == 0 ? null
                : new EpochSampler(split.train(), batchSize, false, dataRng(seed));
        super(new AttentionSeq2Seq(encoder, sourceAlphabet.size(), targetAlphabet.size(), encoder.inputSize(), score, attention,
                        dropout, seed), sampler == null ? DataState.NONE : DataState.of(sampler),
                targetAlphabet.firstExtra(), targetAlphabet.firstExtra() + 1);
        this.pairs = pairs;
        this.source = source;
        this.sourceAlphabet = sourceAlphabet;
        this.targetAlphabet = targetAlphabet;
        this.encoder = encoder;
        this.score = score;
        this.attention = attention;
        this.sampler = sampler;
        int longest = 0;
        for (TextPairs.Pair p : pairs) longest = Math.max(longest, p.target().length());
        this.longestTarget = longest;
        List<Batch> batches = new ArrayList<>();
        int[] held = split.validation();
        for (int first = 0; first < held.length; first += EVALUATION_BATCH) {
            batches.add(batch(java.util.Arrays.copyOfRange(held, first, Math.min(held.length, first + EVALUATION_BATCH))));
        }
        this.validation = List.copyOf(batches);
    }

    /** Training on 90% of {@code pairs}, with alphabets from that part. */
    static PairsTask forTraining(List<TextPairs.Pair> pairs, Path tsv, RecurrentConfig encoder, AttentionSeq2Seq.Score score,
                                 int attention, int batchSize, float dropout, long seed) {
        IndexSplit split = IndexSplit.random(pairs.size(), VALIDATION_FRACTION, SPLIT_SEED);
        List<String> sources = new ArrayList<>(), targets = new ArrayList<>();
        for (int i : split.train()) {
            sources.add(pairs.get(i).source());
            targets.add(pairs.get(i).target());
        }
        return new PairsTask(pairs, tsv.toString(), split, TextPairs.Alphabet.of(sources, 0), TextPairs.Alphabet.of(targets, 2),
                encoder, score, attention, batchSize, dropout, seed);
    }

    /** The model of a checkpoint of this task, evaluated on the validation part of {@code pairs}. */
    static PairsTask forEvaluation(Path file, Checkpoint saved, List<TextPairs.Pair> pairs, Path tsv) {
        Saved m = Saved.of(file, saved);
        TextPairs.Alphabet[] alphabets = alphabets(file, saved);
        IndexSplit split = IndexSplit.random(pairs.size(), VALIDATION_FRACTION, SPLIT_SEED);
        return new PairsTask(pairs, tsv.toString(), new IndexSplit(new int[0], split.validation()), alphabets[0], alphabets[1],
                m.encoder(), m.score(), m.attention(), 1, 0f, 1);
    }

    /** The model a checkpoint of this task describes, with fresh parameters. */
    static AttentionSeq2Seq rebuild(Path file, Checkpoint saved) {
        Saved m = Saved.of(file, saved);
        TextPairs.Alphabet[] alphabets = alphabets(file, saved);
        return new AttentionSeq2Seq(m.encoder(), alphabets[0].size(), alphabets[1].size(), m.encoder().inputSize(), m.score(),
                m.attention(), 0f, 0);
    }

    /** A checkpoint's alphabets: the source's, and the target's (with bos and eos after its characters). */
    static TextPairs.Alphabet[] alphabets(Path file, Checkpoint saved) {
        String source = saved.task().get("source_alphabet"), target = saved.task().get("target_alphabet");
        if (source == null || target == null) {
            throw new UserError(file + ": metadata has no task.source_alphabet and task.target_alphabet");
        }
        return new TextPairs.Alphabet[]{new TextPairs.Alphabet(source, 0), new TextPairs.Alphabet(target, 2)};
    }

    private Batch batch(int[] indices) {
        List<int[]> sources = new ArrayList<>(), targets = new ArrayList<>();
        for (int i : indices) {
            sources.add(sourceAlphabet.ids(pairs.get(i).source()));
            targets.add(targetAlphabet.ids(pairs.get(i).target()));
        }
        return Batch.of(sources, targets, targetAlphabet.firstExtra(), targetAlphabet.firstExtra() + 1);
    }

    @Override
    int maxDecodeSteps() {
        return 2 * longestTarget + 2;
    }

    @Override
    public String id() {
        return "pairs";
    }

    @Override
    public Map<String, String> modelConfig() {
        return modelConfig(encoder, score, attention, sourceAlphabet.size(), targetAlphabet.size());
    }

    @Override
    public Map<String, String> taskInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("name", id());
        info.put("tsv", source);
        info.put("source_alphabet", sourceAlphabet.characters());
        info.put("target_alphabet", targetAlphabet.characters());
        info.put("longest_target", Integer.toString(longestTarget));
        return info;
    }

    @Override
    public StepLoss trainingLoss(Graph g) {
        if (sampler == null) throw new IllegalStateException("pairs was built for evaluation only");
        int[] indices = sampler.next();
        return new StepLoss(loss(g, batch(indices)), indices.length);
    }

    @Override
    List<Batch> evaluationBatches(Split split) {
        return validation;
    }

    @Override
    public long stepsPerEpoch() {
        return sampler == null ? 0 : sampler.batchesPerEpoch();
    }
}
