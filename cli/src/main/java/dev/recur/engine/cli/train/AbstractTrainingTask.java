package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.data.EpochSampler;
import dev.recur.engine.data.Rng;
import dev.recur.engine.nn.Module;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the tasks share around their own model, data, loss and metric: the task owns its model
 * (closed with it); the state of the generator its training batches are drawn from is what a
 * checkpoint carries; an evaluation is the mean of the loss and of the metric over the units of a
 * split's fixed batches (samples, characters, valid steps or predicted values: whatever the task
 * averages over), each batch scored on its own inference graph.
 *
 * @param <M> the model
 * @param <B> an evaluation batch
 */
abstract class AbstractTrainingTask<M extends Module, B> implements TrainingTask {
    /** The state of a task's training-data generator: taken for a checkpoint, put back on resume. */
    record DataState(Supplier<long[]> state, Consumer<long[]> restore) {
        /** A task built for evaluation only draws no training batches. */
        static final DataState NONE = new DataState(() -> new long[0], state -> { });

        static DataState of(Rng rng) {
            return new DataState(rng::state, rng::restore);
        }

        static DataState of(EpochSampler sampler) {
            return new DataState(sampler::state, sampler::restore);
        }
    }

    /** The sums an evaluation divides by its number of units. */
    static final class Totals {
        private double loss;
        private double metric;
        private long units;

        /** Adds {@code units} units whose losses sum to {@code loss} and whose metrics sum to {@code metric}. */
        void add(double loss, double metric, long units) {
            this.loss += loss;
            this.metric += metric;
            this.units += units;
        }
    }

    private final M model;
    private final DataState data;

    AbstractTrainingTask(M model, DataState data) {
        this.model = model;
        this.data = data;
    }

    /** The generator of a task's training data, seeded apart from the model's initialisation by the same seed. */
    static Rng dataRng(long seed) {
        return new Rng(seed ^ 0x5DEECE66DL);
    }

    /** The batches an evaluation of {@code split} reads. */
    abstract List<B> evaluationBatches(Split split);

    /** Runs the model on {@code batch} and adds the batch's units to {@code totals}. */
    abstract void score(Graph g, B batch, Totals totals);

    /** The metric reported for a mean of {@code mean} over the units, when the two differ by a change of unit. */
    double metric(double mean) {
        return mean;
    }

    @Override
    public final M model() {
        return model;
    }

    @Override
    public final Evaluation evaluate(Kernels kernels, Split split) {
        Totals totals = new Totals();
        for (B batch : evaluationBatches(split)) {
            try (Graph g = Graph.inference(kernels)) {
                score(g, batch, totals);
            }
        }
        if (totals.units == 0) throw new IllegalStateException(id() + ": the " + split + " part is empty");
        return new Evaluation(totals.loss / totals.units, metric(totals.metric / totals.units));
    }

    @Override
    public final long[] dataState() {
        return data.state().get();
    }

    @Override
    public final void restoreDataState(long[] state) {
        data.restore().accept(state);
    }

    @Override
    public final void close() {
        model.close();
    }
}
