package dev.recur.engine.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds padded batches from a {@link SequenceDataset}. */
public final class Batches {
    private Batches() {
    }

    /**
     * The samples {@code indices} as one time-major batch, padded with zeros to the longest of them
     * (T = that length, not the data set's maxSteps()).
     */
    public static SequenceBatch pad(SequenceDataset data, int[] indices) {
        int b = indices.length;
        if (b == 0) {
            throw new IllegalArgumentException("a batch needs at least one sample");
        }
        int features = data.features();
        int[] lengths = new int[b];
        int steps = 0;
        for (int j = 0; j < b; j++) {
            lengths[j] = data.length(indices[j]);
            steps = Math.max(steps, lengths[j]);
        }
        float[] inputs = new float[steps * b * features];
        for (int j = 0; j < b; j++) {
            for (int t = 0; t < lengths[j]; t++) {
                data.copyStep(indices[j], t, inputs, (t * b + j) * features);
            }
        }
        TargetKind kind = data.targetKind();
        int k = data.targetWidth();
        int[] classes = null;
        float[] values = null;
        switch (kind) {
            case CLASS_PER_SAMPLE -> {
                classes = new int[b];
                for (int j = 0; j < b; j++) {
                    classes[j] = data.classTarget(indices[j], 0);
                }
            }
            case CLASS_PER_STEP -> {
                classes = new int[steps * b];
                for (int j = 0; j < b; j++) {
                    for (int t = 0; t < lengths[j]; t++) {
                        classes[t * b + j] = data.classTarget(indices[j], t);
                    }
                }
            }
            case VALUE_PER_SAMPLE -> {
                values = new float[b * k];
                for (int j = 0; j < b; j++) {
                    for (int c = 0; c < k; c++) {
                        values[j * k + c] = data.valueTarget(indices[j], 0, c);
                    }
                }
            }
            case VALUE_PER_STEP -> {
                values = new float[steps * b * k];
                for (int j = 0; j < b; j++) {
                    for (int t = 0; t < lengths[j]; t++) {
                        for (int c = 0; c < k; c++) {
                            values[(t * b + j) * k + c] = data.valueTarget(indices[j], t, c);
                        }
                    }
                }
            }
        }
        return new SequenceBatch(steps, b, features, inputs, lengths, indices.clone(), kind, k, classes, values);
    }

    /** {@code indices} in order, in batches of {@code batchSize} (the last may be smaller): for evaluation. */
    public static List<SequenceBatch> inOrder(SequenceDataset data, int[] indices, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be positive");
        }
        List<SequenceBatch> out = new ArrayList<>();
        for (int from = 0; from < indices.length; from += batchSize) {
            out.add(pad(data, Arrays.copyOfRange(indices, from, Math.min(indices.length, from + batchSize))));
        }
        return out;
    }

    /** {@code 0 .. n-1}. */
    public static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}
