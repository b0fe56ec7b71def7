package dev.recur.engine.data;

/**
 * An indexed set of input sequences with targets. Sample {@code i} has {@code length(i)} valid steps
 * (1..{@link #maxSteps()}) of {@link #features()} floats each.
 */
public interface SequenceDataset {
    int size();

    /** T: the longest a sample may be. */
    int maxSteps();

    /** I: features per step. */
    int features();

    /** Valid steps of sample {@code i}, in 1..maxSteps(). */
    int length(int i);

    /** Copies sample {@code i}'s step {@code t} (t < length(i)) into {@code dst[offset .. offset+features())}. */
    void copyStep(int i, int t, float[] dst, int offset);

    TargetKind targetKind();

    /** Values per target (1 for classes; e.g. 7 for a 7-step forecast). */
    int targetWidth();

    /** Number of classes (class ids are 0..numClasses()-1); 0 for regression. */
    int numClasses();

    /** Class of sample {@code i} (at step {@code t} for per-step targets; t is ignored otherwise). */
    int classTarget(int i, int t);

    /** Value {@code k} of sample {@code i}'s target (at step {@code t} for per-step targets). */
    float valueTarget(int i, int t, int k);
}
