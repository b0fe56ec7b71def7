package dev.recur.engine.autodiff;

import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Attention of a decoder state over an encoder's states, for one decoder step of a batch:
 * scores e[b, s], weights a[b, ·] = softmax over the sample's valid steps (steps s >= lengths[b]
 * are padding: weight 0), context c[b, :] = sum over s of a[b, s] · values[s, b, :].
 * <ul>
 *   <li>{@link #dot} (Luong's dot, and his "general" score once the query is multiplied by W):
 *       e[b, s] = values[s, b, :] · query[b, :];</li>
 *   <li>{@link #additive} (Bahdanau's): e[b, s] = v · tanh(keys[s, b, :] + query[b, :]), keys
 *       and query being the encoder states and the decoder state already projected (W1 h_s and
 *       W2 q, by {@link MatMul}).</li>
 * </ul>
 * Shapes are time-major as the recurrent layers give them: values [S, B, H], keys [S, B, A], query
 * [B, H] or [B, A], v [A]. Scores, softmax and sums run in double. The backward, with g = dL/dc:
 * da[b, s] = g[b] · values[s, b]; de[b, s] = a[b, s] (da[b, s] - sum over s' of a[b, s'] da[b, s']);
 * dvalues[s, b] += a[b, s] g[b]; then dot: dvalues[s, b] += de[b, s] query[b], dquery[b] += sum
 * over s of de[b, s] values[s, b]; additive, with t = tanh(keys + query): dv += sum of de·t,
 * dkeys[s, b] += de[b, s] v (1 - t^2), dquery[b] += the same summed over s.
 */
public final class Attention {
    private Attention() {
    }

    /** The context [B, H] on the graph, and the weights [B, S] as plain values (a heat map's). */
    public record Output(Var context, float[] weights) {
    }

    /** Dot-product attention: the values are also the keys. */
    public static Output dot(Var values, Var query, int[] lengths) {
        int[] vs = values.shape();
        if (vs.length != 3 || query.shape().length != 2 || query.dim(0) != vs[1] || query.dim(1) != vs[2]) {
            throw new IllegalArgumentException("dot attention needs values [S, B, H] and a query [B, H], got " + values
                    + " and " + query);
        }
        return attend(values, null, query, null, lengths);
    }

    /** Additive attention: scores from keys [S, B, A], query [B, A] and v [A]; context over values [S, B, H]. */
    public static Output additive(Var keys, Var query, Var v, Var values, int[] lengths) {
        int[] ks = keys.shape(), vs = values.shape();
        if (ks.length != 3 || vs.length != 3 || ks[0] != vs[0] || ks[1] != vs[1] || query.shape().length != 2
                || query.dim(0) != ks[1] || query.dim(1) != ks[2] || v.shape().length != 1 || v.dim(0) != ks[2]) {
            throw new IllegalArgumentException("additive attention needs keys [S, B, A], a query [B, A], v [A] and values "
                    + "[S, B, H], got " + keys + ", " + query + ", " + v + " and " + values);
        }
        return attend(values, keys, query, v, lengths);
    }

    private static Output attend(Var values, Var keys, Var query, Var v, int[] lengths) {
        Graph g = values.graph();
        int steps = values.dim(0), batch = values.dim(1), width = values.dim(2);
        int a = keys == null ? width : keys.dim(2);
        if (lengths != null) {
            if (lengths.length != batch) throw new IllegalArgumentException(lengths.length + " lengths for a batch of " + batch);
            for (int l : lengths) {
                if (l < 1 || l > steps) throw new IllegalArgumentException("length " + l + " outside 1.." + steps);
            }
        }
        MemorySegment val = values.value().data(), q = query.value().data();
        MemorySegment key = keys == null ? null : keys.value().data(), vv = v == null ? null : v.value().data();
        double[][] weights = new double[batch][steps];
        double[][][] tanh = keys == null ? null : new double[batch][steps][a];   // additive: kept for the backward
        for (int b = 0; b < batch; b++) {
            int valid = lengths == null ? steps : lengths[b];
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < valid; s++) {
                double e = 0;
                if (keys == null) {
                    long row = ((long) s * batch + b) * width;
                    for (int h = 0; h < width; h++) e += (double) val.getAtIndex(JAVA_FLOAT, row + h) * q.getAtIndex(JAVA_FLOAT, (long) b * width + h);
                } else {
                    long row = ((long) s * batch + b) * a;
                    for (int j = 0; j < a; j++) {
                        double t = Math.tanh((double) key.getAtIndex(JAVA_FLOAT, row + j) + q.getAtIndex(JAVA_FLOAT, (long) b * a + j));
                        tanh[b][s][j] = t;
                        e += vv.getAtIndex(JAVA_FLOAT, j) * t;
                    }
                }
                weights[b][s] = e;
                max = Math.max(max, e);
            }
            double sum = 0;
            for (int s = 0; s < valid; s++) {
                weights[b][s] = Math.exp(weights[b][s] - max);
                sum += weights[b][s];
            }
            for (int s = 0; s < valid; s++) weights[b][s] /= sum;
        }
        Tensor context = g.arena().empty(batch, width);
        float[] plain = new float[batch * steps];
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < steps; s++) plain[b * steps + s] = (float) weights[b][s];
            for (int h = 0; h < width; h++) {
                double c = 0;
                for (int s = 0; s < steps; s++) {
                    if (weights[b][s] != 0) c += weights[b][s] * val.getAtIndex(JAVA_FLOAT, ((long) s * batch + b) * width + h);
                }
                context.data().setAtIndex(JAVA_FLOAT, (long) b * width + h, (float) c);
            }
        }
        Var out = keys == null ? g.result(context, values, query) : g.result(context, values, keys, query, v);
        if (out.requiresGrad()) {
            g.record(keys == null ? "dotAttention" : "additiveAttention", () -> backward(out, values, keys, query, v,
                    weights, tanh, steps, batch, width, a));
        }
        return new Output(out, plain);
    }

    private static void backward(Var out, Var values, Var keys, Var query, Var v, double[][] weights, double[][][] tanh,
                                 int steps, int batch, int width, int a) {
        MemorySegment dc = out.grad().data(), val = values.value().data(), q = query.value().data();
        MemorySegment dVal = values.requiresGrad() ? values.grad().data() : null;
        MemorySegment dq = query.requiresGrad() ? query.grad().data() : null;
        MemorySegment dKey = keys != null && keys.requiresGrad() ? keys.grad().data() : null;
        MemorySegment vv = v == null ? null : v.value().data(), dv = v != null && v.requiresGrad() ? v.grad().data() : null;
        double[] de = new double[steps];
        for (int b = 0; b < batch; b++) {
            double mean = 0;
            for (int s = 0; s < steps; s++) {
                double w = weights[b][s], da = 0;
                if (w == 0) {
                    de[s] = 0;
                    continue;
                }
                long row = ((long) s * batch + b) * width;
                for (int h = 0; h < width; h++) {
                    float g = dc.getAtIndex(JAVA_FLOAT, (long) b * width + h);
                    da += (double) g * val.getAtIndex(JAVA_FLOAT, row + h);
                    if (dVal != null) add(dVal, row + h, w * g);
                }
                de[s] = da;
                mean += w * da;
            }
            for (int s = 0; s < steps; s++) de[s] = weights[b][s] * (de[s] - mean);
            for (int s = 0; s < steps; s++) {
                if (de[s] == 0) continue;
                if (keys == null) {
                    long row = ((long) s * batch + b) * width;
                    for (int h = 0; h < width; h++) {
                        if (dVal != null) add(dVal, row + h, de[s] * q.getAtIndex(JAVA_FLOAT, (long) b * width + h));
                        if (dq != null) add(dq, (long) b * width + h, de[s] * val.getAtIndex(JAVA_FLOAT, row + h));
                    }
                } else {
                    long row = ((long) s * batch + b) * a;
                    for (int j = 0; j < a; j++) {
                        double t = tanh[b][s][j];
                        if (dv != null) add(dv, j, de[s] * t);
                        double pre = de[s] * vv.getAtIndex(JAVA_FLOAT, j) * (1 - t * t);
                        if (dKey != null) add(dKey, row + j, pre);
                        if (dq != null) add(dq, (long) b * a + j, pre);
                    }
                }
            }
        }
    }

    private static void add(MemorySegment grad, long index, double delta) {
        grad.setAtIndex(JAVA_FLOAT, index, (float) (grad.getAtIndex(JAVA_FLOAT, index) + delta));
    }
}
