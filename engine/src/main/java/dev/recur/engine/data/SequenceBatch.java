package dev.recur.engine.data;

import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

/**
 * A padded batch, time-major as the recurrent layers take it.
 *
 * @param inputs        [T, B, I], zeros at padded steps (t >= lengths[b])
 * @param lengths       [B], valid steps per sample, each in 1..T
 * @param indices       [B], the samples' indices in their data set (-1 for generated samples)
 * @param classTargets  classification: [B] or [T, B] (per step; 0 at padded steps), else null
 * @param valueTargets  regression: [B, K] or [T, B, K] (per step; 0 at padded steps), else null
 */
public record SequenceBatch(int steps, int batchSize, int features, float[] inputs, int[] lengths, int[] indices,
                            TargetKind targetKind, int targetWidth, int[] classTargets, float[] valueTargets) {

    /** The inputs as a [T, B, I] tensor in {@code arena}. */
    public Tensor inputTensor(TensorArena arena) {
        return arena.of(inputs, steps, batchSize, features);
    }

    /** The value targets as a tensor in {@code arena}: [B, K] or [T, B, K]. */
    public Tensor valueTargetTensor(TensorArena arena) {
        if (valueTargets == null) {
            throw new IllegalStateException("a " + targetKind + " batch has no value targets");
        }
        return targetKind.isPerStep() ? arena.of(valueTargets, steps, batchSize, targetWidth)
                : arena.of(valueTargets, batchSize, targetWidth);
    }

    /** True when every sample uses all T steps (no padding). */
    public boolean isFull() {
        for (int l : lengths) {
            if (l != steps) {
                return false;
            }
        }
        return true;
    }
}
