package dev.recur.engine.cli.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.Tensor;

import java.util.List;

import static dev.recur.engine.tensor.Tensor.FLOAT;

/** Where a training run's numbers stopped being finite: the first NaN or infinity among its parameters and gradients. */
final class NonFinite {
    private NonFinite() {
    }

    /** The index of the first NaN or infinite element of {@code t}, or -1. */
    static long firstIndex(Tensor t) {
        long n = t.size();
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(t.data().getAtIndex(FLOAT, i))) return i;
        }
        return -1;
    }

    /**
     * The one line a run stops with: the step, what was seen ({@code symptom}), and the first
     * parameter whose value, else whose gradient, holds a NaN or an infinity.
     */
    static String stopMessage(long step, String symptom, List<Parameter> parameters) {
        String where = firstNonFinite(parameters);
        return "step " + step + ": " + symptom + (where == null ? "" : "; first non-finite: " + where)
                + ". Training stopped; the checkpoints written before this step are kept (try a smaller --lr, or --clip)";
    }

    private static String firstNonFinite(List<Parameter> parameters) {
        for (Parameter p : parameters) {
            long i = firstIndex(p.value());
            if (i >= 0) return p.name() + " at index " + i + " (" + p.value().data().getAtIndex(FLOAT, i) + ")";
        }
        for (Parameter p : parameters) {
            long i = firstIndex(p.grad());
            if (i >= 0) return "the gradient of " + p.name() + " at index " + i + " (" + p.grad().data().getAtIndex(FLOAT, i) + ")";
        }
        return null;
    }
}
