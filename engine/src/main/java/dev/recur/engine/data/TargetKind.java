package dev.recur.engine.data;

/** What a sequence data set's targets are: classes or values, one per sample or one per valid step. */
public enum TargetKind {
    /** One class id per sample: many-to-one classification. */
    CLASS_PER_SAMPLE,
    /** One class id per valid step: many-to-many classification. */
    CLASS_PER_STEP,
    /** {@code targetWidth} values per sample: many-to-one regression (e.g. the next 7 values). */
    VALUE_PER_SAMPLE,
    /** {@code targetWidth} values per valid step: many-to-many regression. */
    VALUE_PER_STEP;

    public boolean isClassification() {
        return this == CLASS_PER_SAMPLE || this == CLASS_PER_STEP;
    }

    public boolean isPerStep() {
        return this == CLASS_PER_STEP || this == VALUE_PER_STEP;
    }
}
