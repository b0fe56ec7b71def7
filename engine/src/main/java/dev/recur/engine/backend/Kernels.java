package dev.recur.engine.backend;

import java.lang.foreign.MemorySegment;
import java.util.function.IntConsumer;

/**
 * Every CPU kernel the engine runs. Two implementations exist: {@code NaiveKernels} (plain scalar
 * loops, the reference kept forever) and {@code VectorKernels} (jdk.incubator.vector); the
 * {@link KernelProvider} picks one for the whole engine.
 *
 * <p>Conventions, as in BLAS: data are row-major floats in off-heap segments; offsets and
 * leading dimensions count floats. Methods named {@code ...Backward} ACCUMULATE into their
 * gradient outputs ({@code dx += ...}) unless documented otherwise.
 *
 * <p>Recurrent cell steps work on one time step {@code t} of a batch of {@code batch} rows.
 * Sample {@code b} is active at step {@code t} when {@code lengths == null || t < lengths[b]}
 * (PyTorch's packed-sequence semantics, also for the reverse direction, which walks t downwards).
 * An inactive row keeps its state ({@code hNext = hPrev}, {@code cNext = cPrev}), writes zero to
 * the layer output {@code y}, and never reads its gate inputs (they may hold garbage).
 */
public interface Kernels extends Sgemm {

    /** "naive" or "vector". */
    String name();

    /**
     * Runs {@code body(0 .. tasks - 1)}, independent pieces of work (the directions of a
     * bidirectional layer, each writing only its own memory), and returns when all are done. The
     * vector kernels run them at once, one per thread, the kernels each task calls then running
     * on that thread alone, when the machine has no more threads than tasks: one direction on
     * both of two cores pays a barrier per time step, two directions side by side pay none. Else,
     * and on the naive kernels, one after another.
     */
    default void runIndependent(int tasks, IntConsumer body) {
        for (int t = 0; t < tasks; t++) body.accept(t);
    }

    // ---- elementwise over n contiguous floats -------------------------------------------------

    /** out = a + b */
    void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** out = a - b */
    void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** out = a * b */
    void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** y += alpha * x */
    void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** y[r, 0..cols) = x[r, 0..cols) for r in [0, rows): a block copy between row-major matrices (leading dimensions ldx, ldy). */
    void copyBlock(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff, int ldy);

    /** y[c, r] += x[r, c] for x [rows, cols] and y [cols, rows], both dense row-major. */
    void addTransposed(int rows, int cols, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx += dy * a (the backward of a product, and masking) */
    void mulAccumulate(int n, MemorySegment dy, long dyOff, MemorySegment a, long aOff, MemorySegment dx, long dxOff);

    /**
     * y = x rounded to the nearest bfloat16 value, as fp32 (ties to even, NaN stays NaN:
     * {@link WeightPrecision#toBf16}). y may be x.
     */
    void roundToBf16(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** x *= alpha */
    void scale(int n, float alpha, MemorySegment x, long xOff);

    /** y = sigmoid(x) */
    void sigmoid(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** y = tanh(x) */
    void tanh(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** y = max(x, 0) */
    void relu(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** y = min(max(x, -limit), limit), NaN staying NaN (ONNX's cell clip); y may be x */
    void clamp(int n, float limit, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** y = f(x) with f's alpha and beta ({@link GateFunction#apply}); y may be x */
    void gateFunction(GateFunction f, float alpha, float beta, int n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx += dy * y * (1 - y), y = sigmoid(x) */
    void sigmoidBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff);

    /** dx += dy * (1 - y^2), y = tanh(x) */
    void tanhBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff);

    /** dx += y > 0 ? dy : 0, y = relu(x) */
    void reluBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff);

    /** sum of x[i]^2 in double (gradient norms). */
    double sumOfSquares(int n, MemorySegment x, long xOff);

    // ---- row-broadcast ops on a [rows, cols] block with row stride ld --------------------------

    /** x[r, :] += bias[:] for every row. */
    void addRowVector(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment bias, long biasOff);

    /** sum[:] += sum over rows of x[r, :] (bias gradients). */
    void sumRows(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment sum, long sumOff);

    // ---- recurrent layers (all steps of one direction) -------------------------------------------

    /**
     * Runs the recurrence of one layer direction over all its steps: per step h_prev·W_hh^T and
     * the cell update, filling r's states, cells, act, ghn, m and y (see {@link Recurrence}).
     * The reference is {@link Recurrence#runStepwise}; a fast version must give its results.
     */
    void recurrentForward(Recurrence r);

    /**
     * The backward of {@link #recurrentForward} (run with keepAll): fills d's dgx, dgh, dCand and
     * turns dh and dc into the gradients reaching h0 and c0. The reference is
     * {@link Recurrence#runStepwiseBackward}.
     */
    void recurrentBackward(Recurrence r, Recurrence.Grads d);

    // ---- recurrent cell steps (one time step, one direction) -----------------------------------

    /**
     * RNN step: hNext = act(gx + gh) for active rows, act = relu if {@code relu} else tanh.
     * gx [B,H] holds x·W_ih^T + b_ih + b_hh, gh [B,H] holds hPrev·W_hh^T. y [B, ldy] may be null.
     */
    void rnnForward(int batch, int hidden, int t, int[] lengths, boolean relu,
                    MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                    MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                    MemorySegment y, long yOff, int ldy);

    /**
     * RNN step backward. dh [B,H] is the gradient reaching hNext. Writes (not accumulates)
     * da [B,H] = dh * act'(hNext) for active rows, 0 for inactive; and dhPrev [B,H] = the
     * pass-through part (dh for inactive rows, 0 for active): the caller adds da·W_hh.
     */
    void rnnBackward(int batch, int hidden, int t, int[] lengths, boolean relu,
                     MemorySegment hNext, long hNextOff, MemorySegment dh, long dhOff,
                     MemorySegment da, long daOff, MemorySegment dhPrev, long dhPrevOff);

    /**
     * LSTM step (gate order i, f, g, o). gx [B,4H] = x·W_ih^T + b_ih + b_hh, gh [B,4H] = hPrev·W_hh^T.
     * Writes act [B,4H] (gate activations), cNext [B,H], and hNext [B,H] = o * tanh(cNext).
     * hPrev (the previous h, [B,H]) is copied to hNext for inactive rows; when hPrev is null
     * (projection: hNext then holds o*tanh(c) before W_hr) inactive rows of hNext are set to 0.
     * y [B, ldy] may be null. act may be gx itself (each element of gx is read before its place
     * in act is written); inactive rows of act are then left as they were.
     */
    void lstmForward(int batch, int hidden, int t, int[] lengths,
                     MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                     MemorySegment cPrev, long cPrevOff, MemorySegment act, long actOff,
                     MemorySegment cNext, long cNextOff,
                     MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                     MemorySegment y, long yOff, int ldy);

    /**
     * LSTM step backward. dm [B,H] is the gradient reaching o*tanh(cNext) (equal to dh without
     * projection); dc [B,H] holds the gradient reaching cNext and is replaced by the gradient for
     * cPrev. Writes da [B,4H] (pre-activation gradients, 0 for inactive rows). da may be act
     * itself (each element of act is read before its place in da is written).
     */
    void lstmBackward(int batch, int hidden, int t, int[] lengths,
                      MemorySegment act, long actOff, MemorySegment cPrev, long cPrevOff,
                      MemorySegment cNext, long cNextOff, MemorySegment dm, long dmOff,
                      MemorySegment dc, long dcOff, MemorySegment da, long daOff);

    /**
     * GRU step, linear-before-reset. gx [B,3H] = x·W_ih^T + b_ih + [b_hr, b_hz, 0];
     * gh [B,3H] = hPrev·W_hh^T; bhn [H] (b_hn, null without bias).
     * r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r * (gh_n + b_hn)),
     * hNext = (1 - z) * n + z * hPrev. Writes act [B,3H] = (r, z, n) and ghn [B,H] = gh_n + b_hn.
     * act may be gx itself, as for {@link #lstmForward}.
     */
    void gruForward(int batch, int hidden, int t, int[] lengths,
                    MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                    MemorySegment bhn, long bhnOff, MemorySegment hPrev, long hPrevOff,
                    MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                    MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy);

    /**
     * GRU step backward. Writes dgx [B,3H] and dgh [B,3H] (gradients of gx and of gh + b_hh; zero
     * rows when inactive) and dhPrev [B,H] = dh * z for active rows, dh for inactive rows; the
     * caller adds dgh·W_hh.
     */
    void gruBackward(int batch, int hidden, int t, int[] lengths,
                     MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                     MemorySegment hPrev, long hPrevOff, MemorySegment dh, long dhOff,
                     MemorySegment dgx, long dgxOff, MemorySegment dgh, long dghOff,
                     MemorySegment dhPrev, long dhPrevOff);

    /**
     * Masked state update after a projection: for active rows hNext = hCand and y = hCand; for
     * inactive rows hNext = hPrev and y = 0. All [B,width]; y has row stride ldy and may be null.
     */
    void maskedStep(int batch, int width, int t, int[] lengths,
                    MemorySegment hCand, long hCandOff, MemorySegment hPrev, long hPrevOff,
                    MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy);

    /**
     * Splits the gradient reaching a masked state: dCand = dh for active rows (0 otherwise) and
     * dhPrev = dh for inactive rows (0 otherwise). All [B,width]; writes both.
     */
    void maskedStepBackward(int batch, int width, int t, int[] lengths,
                            MemorySegment dh, long dhOff, MemorySegment dCand, long dCandOff,
                            MemorySegment dhPrev, long dhPrevOff);

    /** dh[b, :] += dy[b, :] for active rows (the layer output's gradient at step t). */
    void addActiveRows(int batch, int width, int t, int[] lengths,
                       MemorySegment dy, long dyOff, int ldy, MemorySegment dh, long dhOff);

    static boolean active(int[] lengths, int b, int t) {
        return lengths == null || t < lengths[b];
    }
}
