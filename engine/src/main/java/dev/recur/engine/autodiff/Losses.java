package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/** Scalar training losses (rank-0 results). */
public final class Losses {
    /** Row chunks of a cross-entropy, run side by side when the kernels have the threads. */
    private static final int LOSS_CHUNKS = 8;
    /** Logits below this many elements are one chunk. */
    private static final long PARALLEL_MIN_ELEMENTS = 1 << 16;

    private Losses() {
    }

    /** {@link #softmaxCrossEntropy(Var, int[], float[])} with the mask given as a tensor of N elements. */
    public static Var softmaxCrossEntropy(Var logits, int[] targets, Tensor mask) {
        return softmaxCrossEntropy(logits, targets, mask == null ? null : mask.toArray());
    }

    /**
     * Mean negative log-likelihood of {@code targets} under softmax(logits), logits [N, C],
     * targets [N]. Row r counts with weight mask[r] when mask[r] > 0 and not at all otherwise; the
     * loss is sum(weight * nll) / (number of rows with mask > 0), and 0 (with zero gradients) when
     * no row counts. A null mask counts every row with weight 1. Every target, masked rows'
     * included, must be a class index in [0, C) (use 0 for padding).
     *
     * <p>Each row's log-sum-exp is taken in double after subtracting the row maximum; the backward
     * adds (softmax - onehot) * weight / count to the logits' gradient.
     */
    public static Var softmaxCrossEntropy(Var logits, int[] targets, float[] mask) {
        Graph g = logits.graph();
        Kernels k = g.kernels();
        if (logits.value().rank() != 2) {
            throw new IllegalArgumentException("softmaxCrossEntropy needs logits [N, C], got " + logits);
        }
        int rows = logits.dim(0), classes = logits.dim(1);
        if (targets.length != rows) {
            throw new IllegalArgumentException(targets.length + " targets for logits " + logits);
        }
        if (mask != null && mask.length != rows) {
            throw new IllegalArgumentException("mask of " + mask.length + " elements for logits " + logits);
        }
        int[] tgt = targets.clone();
        for (int r = 0; r < rows; r++) {
            if (tgt[r] < 0 || tgt[r] >= classes) {
                throw new IllegalArgumentException("target " + tgt[r] + " of row " + r + " is out of range [0, "
                        + classes + ")");
            }
        }
        float[] weight = new float[rows];
        int count = 0;
        for (int r = 0; r < rows; r++) {
            float w = mask == null ? 1f : mask[r];
            if (w > 0f) {
                weight[r] = w;
                count++;
            }
        }
        boolean grad = g.needsGrad(logits);
        MemorySegment x = logits.value().data();
        Tensor probs = grad && count > 0 ? g.arena().zeros(rows, classes) : null;
        // Large losses (a word model's 10000 classes) in a fixed number of row chunks, each summing
        // its own part, added in chunk order: the same result for any number of threads. Small ones
        // in one pass: handing them to the pool would cost more than it saves.
        int chunks = (long) rows * classes >= PARALLEL_MIN_ELEMENTS ? Math.min(rows, LOSS_CHUNKS) : 1;
        double[] partial = new double[chunks];
        k.runIndependent(chunks, chunk -> {
            double[] e = new double[classes];
            double sum = 0;
            for (int r = rows * chunk / chunks; r < rows * (chunk + 1) / chunks; r++) {
                if (weight[r] == 0f) continue;
                long row = (long) r * classes;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) max = Math.max(max, x.getAtIndex(JAVA_FLOAT, row + c));
                double s = 0;
                for (int c = 0; c < classes; c++) {
                    e[c] = Math.exp(x.getAtIndex(JAVA_FLOAT, row + c) - max);
                    s += e[c];
                }
                double lse = max + Math.log(s);
                sum += weight[r] * (lse - x.getAtIndex(JAVA_FLOAT, row + tgt[r]));
                if (probs != null) {
                    MemorySegment p = probs.data();
                    for (int c = 0; c < classes; c++) p.setAtIndex(JAVA_FLOAT, row + c, (float) (e[c] / s));
                }
            }
            partial[chunk] = sum;
        });
        double total = 0;
        for (double part : partial) total += part;
        final int valid = count;
        Tensor loss = g.arena().of(new float[]{valid == 0 ? 0f : (float) (total / valid)});
        Var out = g.result(loss, logits);
        if (out.requiresGrad() && valid > 0) {
            g.record("softmaxCrossEntropy", () -> {
                float d = out.grad().get(0);
                MemorySegment dx = logits.grad().data();
                for (int r = 0; r < rows; r++) {
                    if (weight[r] == 0f) continue;
                    float a = d * weight[r] / valid;
                    long row = (long) r * classes;
                    k.axpy(classes, a, probs.data(), row, dx, row);
                    long t = row + tgt[r];
                    dx.setAtIndex(JAVA_FLOAT, t, dx.getAtIndex(JAVA_FLOAT, t) - a);
                }
            });
        }
        return out;
    }

    /** mean((prediction - target)^2) over every element; the shapes must be equal. */
    public static Var mse(Var prediction, Var target) {
        Graph g = prediction.graph();
        Kernels k = g.kernels();
        if (!Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException("mse needs equal shapes (no broadcasting), got prediction "
                    + Tensor.shapeString(prediction.shape()) + " and target " + Tensor.shapeString(target.shape()));
        }
        int n = (int) prediction.value().size();
        if (n == 0) {
            throw new IllegalArgumentException("mse of empty tensors " + prediction);
        }
        Tensor diff = g.arena().empty(prediction.shape());
        k.sub(n, prediction.value().data(), 0, target.value().data(), 0, diff.data(), 0);
        Tensor loss = g.arena().of(new float[]{(float) (k.sumOfSquares(n, diff.data(), 0) / n)});
        Var out = g.result(loss, prediction, target);
        if (out.requiresGrad()) {
            g.record("mse", () -> {
                float a = 2f * out.grad().get(0) / n;
                if (prediction.requiresGrad()) k.axpy(n, a, diff.data(), 0, prediction.grad().data(), 0);
                if (target.requiresGrad()) k.axpy(n, -a, diff.data(), 0, target.grad().data(), 0);
            });
        }
        return out;
    }
}
