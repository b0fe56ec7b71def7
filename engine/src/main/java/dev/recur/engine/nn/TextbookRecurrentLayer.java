package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.RecurrentLayerOp;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.tensor.Tensor;

import static dev.recur.engine.autodiff.Activations.relu;
import static dev.recur.engine.autodiff.Activations.sigmoid;
import static dev.recur.engine.autodiff.Activations.tanh;
import static dev.recur.engine.autodiff.Elementwise.add;
import static dev.recur.engine.autodiff.Elementwise.addBias;
import static dev.recur.engine.autodiff.Elementwise.mul;
import static dev.recur.engine.autodiff.Elementwise.sub;
import static dev.recur.engine.autodiff.MatMul.matmul;
import static dev.recur.engine.autodiff.Shapes.concat;
import static dev.recur.engine.autodiff.Shapes.reshape;
import static dev.recur.engine.autodiff.Shapes.slice;

/**
 * The reference recurrent layer, written the textbook way: per step and per gate a separate
 * matmul and separate elementwise ops, all through the generic autodiff graph, so its backward
 * is derived, not hand-written. It is the oracle for {@link RecurrentLayerOp} in tests and its
 * baseline in benchmarks. Same contract and shapes as {@link RecurrentLayerOp#forward}.
 */
public final class TextbookRecurrentLayer {
    private TextbookRecurrentLayer() {
    }

    public static RecurrentLayerOp.Result forward(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr,
                                                  Var h0, Var c0, int[] lengths, boolean reverse) {
        Graph g = x.graph();
        int steps = x.dim(0), batch = x.dim(1), in = x.dim(2);
        int hidden = wIh.dim(0) / mode.gates();
        int out = wHr != null ? wHr.dim(0) : hidden;
        int gates = mode.gates();
        Var[] wi = new Var[gates], wh = new Var[gates], bi = new Var[gates], bh = new Var[gates];
        for (int q = 0; q < gates; q++) {
            wi[q] = slice(wIh, 0, q * hidden, (q + 1) * hidden);
            wh[q] = slice(wHh, 0, q * hidden, (q + 1) * hidden);
            if (bIh != null) {
                bi[q] = slice(bIh, 0, q * hidden, (q + 1) * hidden);
                bh[q] = slice(bHh, 0, q * hidden, (q + 1) * hidden);
            }
        }
        Var h = h0 != null ? h0 : g.constant(g.arena().zeros(batch, out));
        Var c = mode == CellMode.LSTM ? (c0 != null ? c0 : g.constant(g.arena().zeros(batch, hidden))) : null;
        Var[] ys = new Var[steps];
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            Var xt = reshape(slice(x, 0, t, t + 1), batch, in);
            Var hNew, cNew = null;
            switch (mode) {
                case RNN_TANH, RNN_RELU -> {
                    Var a = add(affine(xt, wi[0], bi[0]), affine(h, wh[0], bh[0]));
                    hNew = mode == CellMode.RNN_TANH ? tanh(a) : relu(a);
                }
                case GRU -> {
                    Var r = sigmoid(add(affine(xt, wi[0], bi[0]), affine(h, wh[0], bh[0])));
                    Var z = sigmoid(add(affine(xt, wi[1], bi[1]), affine(h, wh[1], bh[1])));
                    Var n = tanh(add(affine(xt, wi[2], bi[2]), mul(r, affine(h, wh[2], bh[2]))));
                    Var one = g.constant(filled(g, 1f, batch, hidden));
                    hNew = add(mul(sub(one, z), n), mul(z, h));
                }
                case LSTM -> {
                    Var i = sigmoid(add(affine(xt, wi[0], bi[0]), affine(h, wh[0], bh[0])));
                    Var f = sigmoid(add(affine(xt, wi[1], bi[1]), affine(h, wh[1], bh[1])));
                    Var gg = tanh(add(affine(xt, wi[2], bi[2]), affine(h, wh[2], bh[2])));
                    Var o = sigmoid(add(affine(xt, wi[3], bi[3]), affine(h, wh[3], bh[3])));
                    cNew = add(mul(f, c), mul(i, gg));
                    Var mOut = mul(o, tanh(cNew));
                    hNew = wHr != null ? matmul(mOut, wHr, false, true) : mOut;
                }
                default -> throw new IllegalStateException(mode.toString());
            }
            // Per-sample mask: active rows take the new state, inactive rows keep the old one.
            Var keepNew = g.constant(stepMask(g, lengths, t, batch, true));
            Var keepOld = g.constant(stepMask(g, lengths, t, batch, false));
            Var yt = mul(keepNew, hNew);
            h = add(yt, mul(keepOld, h));
            if (cNew != null) c = add(mul(keepNew, cNew), mul(keepOld, c));
            ys[t] = reshape(yt, 1, batch, out);
        }
        return new RecurrentLayerOp.Result(concat(0, ys), h, c);
    }


    /** x [B, K] · w^T (w [N, K]) + b [N] (b may be null). */
    private static Var affine(Var x, Var w, Var b) {
        Var y = matmul(x, w, false, true);
        return b == null ? y : addBias(y, b);
    }

    private static Tensor filled(Graph g, float v, int... shape) {
        Tensor t = g.arena().empty(shape);
        t.fill(v);
        return t;
    }

    /** [B, 1]: 1 where sample b is active at step t (or inactive, when {@code active} is false). */
    private static Tensor stepMask(Graph g, int[] lengths, int t, int batch, boolean active) {
        Tensor m = g.arena().empty(batch, 1);
        for (int b = 0; b < batch; b++) {
            boolean on = lengths == null || t < lengths[b];
            m.set(b, on == active ? 1f : 0f);
        }
        return m;
    }
}
