package dev.recur.bench;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The off-heap operands of one recurrent cell step, forward and backward: one time step of a
 * batch, every row active (no lengths), with biases (GRU's b_hn present), y written with row
 * stride H. Inputs are uniform in ±1 from a seed; outputs start as NaN, so a forgotten write shows.
 *
 * <p>Shapes (G gates): gx, gh [B,G·H]; hPrev, hNext, y [B,H]; LSTM cPrev, cNext [B,H]; act [B,G·H]
 * (LSTM, GRU); GRU ghn [B,H], bhn [H]. Backward: dh [B,H] (LSTM: the gradient reaching o·tanh(c));
 * LSTM dc [B,H], in and out; da [B,G·H] (GRU: dgx); GRU dgh [B,G·H]; dhPrev [B,H] (RNN, GRU).
 * Scratch for {@link UnfusedCellStep}: pre [B,G·H], tmpA, tmpB [B,H], ones [H].
 */
public final class CellStepOperands implements AutoCloseable {
    final CellMode mode;
    final int batch;
    final int hidden;
    private final TensorArena arena;

    final Tensor gx, gh, hPrev, cPrev, bhn;
    final Tensor act, ghn, cNext, hNext, y;
    final Tensor dh, dc, da, dgh, dhPrev;
    final Tensor pre, tmpA, tmpB, ones;

    public CellStepOperands(CellMode mode, int batch, int hidden, long seed) {
        this.mode = mode;
        this.batch = batch;
        this.hidden = hidden;
        boolean lstm = mode == CellMode.LSTM, gru = mode == CellMode.GRU;
        int gates = mode.gates() * hidden;
        arena = TensorArena.open(mode + " cell step operands");
        SplittableRandom rng = new SplittableRandom(seed);
        gx = random(rng, batch, gates);
        gh = random(rng, batch, gates);
        hPrev = random(rng, batch, hidden);
        cPrev = lstm ? random(rng, batch, hidden) : null;
        bhn = gru ? random(rng, hidden) : null;
        dh = random(rng, batch, hidden);
        dc = lstm ? random(rng, batch, hidden) : null;

        act = lstm || gru ? nan(batch, gates) : null;
        ghn = gru ? nan(batch, hidden) : null;
        cNext = lstm ? nan(batch, hidden) : null;
        hNext = nan(batch, hidden);
        y = nan(batch, hidden);
        da = nan(batch, gates);
        dgh = gru ? nan(batch, gates) : null;
        dhPrev = lstm ? null : nan(batch, hidden);

        pre = nan(batch, gates);
        tmpA = nan(batch, hidden);
        tmpB = nan(batch, hidden);
        ones = arena.empty(hidden);
        ones.fill(1f);
    }

    private Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = arena.empty(shape);
        for (long i = 0; i < t.size(); i++) t.set(i, (float) rng.nextDouble(-1, 1));
        return t;
    }

    private Tensor nan(int... shape) {
        Tensor t = arena.empty(shape);
        t.fill(Float.NaN);
        return t;
    }

    public CellMode mode() {
        return mode;
    }

    /** The fused forward kernel of this mode (Kernels.rnnForward, gruForward or lstmForward). */
    public void fusedForward(Kernels k) {
        switch (mode) {
            case RNN_TANH, RNN_RELU -> k.rnnForward(batch, hidden, 0, null, mode == CellMode.RNN_RELU,
                    gx.data(), 0, gh.data(), 0, hPrev.data(), 0, hNext.data(), 0, y.data(), 0, hidden);
            case LSTM -> k.lstmForward(batch, hidden, 0, null, gx.data(), 0, gh.data(), 0, cPrev.data(), 0,
                    act.data(), 0, cNext.data(), 0, hPrev.data(), 0, hNext.data(), 0, y.data(), 0, hidden);
            case GRU -> k.gruForward(batch, hidden, 0, null, gx.data(), 0, gh.data(), 0, bhn.data(), 0,
                    hPrev.data(), 0, act.data(), 0, ghn.data(), 0, hNext.data(), 0, y.data(), 0, hidden);
        }
    }

    /**
     * The fused backward kernel of this mode. Reads what {@link #fusedForward} wrote (act, cNext,
     * hNext, ghn), so run a forward first. LSTM replaces dc by the gradient for cPrev.
     */
    public void fusedBackward(Kernels k) {
        switch (mode) {
            case RNN_TANH, RNN_RELU -> k.rnnBackward(batch, hidden, 0, null, mode == CellMode.RNN_RELU,
                    hNext.data(), 0, dh.data(), 0, da.data(), 0, dhPrev.data(), 0);
            case LSTM -> k.lstmBackward(batch, hidden, 0, null, act.data(), 0, cPrev.data(), 0,
                    cNext.data(), 0, dh.data(), 0, dc.data(), 0, da.data(), 0);
            case GRU -> k.gruBackward(batch, hidden, 0, null, act.data(), 0, ghn.data(), 0, hPrev.data(), 0,
                    dh.data(), 0, da.data(), 0, dgh.data(), 0, dhPrev.data(), 0);
        }
    }

    /** Every tensor a forward step writes, by name (those of this mode only). */
    public List<Named> forwardOutputs() {
        return present(new Named("act", act), new Named("ghn", ghn), new Named("cNext", cNext),
                new Named("hNext", hNext), new Named("y", y));
    }

    /** Every tensor a backward step writes, by name (dc: the gradient for cPrev, LSTM). */
    public List<Named> backwardOutputs() {
        return present(new Named("da", da), new Named("dgh", dgh), new Named("dhPrev", dhPrev), new Named("dc", dc));
    }

    private static List<Named> present(Named... all) {
        return Arrays.stream(all).filter(n -> n.tensor() != null).toList();
    }

    /** A tensor and its name, for comparisons. */
    public record Named(String name, Tensor tensor) {
    }

    @Override
    public void close() {
        arena.close();
    }
}
