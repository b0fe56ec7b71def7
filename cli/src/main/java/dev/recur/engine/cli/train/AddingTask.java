package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.data.AddingProblem;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.SequenceBatch;
import dev.recur.engine.nn.ManyToOneHead;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceRegressor;

import java.util.List;
import java.util.Map;

/**
 * {@code --task adding}: the adding problem (see {@link AddingProblem}), fresh sequences every step;
 * a recurrent stack reads the T (value, marker) pairs and a linear head on the last step predicts
 * the sum of the two marked values; loss and metric are the MSE. Validation is a fixed set of 1000
 * sequences drawn from the seed; always predicting 1.0 scores about 0.167 on it. The test set
 * ({@code recur eval}) is another 1000 sequences, drawn from a fixed seed.
 */
public final class AddingTask extends AbstractTrainingTask<SequenceRegressor, SequenceBatch> {
    static final int VALIDATION_SEQUENCES = 1000;
    /** The test set ({@code recur eval}) is drawn from this seed, whatever --seed was. */
    static final long TEST_SEED = 0x7E57L;

    private final AddingProblem problem;
    private final RecurrentConfig rnn;
    private final int batchSize;
    private final Rng data;
    private final List<SequenceBatch> validation;
    private List<SequenceBatch> test;

    public AddingTask(RecurrentConfig rnn, int steps, int batchSize, float dropout, long seed) {
        AddingProblem problem = new AddingProblem(steps);
        Rng data = dataRng(seed);
        super(new SequenceRegressor(rnn, 1, ManyToOneHead.Source.LAST_VALID_OUTPUT, dropout, seed), DataState.of(data));
        this.problem = problem;
        this.rnn = rnn;
        this.batchSize = batchSize;
        this.data = data;
        this.validation = problem.fixedSet(seed + 1, VALIDATION_SEQUENCES, 250);
    }

    @Override
    public String id() {
        return "adding";
    }

    @Override
    public String metricName() {
        return "val_mse";
    }

    @Override
    public boolean higherIsBetter() {
        return false;
    }

    @Override
    public Map<String, String> modelConfig() {
        return TaskConfigs.recurrent(rnn, Map.of("head", "regression", "outputs", "1"));
    }

    @Override
    public Map<String, String> taskInfo() {
        return Map.of("name", id(), "seq", Integer.toString(problem.steps()));
    }

    @Override
    public StepLoss trainingLoss(Graph g) {
        return new StepLoss(mse(g, problem.batch(data, batchSize)), batchSize);
    }

    @Override
    List<SequenceBatch> evaluationBatches(Split split) {
        if (split == Split.TEST && test == null) test = problem.fixedSet(TEST_SEED, VALIDATION_SEQUENCES, 250);
        return split == Split.TEST ? test : validation;
    }

    /** Loss and metric are both the MSE. */
    @Override
    void score(Graph g, SequenceBatch batch, Totals totals) {
        double sum = (double) mse(g, batch).value().get(0) * batch.batchSize();
        totals.add(sum, sum, batch.batchSize());
    }

    private Var mse(Graph g, SequenceBatch batch) {
        Var prediction = model().forward(g, g.constant(batch.inputTensor(g.arena())), null);
        return SequenceRegressor.loss(prediction, g.constant(batch.valueTargetTensor(g.arena())));
    }

    @Override
    public Map<String, Double> baselines() {
        double sum = 0;
        int count = 0;
        for (SequenceBatch batch : validation) {
            for (float target : batch.valueTargets()) {
                sum += (target - 1.0) * (target - 1.0);
                count++;
            }
        }
        return Map.of("baseline_mse_predict_1", sum / count);
    }
}
