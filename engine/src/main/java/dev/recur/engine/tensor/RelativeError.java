package dev.recur.engine.tensor;

/** How far a result is from a reference: the measure every agreement check in Recur reports. */
public final class RelativeError {
    private RelativeError() {
    }

    /** ||actual - reference|| / ||reference|| (L2, in double); the absolute error when the reference is all zero. */
    public static double l2(float[] actual, double[] reference) {
        if (actual.length != reference.length) {
            throw new IllegalArgumentException("length " + actual.length + " vs reference " + reference.length);
        }
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = actual[i] - reference[i];
            diff += d * d;
            norm += reference[i] * reference[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    public static double l2(float[] actual, float[] reference) {
        return l2(actual, reference, 0);
    }

    /**
     * ||actual - reference|| / max(||reference||, floor · sqrt(n)): relative, but for a reference
     * whose root-mean-square is below {@code floor}, absolute (scaled by the floor). For results
     * that are sums of terms of magnitude about {@code floor} or more, which can cancel to almost
     * nothing while still being right to the terms' rounding.
     */
    public static double l2(float[] actual, float[] reference, double floor) {
        if (actual.length != reference.length) {
            throw new IllegalArgumentException("length " + actual.length + " vs reference " + reference.length);
        }
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = (double) actual[i] - reference[i];
            diff += d * d;
            norm += (double) reference[i] * reference[i];
        }
        double scale = Math.max(Math.sqrt(norm), floor * Math.sqrt(actual.length));
        return scale == 0 ? Math.sqrt(diff) : Math.sqrt(diff) / scale;
    }
}
