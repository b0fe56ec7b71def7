package dev.recur.engine.onnx;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.lang.foreign.MemorySegment;

/**
 * One direction of ONNX's LSTM, GRU or RNN, for what the fused layer does not run (LSTM peepholes
 * and input_forget, clip, GRU with linear_before_reset = 0, activations other than PyTorch's), on
 * the engine's twin-tested kernels ({@link Kernels}). Per step one SGEMM gives every gate that
 * needs only h (R held transposed, [H, G·H], so that it is a plain product), then each gate is
 * copied to a [B, H] buffer of its own, so that every elementwise step is one kernel call over
 * B·H floats:
 * <pre>
 *   gx     = x·W^T + Wb + Rb                            once for all steps, one GEMM
 *   pre_q  = gx_q[t] + h·R_q^T                          one SGEMM per step (GRU: z and r)
 *   LSTM   i = f(clip(pre_i + P_i ⊙ c)), f = f(clip(pre_f + P_f ⊙ c)) or 1 - i (input_forget)
 *          c' = f ⊙ c + i ⊙ g(clip(pre_c)), o = f(clip(pre_o + P_o ⊙ c')), h' = o ⊙ h(c')
 *   GRU    z = f(clip(pre_z)), r = f(clip(pre_r))
 *          h~ = g(clip(gx_h[t] + (r ⊙ h)·R_h^T + Rb_h))          linear_before_reset = 0
 *          h~ = g(clip(gx_h[t] + r ⊙ (h·R_h^T + Rb_h)))          linear_before_reset = 1
 *          h' = h~ + z ⊙ (h - h~)
 *   RNN    h' = f(clip(pre))
 * </pre>
 * with a sample's state kept and zeros written to y past its length. Sigmoid, Tanh and Relu have
 * kernels of their own; the other eight of the spec's activations run on
 * {@link Kernels#gateFunction}. {@link OnnxStepwiseRecurrence}, the spec's equations in double,
 * is this class's reference ({@code OnnxKernelRecurrenceTest} holds the two together).
 *
 * <p>Shapes as {@link OnnxStepwiseRecurrence}, gates in ONNX's order (LSTM i, o, f, c; GRU z, r,
 * h): x [T, B, I]; w [G·H, I]; r [G·H, H]; bias [2·G·H] or null; peepholes [3·H] (i, o, f) or
 * null; h0, c0 [B, H] or null; y [T, B, H] or null; hN, cN [B, H].
 */
final class OnnxKernelRecurrence {
    private OnnxKernelRecurrence() {
    }

    static void run(OnnxStepwiseRecurrence.Cell cell, Kernels k, int steps, int batch, int input, float[] x, float[] w,
                    float[] r, float[] bias, float[] peepholes, int[] lengths, boolean reverse, float[] h0, float[] c0,
                    float[] y, float[] hN, float[] cN) {
        final int hidden = cell.hidden(), gates = cell.gates(), gh = gates * hidden, n = batch * hidden;
        final boolean lstm = cell.op().equals("LSTM"), gru = cell.op().equals("GRU");
        final boolean resetAfter = gru && cell.linearBeforeReset();   // Rb_h stays inside r ⊙ (...)
        final int direct = gru ? 2 : gates;                              // GRU's h gate waits for r
        try (TensorArena mem = TensorArena.openUnchecked("ONNX recurrence on kernels")) {   // results copied out
            Tensor xs = mem.of(x, steps * batch, input), ws = mem.of(w, gh, input);
            // R^T [H, G·H], k-major: each step's product is a plain one, every gate that needs only h at once.
            Tensor rt = mem.empty(hidden, gh);
            for (int row = 0; row < gh; row++) {
                for (int j = 0; j < hidden; j++) rt.set((long) j * gh + row, r[row * hidden + j]);
            }
            Tensor bs = bias == null ? null : mem.of(bias, 2 * gh);
            // gx [T·B, G·H] = x·W^T + Wb + Rb (with linear_before_reset, Rb_h is left out: it goes inside r ⊙ (...)).
            Tensor gx = mem.empty(steps * batch, gh);
            k.sgemm(false, true, steps * batch, gh, input, 1f, xs.data(), 0, input, ws.data(), 0, input, 0f, gx.data(), 0, gh);
            if (bs != null) {
                Tensor b = mem.of(java.util.Arrays.copyOf(bias, gh), gh);
                k.axpy(resetAfter ? 2 * hidden : gh, 1f, bs.data(), gh, b.data(), 0);
                k.addRowVector(steps * batch, gh, gx.data(), 0, gh, b.data(), 0);
            }
            Tensor p = peepholes == null ? null : mem.of(peepholes, 3 * hidden);
            Tensor h = h0 == null ? mem.zeros(batch, hidden) : mem.of(h0, batch, hidden);
            Tensor c = lstm ? (c0 == null ? mem.zeros(batch, hidden) : mem.of(c0, batch, hidden)) : null;
            Tensor hNext = mem.empty(batch, hidden), cNext = lstm ? mem.empty(batch, hidden) : null;
            Tensor all = mem.empty(batch, gh);   // this step's pre-activations, the gates side by side
            Tensor[] pre = new Tensor[gates];   // and gate by gate, [B, H] each
            for (int q = 0; q < gates; q++) pre[q] = mem.empty(batch, hidden);
            Tensor scratch = mem.empty(batch, hidden), update = mem.empty(batch, hidden);
            Tensor ones = lstm && cell.inputForget() ? mem.empty(batch, hidden) : null;
            for (long j = 0; ones != null && j < n; j++) ones.set(j, 1f);
            Tensor ys = y == null ? null : mem.empty(steps, batch, hidden);
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                // pre_q = gx_q[t] + h·R_q^T for the direct gates, in one product; GRU's h gate gets gx_h[t] only
                MemorySegment.copy(gx.data(), (long) t * batch * gh * Float.BYTES, all.data(), 0, (long) batch * gh * Float.BYTES);
                k.sgemm(false, false, batch, direct * hidden, hidden, 1f, h.data(), 0, hidden, rt.data(), 0, gh,
                        1f, all.data(), 0, gh);
                for (int q = 0; q < gates; q++) k.copyBlock(batch, hidden, all.data(), (long) q * hidden, gh, pre[q].data(), 0, hidden);
                if (lstm) {
                    lstmCell(cell, k, batch, hidden, pre, p, c, update, cNext, ones);
                } else if (gru) {
                    gruGates(cell, k, batch, hidden, h, rt, bs, pre, scratch, update);
                } else {
                    clip(cell, k, n, pre[0]);
                    activate(cell.activations()[0], k, n, pre[0], update);
                }
                k.maskedStep(batch, hidden, t, lengths, update.data(), 0, h.data(), 0, hNext.data(), 0,
                        ys == null ? null : ys.data(), (long) t * n, hidden);
                Tensor spent = h;
                h = hNext;
                hNext = spent;
                if (lstm) {
                    k.maskedStep(batch, hidden, t, lengths, cNext.data(), 0, c.data(), 0, scratch.data(), 0, null, 0, hidden);
                    Tensor kept = c;
                    c = scratch;
                    scratch = kept;
                }
            }
            if (ys != null) MemorySegment.copy(ys.data(), Tensor.FLOAT, 0, y, 0, y.length);
            MemorySegment.copy(h.data(), Tensor.FLOAT, 0, hN, 0, hN.length);
            if (cN != null) MemorySegment.copy(c.data(), Tensor.FLOAT, 0, cN, 0, cN.length);
        }
    }

    /** pre = [i, o, f, c] -> cNext and the candidate state hCand; ones (B·H ones) only with input_forget. */
    private static void lstmCell(OnnxStepwiseRecurrence.Cell cell, Kernels k, int batch, int hidden, Tensor[] pre, Tensor p,
                                 Tensor c, Tensor hCand, Tensor cNext, Tensor ones) {
        int n = batch * hidden;
        OnnxActivation f = cell.activations()[0], g = cell.activations()[1], hAct = cell.activations()[2];
        Tensor i = pre[0], o = pre[1], forget = pre[2], candidate = pre[3];
        if (p != null) peephole(k, batch, hidden, p, 0, c, i);
        clip(cell, k, n, i);
        activate(f, k, n, i, i);
        if (ones != null) {
            k.sub(n, ones.data(), 0, i.data(), 0, forget.data(), 0);   // input_forget: f = 1 - i
        } else {
            if (p != null) peephole(k, batch, hidden, p, 2 * hidden, c, forget);
            clip(cell, k, n, forget);
            activate(f, k, n, forget, forget);
        }
        clip(cell, k, n, candidate);
        activate(g, k, n, candidate, candidate);
        // c' = f ⊙ c + i ⊙ g
        k.mul(n, forget.data(), 0, c.data(), 0, cNext.data(), 0);
        k.mulAccumulate(n, i.data(), 0, candidate.data(), 0, cNext.data(), 0);
        if (p != null) peephole(k, batch, hidden, p, hidden, cNext, o);
        clip(cell, k, n, o);
        activate(f, k, n, o, o);
        activate(hAct, k, n, cNext, hCand);
        k.mul(n, o.data(), 0, hCand.data(), 0, hCand.data(), 0);
    }

    /** gate[b, :] += P[from .. from + H) ⊙ c[b, :] for every row b. */
    private static void peephole(Kernels k, int batch, int hidden, Tensor p, int from, Tensor c, Tensor gate) {
        for (int b = 0; b < batch; b++) {
            k.mulAccumulate(hidden, p.data(), from, c.data(), (long) b * hidden, gate.data(), (long) b * hidden);
        }
    }

    /** pre = [z, r, gx_h[t]] -> the candidate state hCand; the h gate's product comes after r. */
    private static void gruGates(OnnxStepwiseRecurrence.Cell cell, Kernels k, int batch, int hidden, Tensor h, Tensor rt,
                                 Tensor bs, Tensor[] pre, Tensor tmp, Tensor hCand) {
        int n = batch * hidden, gh = 3 * hidden;
        long rh = 2L * hidden;   // R_h^T: the last H columns of R^T [H, 3H]
        OnnxActivation f = cell.activations()[0], g = cell.activations()[1];
        Tensor z = pre[0], reset = pre[1], candidate = pre[2];
        for (Tensor gate : new Tensor[]{z, reset}) {
            clip(cell, k, n, gate);
            activate(f, k, n, gate, gate);
        }
        if (cell.linearBeforeReset()) {
            // candidate += r ⊙ (h·R_h^T + Rb_h)
            k.sgemm(false, false, batch, hidden, hidden, 1f, h.data(), 0, hidden, rt.data(), rh, gh, 0f, tmp.data(), 0, hidden);
            if (bs != null) k.addRowVector(batch, hidden, tmp.data(), 0, hidden, bs.data(), 5L * hidden);
            k.mulAccumulate(n, reset.data(), 0, tmp.data(), 0, candidate.data(), 0);
        } else {
            // candidate += (r ⊙ h)·R_h^T  (Rb_h is in gx_h)
            k.mul(n, reset.data(), 0, h.data(), 0, tmp.data(), 0);
            k.sgemm(false, false, batch, hidden, hidden, 1f, tmp.data(), 0, hidden, rt.data(), rh, gh, 1f, candidate.data(), 0, hidden);
        }
        clip(cell, k, n, candidate);
        activate(g, k, n, candidate, candidate);
        // h' = h~ + z ⊙ (h - h~)
        k.sub(n, h.data(), 0, candidate.data(), 0, tmp.data(), 0);
        k.mul(n, z.data(), 0, tmp.data(), 0, hCand.data(), 0);
        k.add(n, candidate.data(), 0, hCand.data(), 0, hCand.data(), 0);
    }

    private static void clip(OnnxStepwiseRecurrence.Cell cell, Kernels k, int n, Tensor gate) {
        if (!Float.isNaN(cell.clip())) k.clamp(n, cell.clip(), gate.data(), 0, gate.data(), 0);
    }

    private static void activate(OnnxActivation a, Kernels k, int n, Tensor from, Tensor to) {
        switch (a.kind()) {
            case SIGMOID -> k.sigmoid(n, from.data(), 0, to.data(), 0);
            case TANH -> k.tanh(n, from.data(), 0, to.data(), 0);
            case RELU -> k.relu(n, from.data(), 0, to.data(), 0);
            default -> k.gateFunction(a.gateFunction(), a.alpha(), a.beta(), n, from.data(), 0, to.data(), 0);
        }
    }
}
