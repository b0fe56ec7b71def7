package dev.recur.engine.data;

import java.util.ArrayList;
import java.util.List;

/**
 * The adding problem (Hochreiter and Schmidhuber 1997, "Long Short-Term Memory", experiment 4),
 * generated on the fly: a sequence of T steps of 2 features (value, marker); values uniform in [0, 1);
 * exactly two markers are 1, all others 0; the target is the sum of the two marked values.
 *
 * <p>Marker convention: one position uniform in the first half {@code [0, T/2)} and one uniform in the
 * second half {@code [T/2, T)}, as in Arjovsky, Shah and Bengio 2016 ("Unitary Evolution Recurrent
 * Neural Networks", the adding-problem experiment), the usual modern form of the task (values in [0, 1]
 * as in Le, Jaitly and Hinton 2015, "A Simple Way to Initialize Recurrent Networks of Rectified Linear
 * Units"). The 1997 paper placed the markers differently (the first among the first ten steps, the
 * second in the first half) and drew values from [-1, 1]. With this convention
 * the target has mean 1 and variance 1/6, so always predicting 1.0 has an MSE of about 0.167.
 */
public final class AddingProblem {
    public static final int DEFAULT_STEPS = 100;
    private final int steps;

    public AddingProblem(int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("the adding problem needs T >= 2 steps, got " + steps);
        }
        this.steps = steps;
    }

    public int steps() {
        return steps;
    }

    /** A batch of {@code batchSize} fresh sequences: inputs [T, B, 2], targets [B, 1], all lengths T. */
    public SequenceBatch batch(Rng rng, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be positive");
        }
        int half = steps / 2;
        float[] inputs = new float[steps * batchSize * 2];
        float[] targets = new float[batchSize];
        int[] lengths = new int[batchSize];
        int[] indices = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            for (int t = 0; t < steps; t++) {
                inputs[(t * batchSize + b) * 2] = rng.nextFloat();
            }
            int first = rng.nextInt(0, half);
            int second = rng.nextInt(half, steps);
            inputs[(first * batchSize + b) * 2 + 1] = 1f;
            inputs[(second * batchSize + b) * 2 + 1] = 1f;
            targets[b] = inputs[(first * batchSize + b) * 2] + inputs[(second * batchSize + b) * 2];
            lengths[b] = steps;
            indices[b] = -1;
        }
        return new SequenceBatch(steps, batchSize, 2, inputs, lengths, indices, TargetKind.VALUE_PER_SAMPLE, 1,
                null, targets);
    }

    /** A fixed set of {@code count} sequences in batches of {@code batchSize}, the same for every call with {@code seed}. */
    public List<SequenceBatch> fixedSet(long seed, int count, int batchSize) {
        Rng rng = new Rng(seed);
        List<SequenceBatch> out = new ArrayList<>();
        for (int done = 0; done < count; done += batchSize) {
            out.add(batch(rng, Math.min(batchSize, count - done)));
        }
        return out;
    }
}
