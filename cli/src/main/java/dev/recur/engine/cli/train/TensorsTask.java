package dev.recur.engine.cli.train;

import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.Batches;
import dev.recur.engine.data.IndexSplit;
import dev.recur.engine.data.SequenceBatch;
import dev.recur.engine.data.TensorsDataset;
import dev.recur.engine.nn.RecurrentConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code --task tensors --data FILE.safetensors}: a user's data set ({@link TensorsDataset}: x
 * [N, T, I], y [N] or [N, T] classes or values, optional lengths), with the head its targets call
 * for (see {@link DatasetTask}). 10% of the samples (at least 1) are held out for validation by a
 * fixed seed, the same for every run, so {@code recur eval} finds them again; that part is also the
 * test split unless {@code recur eval --data} names another file.
 */
public final class TensorsTask extends DatasetTask {
    static final double VALIDATION_FRACTION = 0.1;
    static final long SPLIT_SEED = 0x7E450A5L;

    private final Path file;
    private final int samples;

    private TensorsTask(Path file, TensorsDataset data, IndexSplit split, RecurrentConfig rnn, int vocabulary, int outputs,
                        int batchSize, float dropout, long seed) {
        super(data, split, rnn, vocabulary, outputs, batchSize, dropout, seed);
        if (vocabulary == 0 && rnn.inputSize() != data.features()) {
            throw new IllegalArgumentException(file + " has " + data.features() + " features per step, the model reads "
                    + rnn.inputSize());
        }
        this.file = file;
        this.samples = data.size();
    }

    /** Classes, or values per target, that {@code data} needs the model to output. */
    static int outputsOf(TensorsDataset data) {
        return data.targetKind().isClassification() ? data.numClasses() : data.targetWidth();
    }

    static IndexSplit split(Path file, TensorsDataset data) {
        if (data.size() < 2) {
            throw new UserError(file + ": holds " + data.size() + " sample, a tensors data set needs at least 2 ("
                    + "10% are held out for validation)");
        }
        return IndexSplit.random(data.size(), VALIDATION_FRACTION, SPLIT_SEED);
    }

    /**
     * Training on 90% of {@code data}, validation on the rest. Token-id inputs get an embedding of
     * {@code data.vocabulary()} rows into {@code rnn.inputSize()} features.
     */
    static TensorsTask forTraining(Path file, TensorsDataset data, RecurrentConfig rnn, int batchSize, float dropout,
                                   long seed) {
        return new TensorsTask(file, data, split(file, data), rnn, data.vocabulary(), outputsOf(data), batchSize, dropout,
                seed);
    }

    /**
     * Evaluation only, of a model with {@code outputs} outputs, on {@code indices} of {@code data}
     * (the held-out part of the training file, or all of a test file).
     */
    static TensorsTask forEvaluation(Path file, TensorsDataset data, int[] indices, RecurrentConfig rnn, int vocabulary,
                                     int outputs) {
        if (data.targetKind().isClassification() && data.numClasses() > outputs) {
            throw new UserError(file + ": y holds class " + (data.numClasses() - 1) + ", but the model has " + outputs
                    + " classes (0.." + (outputs - 1) + ")");
        }
        if ((vocabulary > 0) != (data.vocabulary() > 0)) {
            throw new UserError(file + ": x holds " + (data.vocabulary() > 0 ? "token ids" : "features") + ", but the model reads "
                    + (vocabulary > 0 ? "token ids" : "features"));
        }
        if (data.vocabulary() > vocabulary) {
            throw new UserError(file + ": x holds token id " + (data.vocabulary() - 1) + ", but the model embeds ids 0.."
                    + (vocabulary - 1));
        }
        return new TensorsTask(file, data, new IndexSplit(new int[0], indices), rnn, vocabulary, outputs, 1, 0f, 0);
    }

    @Override
    List<SequenceBatch> testBatches() {
        return validationBatches();
    }

    @Override
    public String id() {
        return "tensors";
    }

    @Override
    public Map<String, String> taskInfo() {
        return Map.of("name", id(), "data", file.toAbsolutePath().normalize().toString(),
                "samples", Integer.toString(samples), "split_seed", Long.toString(SPLIT_SEED));
    }
}
