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
        double[] ref = new double[reference.length];
        for (int i = 0; i < ref.length; i++) ref[i] = reference[i];
        return l2(actual, ref);
    }
}
