package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.Module;
import dev.recur.engine.nn.Parameter;

import java.util.List;
import java.util.Map;

/**
 * One of {@code recur train}'s tasks (adding, fashion-mnist, chars, forecast, tensors): its model,
 * its data, its loss and its metric. The {@link Trainer} owns the loop, the optimizer, logging and
 * checkpoints; a task only answers "the loss of the next training batch" and "how good is the
 * model on a split".
 */
public interface TrainingTask extends AutoCloseable {
    /** Which part of the data an evaluation reads. */
    enum Split { VALIDATION, TEST }

    /** The mean loss and the task's metric over a split. */
    record Evaluation(double loss, double metric) {
    }

    /** The loss of one training batch (a scalar on the graph) and how many samples it covered. */
    record StepLoss(Var loss, int samples) {
    }

    /** {@code adding}, {@code fashion-mnist}, ... */
    String id();

    /** The metric's column in metrics.csv, e.g. {@code val_mse}, {@code val_accuracy}. */
    String metricName();

    /** True for accuracy-like metrics, false for errors and losses. */
    boolean higherIsBetter();

    Module model();

    /** The parameters the optimizer updates: all of the model's, unless the task freezes some (pretrained embeddings). */
    default List<Parameter> trainableParameters() {
        return model().parameters();
    }

    /**
     * What must match for a checkpoint to load into this task's model (cell, sizes, head, and the
     * data facts the model depends on, such as the vocabulary size): checkpoint metadata {@code model.*}.
     */
    Map<String, String> modelConfig();

    /** Facts a later {@code recur generate} / {@code recur eval} needs (vocabulary, normalisation): {@code task.*}. */
    Map<String, String> taskInfo();

    /** Builds the loss of the next training batch on {@code g} (a training graph). */
    StepLoss trainingLoss(Graph g);

    /** Mean loss and metric over {@code split}, on inference graphs (no dropout). */
    Evaluation evaluate(Kernels kernels, Split split);

    /** Reference figures for metrics.json, e.g. the MSE of always predicting 1.0, the naive forecast's MAE. */
    default Map<String, Double> baselines() {
        return Map.of();
    }

    /** Training steps in one pass over the training data, or 0 when data are generated on the fly. */
    default long stepsPerEpoch() {
        return 0;
    }

    /** The state of the task's training-data generator (so a resumed run draws the same batches). */
    long[] dataState();

    void restoreDataState(long[] state);

    @Override
    void close();
}
