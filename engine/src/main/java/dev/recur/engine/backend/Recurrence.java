package dev.recur.engine.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The recurrence of one layer direction, all steps: its sizes and the buffers it reads and writes.
 * The input projection is already done ({@code gx}); this is the sequential part, where
 * per step h_prev · W_hh^T meets the cell's pointwise update. Offsets are zero; data row-major.
 *
 * <pre>
 *   gx     [T, B, G·H]  x·W_ih^T + foldable biases (GRU: b_hn stays apart, in bhn)
 *   wHh    [G·H, P]     P = H, or the projection size when wHr is given
 *   bhn    [H]          GRU's b_hn, or null
 *   wHr    [P, H]       LSTM projection, or null
 *   states [S, B, P]    states by time index; the initial state goes in {@link #initialSlot}
 *   cells  [S, B, H]    LSTM cell states, same slots; null for other modes
 *   act    [T', B, G·H] gate activations (LSTM, GRU), kept for backward; may be gx itself
 *   ghn    [T', B, H]   GRU's W_hn·h + b_hn, kept for backward
 *   m      [T', B, H]   LSTM with projection: o·tanh(c) before W_hr
 *   y      [T, B, P]    layer output, zero at padded steps
 * </pre>
 * With {@code keepAll} (training: backward needs every step) S = T+1 and T' = T: the state that
 * precedes time t sits in slot t (forward) or t+1 (reverse), so the states preceding steps
 * 0..T-1 form one block aligned with gx. Without it (inference) S = 2, a ring, and T' = 1: act,
 * ghn and m are per-step scratch. With keepAll, act may share gx's memory: step t's activations
 * then replace step t's input projection, which nothing reads again. That halves what the
 * forward writes to memory (a training step's workspace is far larger than the caches).
 *
 * <p>{@code weights} says how W_hh is used: as given (fp32), or rounded to bfloat16
 * ({@link WeightPrecision#BF16}, inference only); wHh is fp32 either way, the kernels round it.
 */
public record Recurrence(CellMode mode, int steps, int batch, int hidden, int out, int[] lengths, boolean reverse,
                         boolean keepAll, WeightPrecision weights, MemorySegment gx, MemorySegment wHh,
                         MemorySegment bhn, MemorySegment wHr,
                         MemorySegment states, MemorySegment cells, MemorySegment act, MemorySegment ghn,
                         MemorySegment m, MemorySegment y) {

    /**
     * The buffers of the recurrence's backward (keepAll runs only).
     * <pre>
     *   dY    [T, B, P]    gradient reaching y, or null
     *   dh    [B, P]       in: gradient reaching h_n; out: gradient reaching h0
     *   dc    [B, H]       LSTM: in: gradient reaching c_n; out: reaching c0; else null
     *   dgx   [T, B, G·H]  out: gradient of gx (so of x·W_ih^T + b_ih + ...)
     *   dgh   [T, B, G·H]  out: gradient of h_prev·W_hh^T (+ b_hh); the same segment as dgx except for GRU
     *   dCand [T, B, P]    LSTM with projection: out: gradient of each step's projected h; else null
     * </pre>
     */
    public record Grads(MemorySegment dY, MemorySegment dh, MemorySegment dc, MemorySegment dgx, MemorySegment dgh,
                        MemorySegment dCand) {
    }

    public Recurrence {
        if (keepAll && weights != WeightPrecision.FP32) {
            throw new IllegalArgumentException(weights + " weights are for inference only, but this " + mode.id()
                    + " layer's inputs need gradients: train with fp32 weights");
        }
    }

    /** S: the number of state slots to allocate. */
    public static int stateSlots(int steps, boolean keepAll) {
        return keepAll ? steps + 1 : 2;
    }

    /** T': the number of steps whose act, ghn and m are kept. */
    public static int savedSteps(int steps, boolean keepAll) {
        return keepAll ? steps : 1;
    }

    /** Step s of the walk visits time index t (reverse layers walk T-1 down to 0). */
    public int time(int s) {
        return time(steps, reverse, s);
    }

    /** The state slot read at time t. */
    public int prevSlot(int t) {
        return prevSlot(t, reverse, keepAll);
    }

    /** The state slot written at time t. */
    public int nextSlot(int t) {
        return nextSlot(t, reverse, keepAll);
    }

    /** Where the initial state (h0, c0) goes. */
    public int initialSlot() {
        return prevSlot(time(0));
    }

    /** Where the final state (h_n, c_n) ends up. */
    public int finalSlot() {
        return nextSlot(time(steps - 1));
    }

    /** The step index of act, ghn and m for time t. */
    public int saved(int t) {
        return saved(t, keepAll);
    }

    // The same layout as functions of the walk alone, for a layer direction whose buffers are not
    // host segments (the GPU layer keeps this layout on the device: docs/kernels.md).

    /** Step s of a walk over {@code steps} steps visits time index t. */
    public static int time(int steps, boolean reverse, int s) {
        return reverse ? steps - 1 - s : s;
    }

    /** The state slot read at time t. */
    public static int prevSlot(int t, boolean reverse, boolean keepAll) {
        return slot(reverse ? t + 1 : t, keepAll);
    }

    /** The state slot written at time t. */
    public static int nextSlot(int t, boolean reverse, boolean keepAll) {
        return slot(reverse ? t : t + 1, keepAll);
    }

    /** The step index of act, ghn and m for time t. */
    public static int saved(int t, boolean keepAll) {
        return keepAll ? t : 0;
    }

    private static int slot(int index, boolean keepAll) {
        return keepAll ? index : index & 1;
    }

    /**
     * The reference backward, for any kernels: per step (T-1 down to 0) the cell's fused backward
     * and one GEMM dh_prev += dGh · W_hh (with projection, the masked split and dm = dCand·W_hr first).
     */
    public void runStepwiseBackward(Kernels k, Grads d) {
        if (!keepAll) {
            throw new IllegalStateException("backward needs a recurrence run with keepAll");
        }
        int gh = mode.gates() * hidden;
        long stepGates = (long) batch * gh, stepOut = (long) batch * out, stepHidden = (long) batch * hidden;
        boolean relu = mode == CellMode.RNN_RELU;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment dh = d.dh(), dhPrev = scratch.allocate(stepOut * Float.BYTES, 64);
            MemorySegment dCandStep = mode == CellMode.LSTM && wHr == null ? scratch.allocate(stepOut * Float.BYTES, 64) : null;
            MemorySegment dm = wHr != null ? scratch.allocate(stepHidden * Float.BYTES, 64) : null;
            for (int s = steps - 1; s >= 0; s--) {
                int t = time(s);
                long prev = prevSlot(t) * stepOut, next = nextSlot(t) * stepOut;
                long prevC = prevSlot(t) * stepHidden, nextC = nextSlot(t) * stepHidden;
                if (d.dY() != null) k.addActiveRows(batch, out, t, lengths, d.dY(), t * stepOut, out, dh, 0);
                switch (mode) {
                    case RNN_TANH, RNN_RELU -> k.rnnBackward(batch, hidden, t, lengths, relu, states, next, dh, 0,
                            d.dgx(), t * stepGates, dhPrev, 0);
                    case GRU -> k.gruBackward(batch, hidden, t, lengths, act, t * stepGates, ghn, t * stepHidden,
                            states, prev, dh, 0, d.dgx(), t * stepGates, d.dgh(), t * stepGates, dhPrev, 0);
                    case LSTM -> {
                        MemorySegment dCand = wHr != null ? d.dCand() : dCandStep;
                        long candOff = wHr != null ? t * stepOut : 0;
                        k.maskedStepBackward(batch, out, t, lengths, dh, 0, dCand, candOff, dhPrev, 0);
                        MemorySegment dmSeg = dCand;
                        long dmOff = candOff;
                        if (wHr != null) {
                            k.sgemm(false, false, batch, hidden, out, 1f, dCand, candOff, out, wHr, 0, hidden,
                                    0f, dm, 0, hidden);
                            dmSeg = dm;
                            dmOff = 0;
                        }
                        k.lstmBackward(batch, hidden, t, lengths, act, t * stepGates, cells, prevC, cells, nextC,
                                dmSeg, dmOff, d.dc(), 0, d.dgx(), t * stepGates);
                    }
                }
                // dh_prev += dGh_t [B, G·H] · W_hh [G·H, P]
                k.sgemm(false, false, batch, out, gh, 1f, d.dgh(), t * stepGates, gh, wHh, 0, out, 1f, dhPrev, 0, out);
                MemorySegment swap = dh;
                dh = dhPrev;
                dhPrev = swap;
            }
            if (dh != d.dh()) {
                MemorySegment.copy(dh, 0, d.dh(), 0, stepOut * Float.BYTES);
            }
        }
    }

    /**
     * The reference algorithm, for any kernels: per step one GEMM h_prev·W_hh^T into a scratch
     * [B, G·H] and one fused cell step (plus, with projection, h = m·W_hr^T and the masked update).
     * bf16 weights: W_hh rounded once into a scratch copy, then the same fp32 steps.
     */
    public void runStepwise(Kernels k) {
        int gh = mode.gates() * hidden;
        long stepGates = (long) batch * gh, stepOut = (long) batch * out, stepHidden = (long) batch * hidden;
        boolean relu = mode == CellMode.RNN_RELU;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment wHh = this.wHh;
            if (weights == WeightPrecision.BF16) {
                int n = Math.toIntExact(wHh.byteSize() / Float.BYTES);
                wHh = scratch.allocate(wHh.byteSize(), 64);
                k.roundToBf16(n, this.wHh, 0, wHh, 0);
            }
            MemorySegment ghStep = scratch.allocate(stepGates * Float.BYTES, 64);
            MemorySegment hCand = wHr != null ? scratch.allocate(stepOut * Float.BYTES, 64) : null;
            for (int s = 0; s < steps; s++) {
                int t = time(s);
                long prev = prevSlot(t) * stepOut, next = nextSlot(t) * stepOut;
                long prevC = prevSlot(t) * stepHidden, nextC = nextSlot(t) * stepHidden;
                k.sgemm(false, true, batch, gh, out, 1f, states, prev, out, wHh, 0, out, 0f, ghStep, 0, gh);
                    long saved = saved(t);
                switch (mode) {
                    case RNN_TANH, RNN_RELU -> k.rnnForward(batch, hidden, t, lengths, relu, gx, t * stepGates, ghStep, 0,
                            states, prev, states, next, y, t * stepOut, out);
                    case GRU -> k.gruForward(batch, hidden, t, lengths, gx, t * stepGates, ghStep, 0, bhn, 0, states, prev,
                            act, saved * stepGates, ghn, saved * stepHidden, states, next, y, t * stepOut, out);
                    case LSTM -> {
                        if (wHr == null) {
                            k.lstmForward(batch, hidden, t, lengths, gx, t * stepGates, ghStep, 0, cells, prevC,
                                    act, saved * stepGates, cells, nextC, states, prev, states, next, y, t * stepOut, out);
                        } else {
                            k.lstmForward(batch, hidden, t, lengths, gx, t * stepGates, ghStep, 0, cells, prevC,
                                    act, saved * stepGates, cells, nextC, null, 0, m, saved * stepHidden, null, 0, 0);
                            k.sgemm(false, true, batch, out, hidden, 1f, m, saved * stepHidden, hidden, wHr, 0, hidden,
                                    0f, hCand, 0, out);
                            k.maskedStep(batch, out, t, lengths, hCand, 0, states, prev, states, next, y, t * stepOut, out);
                        }
                    }
                }
            }
        }
    }
}
