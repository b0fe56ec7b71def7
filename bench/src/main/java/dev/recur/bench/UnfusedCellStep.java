package dev.recur.bench;

import dev.recur.engine.backend.Kernels;

import java.lang.foreign.MemorySegment;

/**
 * The cell step written the textbook way: the same outputs as the fused kernels of
 * {@link Kernels} (rnnForward, lstmForward, gruForward and their backwards), composed from
 * separate elementwise kernel calls, one per operation and gate slice, each a full pass over
 * memory through scratch buffers. Run on {@code NaiveKernels} it is the unfused baseline of
 * {@link CellStepBenchmark}.
 *
 * <p>Every operation is the fused kernel's float operation in the same order, so on the naive
 * kernels both give the same floats (a test holds them to 1e-6 relative L2). Gate slices are
 * strided in [B, G·H], so gate-wise calls go row by row; a backward zeroes its outputs, then
 * accumulates through the ...Backward kernels ({@code dx += ...}).
 */
public final class UnfusedCellStep {
    private UnfusedCellStep() {
    }

    public static void forward(Kernels k, CellStepOperands s) {
        switch (s.mode) {
            case RNN_TANH, RNN_RELU -> rnnForward(k, s);
            case LSTM -> lstmForward(k, s);
            case GRU -> gruForward(k, s);
        }
    }

    /** Needs the forward's outputs (act, cNext, hNext, ghn); LSTM replaces dc by the gradient for cPrev. */
    public static void backward(Kernels k, CellStepOperands s) {
        switch (s.mode) {
            case RNN_TANH, RNN_RELU -> rnnBackward(k, s);
            case LSTM -> lstmBackward(k, s);
            case GRU -> gruBackward(k, s);
        }
    }

    // h = act(gx + gh); y = h
    private static void rnnForward(Kernels k, CellStepOperands s) {
        int n = s.batch * s.hidden;
        MemorySegment pre = s.pre.data(), hNext = s.hNext.data();
        k.add(n, s.gx.data(), 0, s.gh.data(), 0, pre, 0);
        switch (s.mode) {
            case RNN_RELU -> k.relu(n, pre, 0, hNext, 0);
            default -> k.tanh(n, pre, 0, hNext, 0);
        }
        s.y.copyFrom(s.hNext);
    }

    // da = dh * act'(h); dhPrev = 0 (every row active: the caller adds da · W_hh)
    private static void rnnBackward(Kernels k, CellStepOperands s) {
        int n = s.batch * s.hidden;
        s.da.fill(0f);
        switch (s.mode) {
            case RNN_RELU -> k.reluBackward(n, s.dh.data(), 0, s.hNext.data(), 0, s.da.data(), 0);
            default -> k.tanhBackward(n, s.dh.data(), 0, s.hNext.data(), 0, s.da.data(), 0);
        }
        s.dhPrev.fill(0f);
    }

    // gates i, f, g, o = σ, σ, tanh, σ of (gx + gh); c = f·cPrev + i·g; h = o·tanh(c); y = h
    private static void lstmForward(Kernels k, CellStepOperands s) {
        int h = s.hidden;
        MemorySegment pre = s.pre.data(), act = s.act.data(), a = s.tmpA.data(), b = s.tmpB.data();
        MemorySegment cPrev = s.cPrev.data(), cNext = s.cNext.data(), hNext = s.hNext.data();
        k.add(s.batch * 4 * h, s.gx.data(), 0, s.gh.data(), 0, pre, 0);
        for (int row = 0; row < s.batch; row++) {
            long g0 = (long) row * 4 * h, hr = (long) row * h;
            long i = g0, f = g0 + h, g = g0 + 2L * h, o = g0 + 3L * h;
            k.sigmoid(h, pre, i, act, i);
            k.sigmoid(h, pre, f, act, f);
            k.tanh(h, pre, g, act, g);
            k.sigmoid(h, pre, o, act, o);
            k.mul(h, act, f, cPrev, hr, a, hr);
            k.mul(h, act, i, act, g, b, hr);
            k.add(h, a, hr, b, hr, cNext, hr);
            k.tanh(h, cNext, hr, a, hr);
            k.mul(h, act, o, a, hr, hNext, hr);
        }
        s.y.copyFrom(s.hNext);
    }

    // tc = tanh(c); dc += dh·o·(1 - tc²); da_i = dc·g·σ'(i); da_f = dc·cPrev·σ'(f);
    // da_g = dc·i·tanh'(g); da_o = dh·tc·σ'(o); dc = dc·f
    private static void lstmBackward(Kernels k, CellStepOperands s) {
        int h = s.hidden;
        MemorySegment act = s.act.data(), dm = s.dh.data(), dc = s.dc.data(), da = s.da.data();
        MemorySegment a = s.tmpA.data(), tc = s.tmpB.data(), cPrev = s.cPrev.data();
        k.tanh(s.batch * h, s.cNext.data(), 0, tc, 0);
        s.da.fill(0f);
        for (int row = 0; row < s.batch; row++) {
            long g0 = (long) row * 4 * h, hr = (long) row * h;
            long i = g0, f = g0 + h, g = g0 + 2L * h, o = g0 + 3L * h;
            k.mul(h, dm, hr, act, o, a, hr);
            k.tanhBackward(h, a, hr, tc, hr, dc, hr);
            k.mul(h, dc, hr, act, g, a, hr);
            k.sigmoidBackward(h, a, hr, act, i, da, i);
            k.mul(h, dc, hr, cPrev, hr, a, hr);
            k.sigmoidBackward(h, a, hr, act, f, da, f);
            k.mul(h, dc, hr, act, i, a, hr);
            k.tanhBackward(h, a, hr, act, g, da, g);
            k.mul(h, dm, hr, tc, hr, a, hr);
            k.sigmoidBackward(h, a, hr, act, o, da, o);
            k.mul(h, dc, hr, act, f, dc, hr);
        }
    }

    // r, z = σ(gx + gh); ghn = gh_n + b_hn; n = tanh(gx_n + r·ghn); h = (1 - z)·n + z·hPrev; y = h
    private static void gruForward(Kernels k, CellStepOperands s) {
        int h = s.hidden;
        MemorySegment gx = s.gx.data(), gh = s.gh.data(), pre = s.pre.data(), act = s.act.data();
        MemorySegment ghn = s.ghn.data(), a = s.tmpA.data(), b = s.tmpB.data();
        for (int row = 0; row < s.batch; row++) {
            long g0 = (long) row * 3 * h, hr = (long) row * h;
            long gr = g0, gz = g0 + h, gn = g0 + 2L * h;
            k.add(2 * h, gx, gr, gh, gr, pre, gr);
            k.sigmoid(2 * h, pre, gr, act, gr);
            k.add(h, gh, gn, s.bhn.data(), 0, ghn, hr);
            k.mul(h, act, gr, ghn, hr, a, hr);
            k.add(h, gx, gn, a, hr, a, hr);
            k.tanh(h, a, hr, act, gn);
            k.sub(h, s.ones.data(), 0, act, gz, a, hr);
            k.mul(h, a, hr, act, gn, a, hr);
            k.mul(h, act, gz, s.hPrev.data(), hr, b, hr);
            k.add(h, a, hr, b, hr, s.hNext.data(), hr);
        }
        s.y.copyFrom(s.hNext);
    }

    // dn = dh·(1 - z)·tanh'(n); dz = dh·(hPrev - n)·σ'(z); dr = dn·ghn·σ'(r);
    // dgx = (dr, dz, dn); dgh = (dr, dz, dn·r); dhPrev = dh·z
    private static void gruBackward(Kernels k, CellStepOperands s) {
        int h = s.hidden;
        MemorySegment act = s.act.data(), dh = s.dh.data(), dgx = s.da.data(), dgh = s.dgh.data();
        MemorySegment a = s.tmpA.data();
        s.da.fill(0f);
        for (int row = 0; row < s.batch; row++) {
            long g0 = (long) row * 3 * h, hr = (long) row * h;
            long gr = g0, gz = g0 + h, gn = g0 + 2L * h;
            k.sub(h, s.ones.data(), 0, act, gz, a, hr);
            k.mul(h, dh, hr, a, hr, a, hr);
            k.tanhBackward(h, a, hr, act, gn, dgx, gn);
            k.sub(h, s.hPrev.data(), hr, act, gn, a, hr);
            k.mul(h, dh, hr, a, hr, a, hr);
            k.sigmoidBackward(h, a, hr, act, gz, dgx, gz);
            k.mul(h, dgx, gn, s.ghn.data(), hr, a, hr);
            k.sigmoidBackward(h, a, hr, act, gr, dgx, gr);
            MemorySegment.copy(dgx, gr * Float.BYTES, dgh, gr * Float.BYTES, 2L * h * Float.BYTES);
            k.mul(h, dgx, gn, act, gr, dgh, gn);
            k.mul(h, dh, hr, act, gz, s.dhPrev.data(), hr);
        }
    }
}
