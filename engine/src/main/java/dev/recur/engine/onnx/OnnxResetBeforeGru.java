package dev.recur.engine.onnx;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

/**
 * One direction of ONNX's GRU with linear_before_reset = 0 (the original GRU, Keras'
 * reset_after=False) and its default activations (Sigmoid, Tanh), no clip, built from the
 * engine's twin-tested kernels ({@link Kernels}): per step
 * <pre>
 *   [z | r]  = sigmoid(x_t·[Wz | Wr]^T + Wb_zr + h·[Rz | Rr]^T + Rb_zr)     one GEMM into a copy of gx's z, r columns
 *   h~       = tanh(x_t·Wh^T + Wbh + (r ⊙ h)·Rh^T + Rbh)                      a second GEMM, on r ⊙ h
 *   h'       = h~ + z ⊙ (h - h~)  (= (1 - z) ⊙ h~ + z ⊙ h), masked by the sample's length
 * </pre>
 * in ONNX's gate order (z, r, h), every buffer off-heap. {@link OnnxStepwiseRecurrence} is its
 * reference (scalar, the spec's equations as written); {@code OnnxResetBeforeGruTest} holds the two
 * together. The reset gate's place before the second product is why the fused layer cannot run it:
 * its one product per step would need r first.
 *
 * <p>Shapes as {@link OnnxStepwiseRecurrence}: x [T, B, I]; w [3H, I]; r [3H, H]; bias [6H] or null;
 * h0 [B, H] or null; y [T, B, H] or null; hN [B, H].
 */
final class OnnxResetBeforeGru {
    private OnnxResetBeforeGru() {
    }

    /** Whether {@code cell} is one this class runs: GRU, linear_before_reset = 0, Sigmoid and Tanh, no clip. */
    static boolean runs(OnnxStepwiseRecurrence.Cell cell) {
        return cell.op().equals("GRU") && !cell.linearBeforeReset() && Float.isNaN(cell.clip())
                && cell.activations()[0].kind() == OnnxActivation.Kind.SIGMOID
                && cell.activations()[1].kind() == OnnxActivation.Kind.TANH;
    }

    static void run(Kernels k, int steps, int batch, int input, int hidden, float[] x, float[] w, float[] r, float[] bias,
                    int[] lengths, boolean reverse, float[] h0, float[] y, float[] hN) {
        final int gh = 3 * hidden, zrWidth = 2 * hidden;
        try (TensorArena mem = TensorArena.open("ONNX GRU, reset before the product")) {
            Tensor xs = mem.of(x, steps * batch, input), ws = mem.of(w, gh, input), rs = mem.of(r, gh, hidden);
            Tensor gx = mem.empty(steps * batch, gh);
            k.sgemm(false, true, steps * batch, gh, input, 1f, xs.data(), 0, input, ws.data(), 0, input, 0f, gx.data(), 0, gh);
            Tensor rb = null;
            if (bias != null) {
                Tensor wb = mem.of(java.util.Arrays.copyOfRange(bias, 0, gh), gh);
                rb = mem.of(java.util.Arrays.copyOfRange(bias, gh, 2 * gh), gh);
                k.addRowVector(steps * batch, gh, gx.data(), 0, gh, wb.data(), 0);
            }
            Tensor h = h0 == null ? mem.zeros(batch, hidden) : mem.of(h0, batch, hidden);
            Tensor next = mem.empty(batch, hidden), zr = mem.empty(batch, zrWidth), scaled = mem.empty(batch, hidden);
            Tensor candidate = mem.empty(batch, hidden), update = mem.empty(batch, hidden);
            Tensor ys = y == null ? null : mem.empty(steps, batch, hidden);
            int n = batch * hidden;
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                long gxRow = (long) t * batch * gh;
                // [z | r] = sigmoid(gx_t[:, 0:2H] + h·R[0:2H]^T + Rb[0:2H])
                k.copyBlock(batch, zrWidth, gx.data(), gxRow, gh, zr.data(), 0, zrWidth);
                k.sgemm(false, true, batch, zrWidth, hidden, 1f, h.data(), 0, hidden, rs.data(), 0, hidden, 1f, zr.data(), 0, zrWidth);
                if (rb != null) k.addRowVector(batch, zrWidth, zr.data(), 0, zrWidth, rb.data(), 0);
                k.sigmoid(batch * zrWidth, zr.data(), 0, zr.data(), 0);
                // h~ = tanh(gx_t[:, 2H:3H] + (r ⊙ h)·R[2H:3H]^T + Rb[2H:3H])
                for (int b = 0; b < batch; b++) {
                    k.mul(hidden, zr.data(), (long) b * zrWidth + hidden, h.data(), (long) b * hidden, scaled.data(), (long) b * hidden);
                }
                k.copyBlock(batch, hidden, gx.data(), gxRow + zrWidth, gh, candidate.data(), 0, hidden);
                k.sgemm(false, true, batch, hidden, hidden, 1f, scaled.data(), 0, hidden, rs.data(), (long) zrWidth * hidden, hidden,
                        1f, candidate.data(), 0, hidden);
                if (rb != null) k.addRowVector(batch, hidden, candidate.data(), 0, hidden, rb.data(), zrWidth);
                k.tanh(n, candidate.data(), 0, candidate.data(), 0);
                // h' = h~ + z ⊙ (h - h~), then the length mask: inactive rows keep h and write 0 to y
                k.sub(n, h.data(), 0, candidate.data(), 0, update.data(), 0);
                for (int b = 0; b < batch; b++) {
                    k.mul(hidden, zr.data(), (long) b * zrWidth, update.data(), (long) b * hidden, update.data(), (long) b * hidden);
                }
                k.add(n, candidate.data(), 0, update.data(), 0, update.data(), 0);
                k.maskedStep(batch, hidden, t, lengths, update.data(), 0, h.data(), 0, next.data(), 0,
                        ys == null ? null : ys.data(), (long) t * batch * hidden, hidden);
                Tensor spent = h;
                h = next;
                next = spent;
            }
            if (ys != null) java.lang.foreign.MemorySegment.copy(ys.data(), Tensor.FLOAT, 0, y, 0, y.length);
            java.lang.foreign.MemorySegment.copy(h.data(), Tensor.FLOAT, 0, hN, 0, hN.length);
        }
    }
}
