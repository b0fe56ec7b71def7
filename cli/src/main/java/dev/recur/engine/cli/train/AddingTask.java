package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.data.AddingProblem;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.SequenceBatch;
import dev.recur.engine.nn.ManyToOneHead;
import dev.recur.engine.nn.Module;
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
public final class AddingTask implements TrainingTask {
    static final int VALIDATION_SEQUENCES = 1000;
    /** The test set ({@code recur eval}) is drawn from this seed, whatever --seed was. */
    static final long TEST_SEED = 0x7E57L;

    private final AddingProblem problem;
    private final RecurrentConfig rnn;
    private final SequenceRegressor model;
    private final int batchSize;
    private final Rng data;
    private final List<SequenceBatch> validation;
    private List<SequenceBatch> test;

    public AddingTask(RecurrentConfig rnn, int steps, int batchSize, float dropout, long seed) {
        this.problem = new AddingProblem(steps);
        this.rnn = rnn;
        this.model = new SequenceRegressor(rnn, 1, ManyToOneHead.Source.LAST_VALID_OUTPUT, dropout, seed);
        this.batchSize = batchSize;
        this.data = new Rng(seed ^ 0x5DEECE66DL);
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
    public Module model() {
        return model;
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
        SequenceBatch batch = problem.batch(data, batchSize);
        Var prediction = model.forward(g, g.constant(batch.inputTensor(g.arena())), null);
        return new StepLoss(SequenceRegressor.loss(prediction, g.constant(batch.valueTargetTensor(g.arena()))), batchSize);
    }

    @Override
    public Evaluation evaluate(Kernels kernels, Split split) {
        double sum = 0;
        int count = 0;
        if (split == Split.TEST && test == null) test = problem.fixedSet(TEST_SEED, VALIDATION_SEQUENCES, 250);
        for (SequenceBatch batch : split == Split.TEST ? test : validation) {
            try (Graph g = Graph.inference(kernels)) {
                Var prediction = model.forward(g, g.constant(batch.inputTensor(g.arena())), null);
                Var mse = SequenceRegressor.loss(prediction, g.constant(batch.valueTargetTensor(g.arena())));
                sum += (double) mse.value().get(0) * batch.batchSize();
                count += batch.batchSize();
            }
        }
        double mse = sum / count;
        return new Evaluation(mse, mse);
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

    @Override
    public long[] dataState() {
        return data.state();
    }

    @Override
    public void restoreDataState(long[] state) {
        data.restore(state);
    }

    @Override
    public void close() {
        model.close();
    }
}
