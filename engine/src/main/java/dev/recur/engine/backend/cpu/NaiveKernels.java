package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.GateFunction;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.Recurrence;
import dev.recur.engine.backend.Sgemm;
import dev.recur.engine.backend.WeightPrecision;

import java.lang.foreign.MemorySegment;

import static dev.recur.engine.backend.Kernels.active;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * The reference kernels: plain scalar loops that are obviously right. They are the oracle for
 * {@link VectorKernels} in tests and the baseline in benchmarks, and are selected for the whole
 * engine with {@code -Drecur.kernels=naive}.
 */
public class NaiveKernels implements Kernels {
    private final Sgemm gemm;

    public NaiveKernels() {
        this(new NaiveSgemm());
    }

    protected NaiveKernels(Sgemm gemm) {
        this.gemm = gemm;
    }

    @Override
    public String name() {
        return "naive";
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        gemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    static float get(MemorySegment s, long i) {
        return s.getAtIndex(JAVA_FLOAT, i);
    }

    static void put(MemorySegment s, long i, float v) {
        s.setAtIndex(JAVA_FLOAT, i, v);
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    // ---- elementwise ----------------------------------------------------------------------------

    @Override
    public void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) put(out, outOff + i, get(a, aOff + i) + get(b, bOff + i));
    }

    @Override
    public void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) put(out, outOff + i, get(a, aOff + i) - get(b, bOff + i));
    }

    @Override
    public void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) put(out, outOff + i, get(a, aOff + i) * get(b, bOff + i));
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, get(y, yOff + i) + alpha * get(x, xOff + i));
    }

    @Override
    public void copyBlock(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff, int ldy) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) put(y, yOff + (long) r * ldy + c, get(x, xOff + (long) r * ldx + c));
        }
    }

    @Override
    public void addTransposed(int rows, int cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long at = yOff + (long) c * rows + r;
                put(y, at, get(y, at) + get(x, xOff + (long) r * cols + c));
            }
        }
    }

    @Override
    public void mulAccumulate(int n, MemorySegment dy, long dyOff, MemorySegment a, long aOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * get(a, aOff + i));
    }

    @Override
    public void roundToBf16(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, WeightPrecision.fromBf16(WeightPrecision.toBf16(get(x, xOff + i))));
    }

    @Override
    public void scale(int n, float alpha, MemorySegment x, long xOff) {
        for (int i = 0; i < n; i++) put(x, xOff + i, alpha * get(x, xOff + i));
    }

    @Override
    public void sigmoid(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, sigmoid(get(x, xOff + i)));
    }

    @Override
    public void tanh(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, tanh(get(x, xOff + i)));
    }

    @Override
    public void relu(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, Math.max(get(x, xOff + i), 0f));
    }

    @Override
    public void clamp(int n, float limit, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, Math.min(Math.max(get(x, xOff + i), -limit), limit));
    }

    @Override
    public void gateFunction(GateFunction f, float alpha, float beta, int n, MemorySegment x, long xOff, MemorySegment y,
                             long yOff) {
        for (int i = 0; i < n; i++) put(y, yOff + i, f.apply(get(x, xOff + i), alpha, beta));
    }

    @Override
    public void sigmoidBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            float s = get(y, yOff + i);
            put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * s * (1f - s));
        }
    }

    @Override
    public void tanhBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            float v = get(y, yOff + i);
            put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * (1f - v * v));
        }
    }

    @Override
    public void reluBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            if (get(y, yOff + i) > 0f) put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i));
        }
    }

    @Override
    public double sumOfSquares(int n, MemorySegment x, long xOff) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = get(x, xOff + i);
            s += v * v;
        }
        return s;
    }

    @Override
    public void addRowVector(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment bias, long biasOff) {
        for (int r = 0; r < rows; r++) {
            long row = xOff + (long) r * ldx;
            for (int j = 0; j < cols; j++) put(x, row + j, get(x, row + j) + get(bias, biasOff + j));
        }
    }

    @Override
    public void sumRows(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment sum, long sumOff) {
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int r = 0; r < rows; r++) s += get(x, xOff + (long) r * ldx + j);
            put(sum, sumOff + j, get(sum, sumOff + j) + (float) s);
        }
    }

    @Override
    public void recurrentForward(Recurrence r) {
        r.runStepwise(this);
    }

    @Override
    public void recurrentBackward(Recurrence r, Recurrence.Grads d) {
        r.runStepwiseBackward(this, d);
    }

    // ---- recurrent cells ------------------------------------------------------------------------
    // Each cell's arithmetic lives in one static "columns" method over [from, to) of one row, so
    // that VectorKernels' scalar tails run exactly these formulas.

    /** Copies hPrev (or zeros when hPrev is null) to hNext and zeros to y for an inactive row. */
    private static void holdRow(int width, MemorySegment hPrev, long hPrevRow, MemorySegment hNext, long hNextRow,
                                MemorySegment y, long yRow) {
        for (int j = 0; j < width; j++) {
            put(hNext, hNextRow + j, hPrev == null ? 0f : get(hPrev, hPrevRow + j));
            if (y != null) put(y, yRow + j, 0f);
        }
    }

    /** One active row of an RNN step, columns [from, to); arguments are row starts. */
    static void rnnForwardColumns(int from, int to, boolean relu, MemorySegment gx, long x0, MemorySegment gh, long h0,
                                  MemorySegment hNext, long hn0, MemorySegment y, long y0) {
        for (int j = from; j < to; j++) {
            float a = get(gx, x0 + j) + get(gh, h0 + j);
            float h = relu ? Math.max(a, 0f) : tanh(a);
            put(hNext, hn0 + j, h);
            if (y != null) put(y, y0 + j, h);
        }
    }

    /** da = dh * act'(h) for one active row, columns [from, to). */
    static void rnnBackwardColumns(int from, int to, boolean relu, MemorySegment hNext, long hn0,
                                   MemorySegment dh, long dh0, MemorySegment da, long da0) {
        for (int j = from; j < to; j++) {
            float g = get(dh, dh0 + j);
            float h = get(hNext, hn0 + j);
            put(da, da0 + j, relu ? (h > 0f ? g : 0f) : g * (1f - h * h));
        }
    }

    /** One active row of an LSTM step, columns [from, to) of each gate; gate q at offset q * hidden. */
    static void lstmForwardColumns(int hidden, int from, int to, MemorySegment gx, long x0, MemorySegment gh, long h0,
                                   MemorySegment cPrev, long cp0, MemorySegment act, long a0,
                                   MemorySegment cNext, long cn0, MemorySegment hNext, long hn0, MemorySegment y, long y0) {
        for (int j = from; j < to; j++) {
            float i = sigmoid(get(gx, x0 + j) + get(gh, h0 + j));
            float f = sigmoid(get(gx, x0 + hidden + j) + get(gh, h0 + hidden + j));
            float g = tanh(get(gx, x0 + 2 * hidden + j) + get(gh, h0 + 2 * hidden + j));
            float o = sigmoid(get(gx, x0 + 3 * hidden + j) + get(gh, h0 + 3 * hidden + j));
            float c = f * get(cPrev, cp0 + j) + i * g;
            float h = o * tanh(c);
            put(act, a0 + j, i);
            put(act, a0 + hidden + j, f);
            put(act, a0 + 2 * hidden + j, g);
            put(act, a0 + 3 * hidden + j, o);
            put(cNext, cn0 + j, c);
            put(hNext, hn0 + j, h);
            if (y != null) put(y, y0 + j, h);
        }
    }

    /** LSTM backward for one active row, columns [from, to); dc is replaced by the gradient for cPrev. */
    static void lstmBackwardColumns(int hidden, int from, int to, MemorySegment act, long a0, MemorySegment cPrev, long cp0,
                                    MemorySegment cNext, long cn0, MemorySegment dm, long dm0,
                                    MemorySegment dc, long dc0, MemorySegment da, long d0) {
        for (int j = from; j < to; j++) {
            float i = get(act, a0 + j);
            float f = get(act, a0 + hidden + j);
            float g = get(act, a0 + 2 * hidden + j);
            float o = get(act, a0 + 3 * hidden + j);
            float tc = tanh(get(cNext, cn0 + j));
            float dmv = get(dm, dm0 + j);
            float dcTotal = get(dc, dc0 + j) + dmv * o * (1f - tc * tc);
            put(da, d0 + j, dcTotal * g * i * (1f - i));
            put(da, d0 + hidden + j, dcTotal * get(cPrev, cp0 + j) * f * (1f - f));
            put(da, d0 + 2 * hidden + j, dcTotal * i * (1f - g * g));
            put(da, d0 + 3 * hidden + j, dmv * tc * o * (1f - o));
            put(dc, dc0 + j, dcTotal * f);
        }
    }

    /** One active row of a GRU step, columns [from, to) of each gate. */
    static void gruForwardColumns(int hidden, int from, int to, MemorySegment gx, long x0, MemorySegment gh, long h0,
                                  MemorySegment bhn, long bhnOff, MemorySegment hPrev, long hp0,
                                  MemorySegment act, long a0, MemorySegment ghn, long ghn0,
                                  MemorySegment hNext, long hn0, MemorySegment y, long y0) {
        for (int j = from; j < to; j++) {
            float r = sigmoid(get(gx, x0 + j) + get(gh, h0 + j));
            float z = sigmoid(get(gx, x0 + hidden + j) + get(gh, h0 + hidden + j));
            float hn = get(gh, h0 + 2 * hidden + j) + (bhn == null ? 0f : get(bhn, bhnOff + j));
            float n = tanh(get(gx, x0 + 2 * hidden + j) + r * hn);
            float h = (1f - z) * n + z * get(hPrev, hp0 + j);
            put(act, a0 + j, r);
            put(act, a0 + hidden + j, z);
            put(act, a0 + 2 * hidden + j, n);
            put(ghn, ghn0 + j, hn);
            put(hNext, hn0 + j, h);
            if (y != null) put(y, y0 + j, h);
        }
    }

    /** GRU backward for one active row, columns [from, to). */
    static void gruBackwardColumns(int hidden, int from, int to, MemorySegment act, long a0, MemorySegment ghn, long ghn0,
                                   MemorySegment hPrev, long hp0, MemorySegment dh, long dh0,
                                   MemorySegment dgx, long dgx0, MemorySegment dgh, long dgh0,
                                   MemorySegment dhPrev, long dhp0) {
        for (int j = from; j < to; j++) {
            float r = get(act, a0 + j);
            float z = get(act, a0 + hidden + j);
            float n = get(act, a0 + 2 * hidden + j);
            float g = get(dh, dh0 + j);
            float dn = g * (1f - z) * (1f - n * n);
            float dz = g * (get(hPrev, hp0 + j) - n) * z * (1f - z);
            float dr = dn * get(ghn, ghn0 + j) * r * (1f - r);
            put(dgx, dgx0 + j, dr);
            put(dgx, dgx0 + hidden + j, dz);
            put(dgx, dgx0 + 2 * hidden + j, dn);
            put(dgh, dgh0 + j, dr);
            put(dgh, dgh0 + hidden + j, dz);
            put(dgh, dgh0 + 2 * hidden + j, dn * r);
            put(dhPrev, dhp0 + j, g * z);
        }
    }

    @Override
    public void rnnForward(int batch, int hidden, int t, int[] lengths, boolean relu,
                           MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                           MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                           MemorySegment y, long yOff, int ldy) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long yRow = yOff + (long) b * ldy;
            if (active(lengths, b, t)) {
                rnnForwardColumns(0, hidden, relu, gx, gxOff + row, gh, ghOff + row, hNext, hNextOff + row, y, yRow);
            } else {
                holdRow(hidden, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
            }
        }
    }

    @Override
    public void rnnBackward(int batch, int hidden, int t, int[] lengths, boolean relu,
                            MemorySegment hNext, long hNextOff, MemorySegment dh, long dhOff,
                            MemorySegment da, long daOff, MemorySegment dhPrev, long dhPrevOff) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            boolean on = active(lengths, b, t);
            if (on) rnnBackwardColumns(0, hidden, relu, hNext, hNextOff + row, dh, dhOff + row, da, daOff + row);
            for (int j = 0; j < hidden; j++) {
                if (!on) put(da, daOff + row + j, 0f);
                put(dhPrev, dhPrevOff + row + j, on ? 0f : get(dh, dhOff + row + j));
            }
        }
    }

    @Override
    public void lstmForward(int batch, int hidden, int t, int[] lengths,
                            MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                            MemorySegment cPrev, long cPrevOff, MemorySegment act, long actOff,
                            MemorySegment cNext, long cNextOff,
                            MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                            MemorySegment y, long yOff, int ldy) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * 4 * hidden;
            long yRow = yOff + (long) b * ldy;
            if (active(lengths, b, t)) {
                lstmForwardColumns(hidden, 0, hidden, gx, gxOff + gRow, gh, ghOff + gRow, cPrev, cPrevOff + row,
                        act, actOff + gRow, cNext, cNextOff + row, hNext, hNextOff + row, y, yRow);
            } else {
                for (int j = 0; j < hidden; j++) put(cNext, cNextOff + row + j, get(cPrev, cPrevOff + row + j));
                holdRow(hidden, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
            }
        }
    }

    @Override
    public void lstmBackward(int batch, int hidden, int t, int[] lengths,
                             MemorySegment act, long actOff, MemorySegment cPrev, long cPrevOff,
                             MemorySegment cNext, long cNextOff, MemorySegment dm, long dmOff,
                             MemorySegment dc, long dcOff, MemorySegment da, long daOff) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * 4 * hidden;
            if (active(lengths, b, t)) {
                lstmBackwardColumns(hidden, 0, hidden, act, actOff + gRow, cPrev, cPrevOff + row, cNext, cNextOff + row,
                        dm, dmOff + row, dc, dcOff + row, da, daOff + gRow);
            } else {
                for (int j = 0; j < 4 * hidden; j++) put(da, daOff + gRow + j, 0f); // dc passes through unchanged
            }
        }
    }

    @Override
    public void gruForward(int batch, int hidden, int t, int[] lengths,
                           MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                           MemorySegment bhn, long bhnOff, MemorySegment hPrev, long hPrevOff,
                           MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                           MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * 3 * hidden;
            long yRow = yOff + (long) b * ldy;
            if (active(lengths, b, t)) {
                gruForwardColumns(hidden, 0, hidden, gx, gxOff + gRow, gh, ghOff + gRow, bhn, bhnOff, hPrev, hPrevOff + row,
                        act, actOff + gRow, ghn, ghnOff + row, hNext, hNextOff + row, y, yRow);
            } else {
                holdRow(hidden, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
            }
        }
    }

    @Override
    public void gruBackward(int batch, int hidden, int t, int[] lengths,
                            MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                            MemorySegment hPrev, long hPrevOff, MemorySegment dh, long dhOff,
                            MemorySegment dgx, long dgxOff, MemorySegment dgh, long dghOff,
                            MemorySegment dhPrev, long dhPrevOff) {
        int g3 = 3 * hidden;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * g3;
            if (active(lengths, b, t)) {
                gruBackwardColumns(hidden, 0, hidden, act, actOff + gRow, ghn, ghnOff + row, hPrev, hPrevOff + row,
                        dh, dhOff + row, dgx, dgxOff + gRow, dgh, dghOff + gRow, dhPrev, dhPrevOff + row);
            } else {
                for (int j = 0; j < g3; j++) {
                    put(dgx, dgxOff + gRow + j, 0f);
                    put(dgh, dghOff + gRow + j, 0f);
                }
                for (int j = 0; j < hidden; j++) put(dhPrev, dhPrevOff + row + j, get(dh, dhOff + row + j));
            }
        }
    }

    @Override
    public void maskedStep(int batch, int width, int t, int[] lengths,
                           MemorySegment hCand, long hCandOff, MemorySegment hPrev, long hPrevOff,
                           MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * width;
            long yRow = yOff + (long) b * ldy;
            boolean on = active(lengths, b, t);
            for (int j = 0; j < width; j++) {
                float h = on ? get(hCand, hCandOff + row + j) : get(hPrev, hPrevOff + row + j);
                put(hNext, hNextOff + row + j, h);
                if (y != null) put(y, yRow + j, on ? h : 0f);
            }
        }
    }

    @Override
    public void maskedStepBackward(int batch, int width, int t, int[] lengths,
                                   MemorySegment dh, long dhOff, MemorySegment dCand, long dCandOff,
                                   MemorySegment dhPrev, long dhPrevOff) {
        for (int b = 0; b < batch; b++) {
            long row = (long) b * width;
            boolean on = active(lengths, b, t);
            for (int j = 0; j < width; j++) {
                float g = get(dh, dhOff + row + j);
                put(dCand, dCandOff + row + j, on ? g : 0f);
                put(dhPrev, dhPrevOff + row + j, on ? 0f : g);
            }
        }
    }

    @Override
    public void addActiveRows(int batch, int width, int t, int[] lengths,
                              MemorySegment dy, long dyOff, int ldy, MemorySegment dh, long dhOff) {
        for (int b = 0; b < batch; b++) {
            if (!active(lengths, b, t)) continue;
            long row = (long) b * width;
            long yRow = dyOff + (long) b * ldy;
            for (int j = 0; j < width; j++) put(dh, dhOff + row + j, get(dh, dhOff + row + j) + get(dy, yRow + j));
        }
    }
}
