package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;

import java.util.List;

/**
 * Many-to-many: the same Linear at every step, [T, B, F] -> [T, B, C] (names
 * {@code prefix + "weight"}, {@code prefix + "bias"}), and the step-level loss over valid steps
 * only.
 */
public final class TimeDistributedHead implements Module {
    private final Linear linear;

    public TimeDistributedHead(String prefix, int inFeatures, int outFeatures, long seed) {
        this.linear = new Linear(prefix, inFeatures, outFeatures, seed);
    }

    public Linear linear() {
        return linear;
    }

    /** output [T, B, F] (time-major) -> logits [T, B, C]. */
    public Var forward(Graph g, Var output) {
        return linear.forward(g, output);
    }

    /** Time-major [T·B] mask: 1 where t < lengths[b], else 0 (all ones for null lengths). */
    public static float[] stepMask(int steps, int batch, int[] lengths) {
        if (lengths != null) Recurrent.checkLengths(lengths, batch, steps);
        float[] mask = new float[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) mask[t * batch + b] = lengths == null || t < lengths[b] ? 1f : 0f;
        }
        return mask;
    }

    /**
     * Softmax cross-entropy of logits [T, B, C] against time-major targets [T·B], averaged over the
     * valid steps of every sample (sum over valid steps / their count). Targets at padded steps are
     * ignored, whatever they hold.
     */
    public static Var loss(Var logits, int[] targets, int[] lengths) {
        int steps = logits.dim(0), batch = logits.dim(1), classes = logits.dim(2);
        if (targets.length != steps * batch) {
            throw new IllegalArgumentException(targets.length + " targets for logits " + logits + " (need T·B = "
                    + steps * batch + ", time-major)");
        }
        float[] mask = stepMask(steps, batch, lengths);
        int[] t = targets.clone();
        for (int i = 0; i < t.length; i++) if (mask[i] == 0f) t[i] = 0;
        return Losses.softmaxCrossEntropy(Shapes.reshape(logits, steps * batch, classes), t, mask);
    }

    @Override
    public List<Parameter> parameters() {
        return linear.parameters();
    }

    @Override
    public void close() {
        linear.close();
    }
}
