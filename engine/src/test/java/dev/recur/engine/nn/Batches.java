package dev.recur.engine.nn;

import java.util.SplittableRandom;

/** Random time-major test batches whose padded steps hold a chosen filler (NaN, huge, zero). */
final class Batches {
    private Batches() {
    }

    /** [T, B, I] uniform ±1 at valid steps, {@code filler} at padded ones. */
    static float[] features(SplittableRandom rng, int steps, int batch, int inputs, int[] lengths, float filler) {
        float[] x = new float[steps * batch * inputs];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < inputs; i++) {
                    float v = (float) rng.nextDouble(-1, 1);
                    x[(t * batch + b) * inputs + i] = t < lengths[b] ? v : filler;
                }
            }
        }
        return x;
    }

    /** The same values with every padded step replaced by {@code filler}. */
    static float[] refill(float[] x, int steps, int batch, int inputs, int[] lengths, float filler) {
        float[] y = x.clone();
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                if (t >= lengths[b]) {
                    for (int i = 0; i < inputs; i++) y[(t * batch + b) * inputs + i] = filler;
                }
            }
        }
        return y;
    }

    /** Sample b's first {@code length} steps as a batch of one: [length, 1, I]. */
    static float[] sample(float[] x, int batch, int inputs, int b, int length) {
        float[] y = new float[length * inputs];
        for (int t = 0; t < length; t++) System.arraycopy(x, (t * batch + b) * inputs, y, t * inputs, inputs);
        return y;
    }

    /** Token ids in [0, vocabulary) time-major [T·B]; padded positions get {@code filler}. */
    static int[] tokens(SplittableRandom rng, int steps, int batch, int vocabulary, int[] lengths, int filler) {
        int[] ids = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) ids[t * batch + b] = t < lengths[b] ? rng.nextInt(vocabulary) : filler;
        }
        return ids;
    }

    static int[] randomLengths(SplittableRandom rng, int batch, int steps) {
        int[] l = new int[batch];
        for (int b = 0; b < batch; b++) l[b] = 1 + rng.nextInt(steps);
        l[rng.nextInt(batch)] = steps;
        return l;
    }
}
