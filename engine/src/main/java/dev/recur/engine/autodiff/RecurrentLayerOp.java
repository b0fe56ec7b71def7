package dev.recur.engine.autodiff;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.Recurrence;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.lang.foreign.MemorySegment;

/**
 * One whole recurrent layer in one direction as a single graph node, with hand-written BPTT.
 * The fast path of architecture.md (Appleyard et al. 2016):
 * <ol>
 *   <li>one input-projection GEMM for all steps: Gx [T·B, G·H] = X [T·B, I] · W_ih^T, plus the
 *       biases that can be folded (all of them, except GRU's b_hn which sits inside r ⊙ (...));</li>
 *   <li>the recurrence, {@link Kernels#recurrentForward}: per step Gh [B, G·H] = h_prev · W_hh^T and
 *       the fused pointwise update (gates, state update, length mask, output); LSTM with
 *       projection adds h = m · W_hr^T;</li>
 *   <li>backward: {@link Kernels#recurrentBackward} (per step the pointwise backward and dh_prev),
 *       then the weight gradients as single GEMMs over all steps (dW_ih = dGx^T X, dW_hh = dGh^T H_prev).</li>
 * </ol>
 * Shapes: x [T,B,I] time-major with padded steps already zeroed; w_ih [G·H, I]; w_hh [G·H, P];
 * w_hr [P, H] or null; biases [G·H] or null; h0 [B,P] and c0 [B,H] or null (zeros); P = H
 * without projection. Outputs: y [T,B,P] (zeros at padded steps), hN [B,P], cN [B,H] (LSTM).
 *
 * <p>When a gradient is needed, states are stored by time index in S [T+1, B, P]: forward
 * S[0] = h0 and S[t+1] = h_t; reverse S[T] = h0 and S[t] = h_t. Either way the states preceding
 * steps 0..T-1 are one contiguous block, aligned row for row with X and Gx, so dW_hh is one GEMM.
 * Inference keeps only a two-slot ring (see {@link Recurrence}).
 */
public final class RecurrentLayerOp {
    /** The three outputs of a layer direction; cN is null except for LSTM. */
    public record Result(Var y, Var hN, Var cN) {
    }

    private RecurrentLayerOp() {
    }

    /**
     * grad[rows, cols] += dG^T · X, with dG [n, rows] and X [n, cols] from float xOff: a weight
     * gradient summed over every step and sample. Computed as (X^T · dG)^T into a scratch tile and
     * added transposed: the GEMM then transposes the narrow X while packing (cols x n floats)
     * instead of the wide dG (G·H x n for W_ih and W_hh, 4x more for LSTM), the costliest part of
     * this GEMM.
     */
    private static void addWeightGradient(Kernels k, TensorArena mem, int n, int rows, int cols, MemorySegment dG,
                                          MemorySegment x, long xOff, Tensor grad) {
        Tensor product = mem.empty(cols, rows);
        k.sgemm(true, false, cols, rows, n, 1f, x, xOff, cols, dG, 0, rows, 0f, product.data(), 0, rows);
        k.addTransposed(cols, rows, product.data(), 0, grad.data(), 0);
    }

    /**
     * Below this input size W_ih's gradient stays a GEMM of its own: with I = 2 (the adding
     * problem) the [x | h_prev] copy cost more than packing dG again saved.
     */
    private static final int COMBINED_MIN_INPUT = 16;

    /**
     * W_ih's and W_hh's gradients when both come from the same dG [n, rows] (LSTM, RNN): one GEMM
     * over [x | h_prev] rows ([n, in + out], copied side by side) instead of two, so dG, the large
     * operand (read from memory: it is far larger than the caches), is packed once, and the narrow
     * x (I columns, a poor GEMM shape alone) rides along with h_prev. With {@code biasSums} a column
     * of ones goes along too: its row of the product is dG's column sums, the bias gradient, which
     * then costs one more row of the GEMM instead of another pass over dG.
     */
    private static void addInputAndRecurrentWeightGradients(Kernels k, TensorArena mem, int n, int rows, int in, int out,
                                                            MemorySegment dG, MemorySegment x, MemorySegment hPrev,
                                                            long hPrevOff, Tensor gradIh, Tensor gradHh, Tensor biasSums) {
        int cols = in + out + (biasSums != null ? 1 : 0);
        Tensor xh = mem.empty(n, cols);
        k.copyBlock(n, in, x, 0, in, xh.data(), 0, cols);
        k.copyBlock(n, out, hPrev, hPrevOff, out, xh.data(), in, cols);
        if (biasSums != null) {
            for (long r = 0; r < n; r++) xh.set(r * cols + in + out, 1f);
        }
        Tensor product = mem.empty(cols, rows);
        k.sgemm(true, false, cols, rows, n, 1f, xh.data(), 0, cols, dG, 0, rows, 0f, product.data(), 0, rows);
        k.addTransposed(in, rows, product.data(), 0, gradIh.data(), 0);
        k.addTransposed(out, rows, product.data(), (long) in * rows, gradHh.data(), 0);
        if (biasSums != null) {
            MemorySegment.copy(product.data(), (long) (in + out) * rows * Float.BYTES, biasSums.data(), 0, (long) rows * Float.BYTES);
        }
    }

    /**
     * Whether the bias rides in the projection's GEMM as a column: when the input is at most a
     * quarter as wide as the gates and the projection has more rows (n = T·B) than inputs. The
     * column costs a copy of W_ih (gh x in floats), the separate bias pass one over gx (n x gh),
     * so a short batch-1 sequence adds the bias afterwards.
     */
    private static boolean biasAsColumn(int n, int gh, int in) {
        return in <= gh / 4 && n > in;
    }

    /**
     * gx [n, gh] = [x | 1] · [W_ih | bias]^T: the bias as one more column of the GEMM instead of a
     * pass of its own over gx (n x gh floats read and written again; 2 % of a Fashion-MNIST step).
     * Copying the narrow x [n, in] and W_ih [gh, in] side by side with their extra column costs far
     * less than that pass while in is small next to gh.
     */
    private static void projectWithBiasColumn(Kernels k, TensorArena mem, int n, int gh, int in, MemorySegment x,
                                              MemorySegment wIh, Tensor bias, Tensor gx) {
        int cols = in + 1;
        Tensor xOnes = mem.empty(n, cols), wBias = mem.empty(gh, cols);
        k.copyBlock(n, in, x, 0, in, xOnes.data(), 0, cols);
        k.copyBlock(gh, in, wIh, 0, in, wBias.data(), 0, cols);
        for (long r = 0; r < n; r++) xOnes.set(r * cols + in, 1f);
        for (int r = 0; r < gh; r++) wBias.set((long) r * cols + in, bias.get(r));
        k.sgemm(false, true, n, gh, cols, 1f, xOnes.data(), 0, cols, wBias.data(), 0, cols, 0f, gx.data(), 0, gh);
    }

    /** A scratch copy of w with every element rounded to the nearest bf16 value. */
    private static MemorySegment roundedToBf16(Kernels k, TensorArena mem, Tensor w) {
        Tensor rounded = mem.empty(w.shape());
        k.roundToBf16(Math.toIntExact(w.size()), w.data(), 0, rounded.data(), 0);
        return rounded.data();
    }

    public static Result forward(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr,
                                 Var h0, Var c0, int[] lengths, boolean reverse) {
        return forward(mode, x, wIh, wHh, bIh, bHh, wHr, h0, c0, lengths, reverse, WeightPrecision.FP32);
    }

    /**
     * As above, with W_ih and W_hh used at the given precision. bf16 (inference only: no input
     * may need a gradient) rounds W_ih into a scratch copy for the projection, whose GEMM reuses
     * each weight T·B times, and leaves W_hh, read once per step, to the recurrence's kernels
     * ({@link Recurrence}), which stream it as bf16. Biases, W_hr and all arithmetic stay fp32.
     */
    public static Result forward(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr,
                                 Var h0, Var c0, int[] lengths, boolean reverse, WeightPrecision weights) {
        Graph g = x.graph();
        Kernels k = g.kernels();
        TensorArena mem = g.arena();
        final int steps = x.dim(0), batch = x.dim(1), in = x.dim(2);
        final int gh = wIh.dim(0), hidden = gh / mode.gates();
        final int out = wHr != null ? wHr.dim(0) : hidden;
        final boolean lstm = mode == CellMode.LSTM, gru = mode == CellMode.GRU;
        final long stepOut = (long) batch * out, stepHidden = (long) batch * hidden;
        final Var[] inputs = {x, wIh, wHh, bIh, bHh, wHr, h0, c0};
        boolean keepAll = g.needsGrad(inputs);   // Recurrence refuses bf16 weights with it
        final MemorySegment wIhData = weights == WeightPrecision.BF16 ? roundedToBf16(k, mem, wIh.value())
                : wIh.value().data();

        // 1. Input projection for every step, with the foldable biases.
        Tensor gx = mem.empty(steps * batch, gh);
        MemorySegment bhn = null;
        if (bIh == null) {
            k.sgemm(false, true, steps * batch, gh, in, 1f, x.value().data(), 0, in, wIhData, 0, in,
                    0f, gx.data(), 0, gh);
        } else {
            Tensor folded = mem.copyOf(bIh.value());
            int foldedHh = gru ? 2 * hidden : gh; // GRU keeps b_hn apart: n = tanh(.. + r * (W_hn h + b_hn))
            k.axpy(foldedHh, 1f, bHh.value().data(), 0, folded.data(), 0);
            if (biasAsColumn(steps * batch, gh, in)) {
                projectWithBiasColumn(k, mem, steps * batch, gh, in, x.value().data(), wIhData, folded, gx);
            } else {
                k.sgemm(false, true, steps * batch, gh, in, 1f, x.value().data(), 0, in, wIhData, 0, in,
                        0f, gx.data(), 0, gh);
                k.addRowVector(steps * batch, gh, gx.data(), 0, gh, folded.data(), 0);
            }
            if (gru) bhn = bHh.value().data().asSlice(2L * hidden * Float.BYTES);
        }

        // 2. The recurrence. Backward needs every step's state and activations; inference keeps
        // a two-slot ring of states and one step of activations (see Recurrence).
        int slots = Recurrence.stateSlots(steps, keepAll), saved = Recurrence.savedSteps(steps, keepAll);
        Tensor states = mem.empty(slots, batch, out);
        Tensor cells = lstm ? mem.empty(slots, batch, hidden) : null;
        // Training keeps every step's activations in place of its input projection (see Recurrence).
        Tensor act = lstm || gru ? (keepAll ? gx : mem.empty(saved, batch, gh)) : null;
        Tensor ghn = gru ? mem.empty(saved, batch, hidden) : null;
        Tensor m = wHr != null ? mem.empty(saved, batch, hidden) : null;
        Tensor y = mem.empty(steps, batch, out);
        MemorySegment S = states.data();
        Recurrence recurrence = new Recurrence(mode, steps, batch, hidden, out, lengths, reverse, keepAll, weights,
                gx.data(), wHh.value().data(), bhn, wHr == null ? null : wHr.value().data(), S, lstm ? cells.data() : null,
                act == null ? null : act.data(), gru ? ghn.data() : null, m == null ? null : m.data(), y.data());
        copyOrZero(h0, states, recurrence.initialSlot() * stepOut, stepOut);
        if (lstm) copyOrZero(c0, cells, recurrence.initialSlot() * stepHidden, stepHidden);
        k.recurrentForward(recurrence);
        Tensor hN = mem.empty(batch, out);
        MemorySegment.copy(S, recurrence.finalSlot() * stepOut * Float.BYTES, hN.data(), 0, stepOut * Float.BYTES);
        Tensor cN = null;
        if (lstm) {
            cN = mem.empty(batch, hidden);
            MemorySegment.copy(cells.data(), recurrence.finalSlot() * stepHidden * Float.BYTES, cN.data(), 0,
                    stepHidden * Float.BYTES);
        }
        Var yVar = g.result(y, inputs), hVar = g.result(hN, inputs), cVar = lstm ? g.result(cN, inputs) : null;
        if (!keepAll) {
            return new Result(yVar, hVar, cVar);
        }

        g.record(mode.id() + " layer", () -> {
            MemorySegment dY = yVar.hasGrad() ? yVar.grad().data() : null;
            Tensor dh = mem.zeros(batch, out);
            if (hVar.hasGrad()) dh.copyFrom(hVar.grad());
            Tensor dc = lstm ? mem.zeros(batch, hidden) : null;
            if (lstm && cVar.hasGrad()) dc.copyFrom(cVar.grad());
            // Each step's gate gradients replace its activations (or, for RNN, its spent input
            // projection): the kernels read a step's act before writing its gradient there.
            Tensor dgx = gx;
            Tensor dgh = gru ? mem.empty(steps * batch, gh) : dgx; // LSTM and RNN: dGh == dGx
            Tensor dCand = wHr != null ? mem.empty(steps, batch, out) : null;
            k.recurrentBackward(recurrence, new Recurrence.Grads(dY, dh.data(), lstm ? dc.data() : null, dgx.data(),
                    dgh.data(), dCand == null ? null : dCand.data()));
            int n = steps * batch;
            long firstPrev = reverse ? stepOut : 0;   // h_prev of steps 0..T-1: one block of S
            boolean bothBiases = bIh != null && bIh.requiresGrad() && bHh != null && bHh.requiresGrad();
            // LSTM and RNN: both bias gradients are the same column sums of dG; one pass over dG, not two.
            Tensor biasSums = bothBiases && dgh == dgx ? mem.zeros(gh) : null;
            boolean biasesSummed = false;
            if (wIh.requiresGrad() && wHh.requiresGrad() && dgh == dgx && in >= COMBINED_MIN_INPUT) {
                addInputAndRecurrentWeightGradients(k, mem, n, gh, in, out, dgx.data(), x.value().data(), S, firstPrev,
                        wIh.grad(), wHh.grad(), biasSums);
                biasesSummed = biasSums != null;
            } else {
                if (wIh.requiresGrad()) {
                    addWeightGradient(k, mem, n, gh, in, dgx.data(), x.value().data(), 0, wIh.grad());
                }
                if (wHh.requiresGrad()) {
                    addWeightGradient(k, mem, n, gh, out, dgh.data(), S, firstPrev, wHh.grad());
                }
            }
            if (biasSums != null) {
                if (!biasesSummed) k.sumRows(n, gh, dgx.data(), 0, gh, biasSums.data(), 0);
                k.axpy(gh, 1f, biasSums.data(), 0, bIh.grad().data(), 0);
                k.axpy(gh, 1f, biasSums.data(), 0, bHh.grad().data(), 0);
            } else {
                if (bIh != null && bIh.requiresGrad()) k.sumRows(n, gh, dgx.data(), 0, gh, bIh.grad().data(), 0);
                if (bHh != null && bHh.requiresGrad()) k.sumRows(n, gh, dgh.data(), 0, gh, bHh.grad().data(), 0);
            }
            if (wHr != null && wHr.requiresGrad()) {
                addWeightGradient(k, mem, n, out, hidden, dCand.data(), m.data(), 0, wHr.grad());
            }
            if (x.requiresGrad()) {
                k.sgemm(false, false, n, in, gh, 1f, dgx.data(), 0, gh, wIh.value().data(), 0, in, 1f, x.grad().data(), 0, in);
            }
            if (h0 != null && h0.requiresGrad()) k.axpy((int) stepOut, 1f, dh.data(), 0, h0.grad().data(), 0);
            if (c0 != null && c0.requiresGrad()) k.axpy((int) stepHidden, 1f, dc.data(), 0, c0.grad().data(), 0);
        });
        return new Result(yVar, hVar, cVar);
    }

    private static void copyOrZero(Var init, Tensor dst, long offset, long count) {
        if (init == null) {
            dst.data().asSlice(offset * Float.BYTES, count * Float.BYTES).fill((byte) 0);
        } else {
            MemorySegment.copy(init.value().data(), 0, dst.data(), offset * Float.BYTES, count * Float.BYTES);
        }
    }
}
