package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Elementwise;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Masking;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.data.Batches;
import dev.recur.engine.data.EpochSampler;
import dev.recur.engine.data.IndexSplit;
import dev.recur.engine.data.SequenceBatch;
import dev.recur.engine.data.SequenceDataset;
import dev.recur.engine.data.TargetKind;
import dev.recur.engine.nn.ManyToOneHead;
import dev.recur.engine.nn.Module;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceClassifier;
import dev.recur.engine.nn.SequenceRegressor;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.nn.TimeDistributedHead;

import java.util.List;
import java.util.Map;

/**
 * What the tasks over a fixed data set (fashion-mnist, tensors) share. The model follows the
 * targets' kind: one class per sample -> {@link SequenceClassifier} (many-to-one, the output at each
 * sample's last valid step), values per sample -> {@link SequenceRegressor}, one class per step ->
 * {@link SequenceTagger} on raw features, values per step -> a {@link SequenceTagger} whose
 * time-distributed head predicts the values (MSE over valid steps only). The training part is
 * shuffled each epoch by an {@link EpochSampler}, whose state is the task's data state (so
 * {@code --resume} draws the same batches); the validation and test parts are read in order.
 * Metric: accuracy (over samples, or over valid steps) or MSE.
 */
abstract class DatasetTask extends AbstractTrainingTask<Module, SequenceBatch> {
    /** Samples per evaluation batch: larger than a training batch, as nothing is kept for backward. */
    static final int EVAL_BATCH = 500;

    private final SequenceDataset data;
    private final int[] validationIndices;
    private final RecurrentConfig rnn;
    private final TargetKind kind;
    private final int outputs;
    private final int vocabulary;   // token-id inputs: the embedding's rows; feature inputs: 0
    private final EpochSampler sampler;
    private List<SequenceBatch> validation;

    /**
     * @param split   training and validation indices into {@code data}; an empty training part makes an
     *                evaluation-only task ({@code recur eval})
     * @param outputs classes (classification) or values per target (regression)
     */
    DatasetTask(SequenceDataset data, IndexSplit split, RecurrentConfig rnn, int outputs, int batchSize, float dropout,
                long seed) {
        this(data, split, rnn, 0, outputs, batchSize, dropout, seed);
    }

    /** @param vocabulary 0 for feature inputs; else the data's inputs are token ids (one float feature each), embedded */
    DatasetTask(SequenceDataset data, IndexSplit split, RecurrentConfig rnn, int vocabulary, int outputs, int batchSize,
                float dropout, long seed) {
        int[] train = split.train();
        EpochSampler sampler = train.length == 0 ? null : new EpochSampler(train, batchSize, false, dataRng(seed));
        super(modelFor(data.targetKind(), rnn, vocabulary, outputs, dropout, seed),
                sampler == null ? DataState.NONE : DataState.of(sampler));
        this.vocabulary = vocabulary;
        this.data = data;
        this.validationIndices = split.validation();
        this.rnn = rnn;
        this.kind = data.targetKind();
        this.outputs = outputs;
        this.sampler = sampler;
    }

    private static Module modelFor(TargetKind kind, RecurrentConfig rnn, int vocabulary, int outputs, float dropout,
                                   long seed) {
        return switch (kind) {
            case CLASS_PER_SAMPLE ->
                    new SequenceClassifier(rnn, vocabulary, outputs, ManyToOneHead.Source.LAST_VALID_OUTPUT, dropout, seed);
            case VALUE_PER_SAMPLE ->
                    new SequenceRegressor(rnn, vocabulary, outputs, ManyToOneHead.Source.LAST_VALID_OUTPUT, dropout, seed);
            case CLASS_PER_STEP, VALUE_PER_STEP -> new SequenceTagger(rnn, vocabulary, outputs, dropout, seed);
        };
    }

    /** The validation part's batches, made once. */
    final List<SequenceBatch> validationBatches() {
        if (validation == null) validation = Batches.inOrder(data, validationIndices, EVAL_BATCH);
        return validation;
    }

    /** The test part's batches (fashion-mnist: the 10000 test images). */
    abstract List<SequenceBatch> testBatches();

    /** The head's facts for {@code model.*}: its kind and width. */
    static String headName(TargetKind kind) {
        return switch (kind) {
            case CLASS_PER_SAMPLE -> "classifier";
            case VALUE_PER_SAMPLE -> "regression";
            case CLASS_PER_STEP -> "tagger";
            case VALUE_PER_STEP -> "step_regression";
        };
    }

    TargetKind kind() {
        return kind;
    }

    @Override
    public String metricName() {
        return kind.isClassification() ? "val_accuracy" : "val_mse";
    }

    @Override
    public boolean higherIsBetter() {
        return kind.isClassification();
    }

    @Override
    public Map<String, String> modelConfig() {
        Map<String, String> head = new java.util.LinkedHashMap<>();
        head.put("head", headName(kind));
        head.put("outputs", Integer.toString(outputs));
        if (vocabulary > 0) head.put("vocabulary", Integer.toString(vocabulary));
        return TaskConfigs.recurrent(rnn, head);
    }

    @Override
    public long stepsPerEpoch() {
        return sampler == null ? 0 : sampler.batchesPerEpoch();
    }

    @Override
    public StepLoss trainingLoss(Graph g) {
        if (sampler == null) throw new IllegalStateException(id() + " was built for evaluation only");
        SequenceBatch batch = Batches.pad(data, sampler.next());
        return new StepLoss(forward(g, batch).loss(), batch.batchSize());
    }

    @Override
    final List<SequenceBatch> evaluationBatches(Split split) {
        return split == Split.TEST ? testBatches() : validationBatches();
    }

    @Override
    final void score(Graph g, SequenceBatch batch, Totals totals) {
        Scored s = forward(g, batch);
        totals.add((double) s.loss().value().get(0) * s.count(), s.metricSum(), s.count());
    }

    /** A batch's mean loss, the sum of the metric over its units (samples or valid steps), and their count. */
    private record Scored(Var loss, double metricSum, long count) {
    }

    private Scored forward(Graph g, SequenceBatch batch) {
        int[] ids = vocabulary > 0 ? tokenIds(batch) : null;
        Var x = ids != null ? null : g.constant(batch.inputTensor(g.arena()));
        int[] lengths = batch.isFull() ? null : batch.lengths();
        int b = batch.batchSize(), t = batch.steps();
        return switch (model()) {
            case SequenceClassifier c -> {
                Var logits = ids != null ? c.forward(g, ids, t, b, lengths) : c.forward(g, x, lengths);
                Var loss = SequenceClassifier.loss(logits, batch.classTargets());
                yield new Scored(loss, correct(logits, batch.classTargets(), null), b);
            }
            case SequenceRegressor r -> {
                Var prediction = ids != null ? r.forward(g, ids, t, b, lengths) : r.forward(g, x, lengths);
                Var loss = SequenceRegressor.loss(prediction, g.constant(batch.valueTargetTensor(g.arena())));
                yield new Scored(loss, (double) loss.value().get(0) * b, b);
            }
            case SequenceTagger tagger -> {
                Var y = ids != null ? tagger.forward(g, ids, t, b, lengths) : tagger.forward(g, x, lengths); // [T, B, outputs]
                long valid = 0;
                for (int l : batch.lengths()) valid += l;
                if (kind == TargetKind.CLASS_PER_STEP) {
                    Var loss = SequenceTagger.loss(y, batch.classTargets(), batch.lengths());
                    float[] mask = TimeDistributedHead.stepMask(batch.steps(), b, batch.lengths());
                    yield new Scored(loss, correct(y, batch.classTargets(), mask), valid);
                }
                // Padded steps: prediction zeroed, target 0 (Batches pads with zeros), so they add nothing
                // to the sum; rescale the mean over all T·B·K elements to a mean over the valid ones.
                Var masked = Masking.zeroPadded(y, batch.lengths());
                Var target = g.constant(batch.valueTargetTensor(g.arena()));
                long all = (long) batch.steps() * b;
                Var loss = Elementwise.scale(Losses.mse(masked, target), (float) all / valid);
                yield new Scored(loss, (double) loss.value().get(0) * valid, valid);
            }
            default -> throw new IllegalStateException("unexpected model " + model());
        };
    }

    /** A token batch's ids, time-major [T·B]: its one float feature per step, as ints (padded steps read id 0). */
    private static int[] tokenIds(SequenceBatch batch) {
        float[] in = batch.inputs();
        int[] ids = new int[in.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) in[i];
        return ids;
    }

    /** Rows of {@code logits} (any shape [..., C]) whose argmax is the target, counting rows with mask > 0 (null: all). */
    private static long correct(Var logits, int[] targets, float[] mask) {
        float[] z = logits.value().toArray();
        int classes = logits.dim(logits.shape().length - 1);
        long right = 0;
        for (int r = 0; r < targets.length; r++) {
            if (mask != null && mask[r] == 0f) continue;
            int best = 0;
            for (int c = 1; c < classes; c++) if (z[r * classes + c] > z[r * classes + best]) best = c;
            if (best == targets[r]) right++;
        }
        return right;
    }
}
