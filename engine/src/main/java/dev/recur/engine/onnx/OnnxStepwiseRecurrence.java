package dev.recur.engine.onnx;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

/**
 * One direction of ONNX's LSTM, GRU or RNN exactly as the spec writes its equations, step by step,
 * in ONNX's own gate order, for every attribute (GRU with linear_before_reset = 0, LSTM peepholes
 * and input_forget, clip, and every activation function with its alpha and beta). The matrix
 * products (the input projection of all steps at once, each step's recurrent product) go through
 * {@link Kernels#sgemm}; the gate arithmetic is scalar, in double. Readable first: it is the
 * reference {@link OnnxKernelRecurrence} is held to, and what a model loaded with the naive
 * kernels runs.
 *
 * <p>Shapes: x [T, B, I] time-major; w [G·H, I]; r [G·H, H]; bias [2·G·H] ([Wb | Rb]) or null;
 * peepholes [3·H] (i, o, f) or null; h0, c0 [B, H] or null (zeros); y [T, B, H] (or null), hN, cN
 * [B, H] (cN LSTM only). Gates: LSTM i, o, f, c; GRU z, r, h; RNN one. With lengths, a sample's
 * steps past its length leave its state alone and write zeros to y, so that the reverse direction
 * starts at its last valid step.
 */
final class OnnxStepwiseRecurrence {

    /** What a direction computes: the operator, its activations (f, g, h as the op has them) and options. */
    record Cell(String op, int hidden, OnnxActivation[] activations, float clip, boolean inputForget,
                boolean linearBeforeReset) {
        int gates() {
            return switch (op) {
                case "LSTM" -> 4;
                case "GRU" -> 3;
                default -> 1;
            };
        }

        /** The activation's input clipped to [-clip, clip] when a clip is set. */
        double clipped(double v) {
            return Float.isNaN(clip) ? v : Math.max(-clip, Math.min(clip, v));
        }
    }

    private OnnxStepwiseRecurrence() {
    }

    static void run(Cell cell, Kernels k, int steps, int batch, int input, float[] x, float[] w, float[] r, float[] bias,
                    float[] peepholes, int[] lengths, boolean reverse, float[] h0, float[] c0,
                    float[] y, float[] hN, float[] cN) {
        final int hidden = cell.hidden(), gh = cell.gates() * hidden;
        final boolean lstm = cell.op().equals("LSTM"), gru = cell.op().equals("GRU");
        float[] h = h0 == null ? new float[batch * hidden] : h0.clone();
        float[] c = lstm ? (c0 == null ? new float[batch * hidden] : c0.clone()) : null;
        try (TensorArena mem = TensorArena.openUnchecked("ONNX stepwise recurrence")) {   // results copied out
            Tensor xs = mem.of(x, steps * batch, input), wt = mem.of(w, gh, input), rt = mem.of(r, gh, hidden);
            Tensor gx = mem.empty(steps * batch, gh);
            k.sgemm(false, true, steps * batch, gh, input, 1f, xs.data(), 0, input, wt.data(), 0, input, 0f, gx.data(), 0, gh);
            float[] gxs = gx.toArray();
            Tensor hSeg = mem.empty(batch, hidden), ghSeg = mem.empty(batch, gh);
            // GRU with linear_before_reset = 0: the reset gate scales h before the h gate's product,
            // so that product (R's rows 2H..3H) comes second, on r ⊙ h.
            int firstProductRows = gru && !cell.linearBeforeReset() ? 2 * hidden : gh;
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                copyIn(h, hSeg);
                k.sgemm(false, true, batch, firstProductRows, hidden, 1f, hSeg.data(), 0, hidden, rt.data(), 0, hidden,
                        0f, ghSeg.data(), 0, gh);
                float[] ghs = ghSeg.toArray();
                boolean[] active = new boolean[batch];
                for (int b = 0; b < batch; b++) active[b] = lengths == null || t < lengths[b];
                long base = (long) t * batch * gh;
                if (lstm) {
                    lstmStep(cell, batch, hidden, gxs, base, ghs, bias, peepholes, active, h, c);
                } else if (gru) {
                    gruStep(cell, k, batch, hidden, gxs, base, ghs, bias, active, h, rt, hSeg, ghSeg);
                } else {
                    for (int b = 0; b < batch; b++) {
                        if (!active[b]) continue;
                        for (int j = 0; j < hidden; j++) {
                            double v = gxs[(int) (base + b * gh + j)] + ghs[b * gh + j] + biasSum(bias, gh, j);
                            h[b * hidden + j] = (float) cell.activations()[0].apply(cell.clipped(v));
                        }
                    }
                }
                if (y != null) {
                    for (int b = 0; b < batch; b++) {
                        int at = (t * batch + b) * hidden;
                        if (active[b]) System.arraycopy(h, b * hidden, y, at, hidden);
                        else java.util.Arrays.fill(y, at, at + hidden, 0f);
                    }
                }
            }
        }
        System.arraycopy(h, 0, hN, 0, h.length);
        if (cN != null) System.arraycopy(c, 0, cN, 0, c.length);
    }

    /** Wb[j] + Rb[j] of gate column j (0 without B). */
    private static double biasSum(float[] bias, int gh, int j) {
        return bias == null ? 0 : (double) bias[j] + bias[gh + j];
    }

    private static void lstmStep(Cell cell, int batch, int hidden, float[] gxs, long base, float[] ghs, float[] bias,
                                 float[] peepholes, boolean[] active, float[] h, float[] c) {
        int gh = 4 * hidden;
        OnnxActivation f = cell.activations()[0], g = cell.activations()[1], hAct = cell.activations()[2];
        for (int b = 0; b < batch; b++) {
            if (!active[b]) continue;
            for (int j = 0; j < hidden; j++) {
                int row = b * gh;
                long at = base + row;   // gate q's pre-activation: gx + gh + Wb + Rb at column q·H + j; q = i, o, f, c
                double preI = gxs[(int) (at + j)] + ghs[row + j] + biasSum(bias, gh, j);
                double preO = gxs[(int) (at + hidden + j)] + ghs[row + hidden + j] + biasSum(bias, gh, hidden + j);
                double preF = gxs[(int) (at + 2 * hidden + j)] + ghs[row + 2 * hidden + j] + biasSum(bias, gh, 2 * hidden + j);
                double preC = gxs[(int) (at + 3 * hidden + j)] + ghs[row + 3 * hidden + j] + biasSum(bias, gh, 3 * hidden + j);
                double cPrev = c[b * hidden + j];
                double pi = peepholes == null ? 0 : peepholes[j], po = peepholes == null ? 0 : peepholes[hidden + j];
                double pf = peepholes == null ? 0 : peepholes[2 * hidden + j];
                double i = f.apply(cell.clipped(preI + pi * cPrev));
                double forget = cell.inputForget() ? 1 - i : f.apply(cell.clipped(preF + pf * cPrev));
                double candidate = g.apply(cell.clipped(preC));
                double cNext = forget * cPrev + i * candidate;
                double o = f.apply(cell.clipped(preO + po * cNext));
                c[b * hidden + j] = (float) cNext;
                h[b * hidden + j] = (float) (o * hAct.apply(cNext));
            }
        }
    }

    private static void gruStep(Cell cell, Kernels k, int batch, int hidden, float[] gxs, long base, float[] ghs, float[] bias,
                                boolean[] active, float[] h, Tensor rt, Tensor scratch, Tensor product) {
        int gh = 3 * hidden;
        OnnxActivation f = cell.activations()[0], g = cell.activations()[1];
        double[] z = new double[batch * hidden], reset = new double[batch * hidden];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < hidden; j++) {
                int row = b * gh;
                z[b * hidden + j] = f.apply(cell.clipped(gxs[(int) (base + row + j)] + ghs[row + j] + biasSum(bias, gh, j)));
                reset[b * hidden + j] = f.apply(cell.clipped(gxs[(int) (base + row + hidden + j)] + ghs[row + hidden + j]
                        + biasSum(bias, gh, hidden + j)));
            }
        }
        float[] hGate;   // the h gate's recurrent term, [B, H], Rbh included
        if (cell.linearBeforeReset()) {
            hGate = new float[batch * hidden];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < hidden; j++) {
                    double rb = bias == null ? 0 : bias[gh + 2 * hidden + j];
                    hGate[b * hidden + j] = (float) (reset[b * hidden + j] * (ghs[b * gh + 2 * hidden + j] + rb));
                }
            }
        } else {
            float[] scaled = new float[batch * hidden];
            for (int i = 0; i < scaled.length; i++) scaled[i] = (float) (reset[i] * h[i]);
            copyIn(scaled, scratch);
            k.sgemm(false, true, batch, hidden, hidden, 1f, scratch.data(), 0, hidden, rt.data(), (long) 2 * hidden * hidden, hidden,
                    0f, product.data(), 0, hidden);
            float[] p = product.toArray();
            hGate = new float[batch * hidden];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < hidden; j++) {
                    hGate[b * hidden + j] = (float) (p[b * hidden + j] + (bias == null ? 0 : bias[gh + 2 * hidden + j]));
                }
            }
        }
        for (int b = 0; b < batch; b++) {
            if (!active[b]) continue;
            for (int j = 0; j < hidden; j++) {
                double wb = bias == null ? 0 : bias[2 * hidden + j];
                double candidate = g.apply(cell.clipped(gxs[(int) (base + b * gh + 2 * hidden + j)] + wb + hGate[b * hidden + j]));
                double zz = z[b * hidden + j];
                h[b * hidden + j] = (float) ((1 - zz) * candidate + zz * h[b * hidden + j]);
            }
        }
    }

    private static void copyIn(float[] values, Tensor dst) {
        java.lang.foreign.MemorySegment.copy(values, 0, dst.data(), Tensor.FLOAT, 0, values.length);
    }
}
