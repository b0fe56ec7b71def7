package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.data.Batches;
import dev.recur.engine.data.EpochSampler;
import dev.recur.engine.data.ForecastData;
import dev.recur.engine.data.SequenceBatch;
import dev.recur.engine.data.SequenceDataset;
import dev.recur.engine.io.CsvColumn;
import dev.recur.engine.nn.ManyToOneHead;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceRegressor;
import dev.recur.engine.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --task forecast}: a univariate series ({@link ForecastData}: split 70/15/15 in time, seen
 * as levels or as differences through a scaling fitted on the training part) cut into windows of
 * the past W values; a recurrent stack reads the W values and a linear head on its last step
 * predicts the next {@code --horizon} (sequence-to-vector). The loss is the MSE on scaled values;
 * the metric is the mean absolute error over all predicted values, in the series' own units.
 * metrics.json also carries the naive forecast's MAE ("every future value equals the window's last
 * value") on the validation and the test windows.
 */
public final class ForecastTask extends AbstractTrainingTask<SequenceRegressor, SequenceBatch> {
    static final int DEFAULT_WINDOW = 28;
    static final int EVALUATION_BATCH = 256;

    private final ForecastData data;
    private final RecurrentConfig rnn;
    private final SequenceDataset train;
    private final EpochSampler sampler;
    private final List<SequenceBatch> validation;
    private final List<SequenceBatch> test;
    private final String source;
    private final String column;
    private final CsvColumn.Missing missing;

    /**
     * {@code source}, {@code column} and {@code missing}: where the series came from and how its
     * missing cells were handled, recorded in the checkpoint for {@code recur eval} and {@code predict}.
     */
    public ForecastTask(ForecastData data, String source, String column, CsvColumn.Missing missing, RecurrentConfig rnn,
                        int batchSize, float dropout, long seed) {
        SequenceDataset train = data.part(ForecastData.Part.TRAIN);
        EpochSampler sampler = new EpochSampler(Batches.range(train.size()), batchSize, false, dataRng(seed));
        super(new SequenceRegressor(rnn, data.horizon(), ManyToOneHead.Source.LAST_VALID_OUTPUT, dropout, seed),
                DataState.of(sampler));
        this.data = data;
        this.source = source;
        this.column = column;
        this.missing = missing;
        this.rnn = rnn;
        this.train = train;
        this.sampler = sampler;
        this.validation = batches(ForecastData.Part.VALIDATION);
        this.test = batches(ForecastData.Part.TEST);
    }

    private List<SequenceBatch> batches(ForecastData.Part part) {
        SequenceDataset d = data.part(part);
        return Batches.inOrder(d, Batches.range(d.size()), EVALUATION_BATCH);
    }

    @Override
    public String id() {
        return "forecast";
    }

    @Override
    public String metricName() {
        return "val_mae";
    }

    @Override
    public boolean higherIsBetter() {
        return false;
    }

    public ForecastData data() {
        return data;
    }

    @Override
    public Map<String, String> modelConfig() {
        Map<String, String> head = new LinkedHashMap<>();
        head.put("head", "regression");
        head.put("outputs", Integer.toString(data.horizon()));
        head.put("window", Integer.toString(data.window()));
        return TaskConfigs.recurrent(rnn, head);
    }

    /** The series' source and the normalisation a later forecast must apply (Double.toString round-trips exactly). */
    @Override
    public Map<String, String> taskInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("name", id());
        info.put("csv", source);
        info.put("column", column);
        info.put("window", Integer.toString(data.window()));
        info.put("horizon", Integer.toString(data.horizon()));
        info.put("inputs", data.scaling().inputs());
        info.put("mean", Double.toString(data.scaling().mean()));
        info.put("std", Double.toString(data.scaling().std()));
        info.put("missing", missing.name().toLowerCase(Locale.ROOT));
        info.put("rows", Integer.toString(data.length()));
        info.put("train_end", Integer.toString(data.trainEnd()));
        info.put("validation_end", Integer.toString(data.validationEnd()));
        return info;
    }

    @Override
    public StepLoss trainingLoss(Graph g) {
        SequenceBatch batch = Batches.pad(train, sampler.next());
        Var prediction = model().forward(g, g.constant(batch.inputTensor(g.arena())), null);
        return new StepLoss(SequenceRegressor.loss(prediction, g.constant(batch.valueTargetTensor(g.arena()))),
                batch.batchSize());
    }

    @Override
    List<SequenceBatch> evaluationBatches(Split split) {
        return split == Split.TEST ? test : validation;
    }

    /** Per predicted value: the squared error (the loss, in normalised units) and the absolute error. */
    @Override
    void score(Graph g, SequenceBatch batch, Totals totals) {
        Tensor prediction = model().forward(g, g.constant(batch.inputTensor(g.arena())), null).value(); // [B, K]
        float[] target = batch.valueTargets();                                                            // [B, K]
        for (int i = 0; i < target.length; i++) {
            double d = prediction.get(i) - target[i];
            totals.add(d * d, Math.abs(d), 1);
        }
    }

    /** The MAE in the series' units: the scaling is affine, so d scaled units are d * std. */
    @Override
    double metric(double normalisedMae) {
        return normalisedMae * data.scaling().std();
    }

    @Override
    public Map<String, Double> baselines() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("naive_val_mae", data.naiveMae(ForecastData.Part.VALIDATION));
        out.put("naive_test_mae", data.naiveMae(ForecastData.Part.TEST));
        return out;
    }

    @Override
    public long stepsPerEpoch() {
        return sampler.batchesPerEpoch();
    }
}
