package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.GateFunction;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.Recurrence;
import dev.recur.engine.backend.Sgemm;
import dev.recur.engine.backend.WeightPrecision;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.IntConsumer;

import static dev.recur.engine.backend.Kernels.active;
import static dev.recur.engine.backend.cpu.NaiveKernels.get;
import static dev.recur.engine.backend.cpu.NaiveKernels.put;

/**
 * Vector API kernels: each loop runs full vectors of the preferred species, then a scalar tail
 * that uses the same formulas as {@link NaiveKernels}. The recurrent cell steps are fused: one
 * pass over a row computes every gate, the state update, the mask and the layer output.
 * Measurements behind the choices noted below: docs/performance.md ("Measurements behind the CPU
 * kernels").
 */
public final class VectorKernels implements Kernels {
    static {
        ClassHierarchyPreload.ensureLoaded();
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Doubles in a vector of the same shape: a float vector converts into two of them. */
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Below this many floats a row operation runs on the calling thread: a hand-off costs more than it saves. */
    private static final long PARALLEL_MIN_FLOATS = 1 << 16;
    /** Columns per task of {@link #sumRows} (G·H = 512 columns: 8 tasks). */
    private static final int SUM_BLOCK = 4 * L;

    private final Sgemm gemm;

    public VectorKernels(Sgemm gemm) {
        this.gemm = gemm;
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public void runIndependent(int tasks, IntConsumer body) {
        if (tasks > 1 && CpuParallel.threads() > 1 && CpuParallel.threads() <= tasks) {
            CpuParallel.parallelFor(tasks, body);
        } else {
            for (int t = 0; t < tasks; t++) body.accept(t);
        }
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        gemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    /**
     * Gradients below 2^-64 in magnitude, flushed to zero by the cells' backward kernels. A cell
     * whose gates saturate multiplies its gradients by factors near zero step after step; once
     * they fall below 2^-126 every operation on them is a microcode assist (~100 cycles), which
     * slows a whole training run down from then on. A gradient of 2^-64 (5e-20) is far below
     * anything float32 training can act on. Written out in each loop, not as a helper: a helper
     * taking a vector that C2 declines to inline ("NodeCountInliningCutoff", as in the LSTM
     * backward) boxes its vectors.
     */
    private static final float TINY_GRADIENT = 0x1p-64f;

    /**
     * Shorthands for the Vector API's load and store. A call C2 does not inline returns its vector
     * boxed (a heap allocation per vector), and C2 stops inlining once a method is past its budget:
     * so use them only in small methods (a loop of its own, taking segments and offsets), and call
     * the Vector API directly in large ones (see lstmBackwardVectors). SteadyStateCall in the bench
     * module shows a call's heap allocation: a few KB is the graph, more is a boxed kernel.
     */
    private static FloatVector load(MemorySegment s, long floatIndex) {
        return FloatVector.fromMemorySegment(S, s, floatIndex * Float.BYTES, NATIVE);
    }

    private static void store(FloatVector v, MemorySegment s, long floatIndex) {
        v.intoMemorySegment(s, floatIndex * Float.BYTES, NATIVE);
    }

    private static int vectorBound(int n) {
        return S.loopBound(n);
    }

    // ---- elementwise ----------------------------------------------------------------------------

    @Override
    public void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(a, aOff + i).add(load(b, bOff + i)), out, outOff + i);
        for (; i < n; i++) put(out, outOff + i, get(a, aOff + i) + get(b, bOff + i));
    }

    @Override
    public void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(a, aOff + i).sub(load(b, bOff + i)), out, outOff + i);
        for (; i < n; i++) put(out, outOff + i, get(a, aOff + i) - get(b, bOff + i));
    }

    @Override
    public void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(a, aOff + i).mul(load(b, bOff + i)), out, outOff + i);
        for (; i < n; i++) put(out, outOff + i, get(a, aOff + i) * get(b, bOff + i));
    }

    /**
     * In 16 x 16 blocks, so that the strided side of the transpose stays in L1 (one cache line per
     * row of the block); a weight gradient's few hundred thousand elements, memory-bound.
     */
    @Override
    public void addTransposed(int rows, int cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        final int block = 16;
        for (int r0 = 0; r0 < rows; r0 += block) {
            int r1 = Math.min(rows, r0 + block);
            for (int c0 = 0; c0 < cols; c0 += block) {
                int c1 = Math.min(cols, c0 + block);
                for (int c = c0; c < c1; c++) {
                    long yRow = yOff + (long) c * rows;
                    for (int r = r0; r < r1; r++) {
                        float v = x.getAtIndex(ValueLayout.JAVA_FLOAT, xOff + (long) r * cols + c);
                        y.setAtIndex(ValueLayout.JAVA_FLOAT, yRow + r, y.getAtIndex(ValueLayout.JAVA_FLOAT, yRow + r) + v);
                    }
                }
            }
        }
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(x, xOff + i).fma(va, load(y, yOff + i)), y, yOff + i);
        for (; i < n; i++) put(y, yOff + i, get(y, yOff + i) + alpha * get(x, xOff + i));
    }

    @Override
    public void mulAccumulate(int n, MemorySegment dy, long dyOff, MemorySegment a, long aOff, MemorySegment dx, long dxOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) {
            store(load(dy, dyOff + i).fma(load(a, aOff + i), load(dx, dxOff + i)), dx, dxOff + i);
        }
        for (; i < n; i++) put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * get(a, aOff + i));
    }

    /**
     * Split over the CPU threads in chunks of 16K floats: unlike the other elementwise kernels, it
     * runs once per call on a whole weight matrix (W_ih of a bf16 inference call, 1M floats at
     * I = H = 512 for LSTM), a pure stream of memory.
     */
    @Override
    public void roundToBf16(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        if (n < PARALLEL_MIN_FLOATS) {
            roundToBf16Range(0, n, x, xOff, y, yOff);
            return;
        }
        int chunk = 1 << 14;
        forRowChunks((n + chunk - 1) / chunk, chunk, CpuParallel.sharedWithWorkers(x, y),
                (r0, r1) -> roundToBf16Range(r0 * chunk, Math.min(n, r1 * chunk), x, xOff, y, yOff));
    }

    /** roundToBf16 of elements [from, to). */
    private static void roundToBf16Range(int from, int to, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = from;
        for (int end = from + vectorBound(to - from); i < end; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            IntVector bits = v.reinterpretAsInts();
            IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7FFF).and(0xFFFF_0000);
            IntVector quietNan = bits.or(0x0040_0000).and(0xFFFF_0000);
            rounded.reinterpretAsFloats().blend(quietNan.reinterpretAsFloats(), v.test(VectorOperators.IS_NAN))
                    .intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE);
        }
        for (; i < to; i++) put(y, yOff + i, WeightPrecision.fromBf16(WeightPrecision.toBf16(get(x, xOff + i))));
    }

    @Override
    public void scale(int n, float alpha, MemorySegment x, long xOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(x, xOff + i).mul(alpha), x, xOff + i);
        for (; i < n; i++) put(x, xOff + i, alpha * get(x, xOff + i));
    }

    @Override
    public void sigmoid(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = vectorBound(n);
        VectorMath.sigmoid(i, x, xOff, y, yOff);
        for (; i < n; i++) put(y, yOff + i, NaiveKernels.sigmoid(get(x, xOff + i)));
    }

    @Override
    public void tanh(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = vectorBound(n);
        VectorMath.tanh(i, x, xOff, y, yOff);
        for (; i < n; i++) put(y, yOff + i, NaiveKernels.tanh(get(x, xOff + i)));
    }

    @Override
    public void relu(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(x, xOff + i).max(0f), y, yOff + i);
        for (; i < n; i++) put(y, yOff + i, Math.max(get(x, xOff + i), 0f));
    }

    @Override
    public void clamp(int n, float limit, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(load(x, xOff + i).max(-limit).min(limit), y, yOff + i);
        for (; i < n; i++) put(y, yOff + i, Math.min(Math.max(get(x, xOff + i), -limit), limit));
    }

    @Override
    public void gateFunction(GateFunction f, float alpha, float beta, int n, MemorySegment x, long xOff, MemorySegment y,
                             long yOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) store(gateFunction(f, alpha, beta, load(x, xOff + i)), y, yOff + i);
        for (; i < n; i++) put(y, yOff + i, f.apply(get(x, xOff + i), alpha, beta));
    }

    /** {@link GateFunction#apply} on a vector (the Vector API's EXP, EXPM1, LOG1P and TANH where it needs them). */
    private static FloatVector gateFunction(GateFunction f, float alpha, float beta, FloatVector v) {
        return switch (f) {
            case AFFINE -> v.fma(alpha, beta);
            case LEAKY_RELU -> v.blend(v.mul(alpha), v.lt(0f));
            case THRESHOLDED_RELU -> v.blend(0f, v.compare(VectorOperators.LT, alpha));
            case SCALED_TANH -> v.mul(beta).lanewise(VectorOperators.TANH).mul(alpha);
            case HARD_SIGMOID -> v.fma(alpha, beta).max(0f).min(1f);
            case ELU -> v.blend(v.lanewise(VectorOperators.EXPM1).mul(alpha), v.lt(0f));
            case SOFTSIGN -> v.div(v.abs().add(1f));
            case SOFTPLUS -> v.max(0f).add(v.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P));
        };
    }

    @Override
    public void sigmoidBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) {
            FloatVector s = load(y, yOff + i);
            store(load(dy, dyOff + i).mul(s).fma(s.neg().add(1f), load(dx, dxOff + i)), dx, dxOff + i);
        }
        for (; i < n; i++) {
            float s = get(y, yOff + i);
            put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * s * (1f - s));
        }
    }

    @Override
    public void tanhBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) {
            FloatVector v = load(y, yOff + i);
            FloatVector d = v.neg().fma(v, FloatVector.broadcast(S, 1f));
            store(load(dy, dyOff + i).fma(d, load(dx, dxOff + i)), dx, dxOff + i);
        }
        for (; i < n; i++) {
            float v = get(y, yOff + i);
            put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * (1f - v * v));
        }
    }

    @Override
    public void reluBackward(int n, MemorySegment dy, long dyOff, MemorySegment y, long yOff, MemorySegment dx, long dxOff) {
        int i = 0;
        for (int end = vectorBound(n); i < end; i += L) {
            FloatVector g = load(dy, dyOff + i).blend(0f, load(y, yOff + i).compare(VectorOperators.LE, 0f));
            store(load(dx, dxOff + i).add(g), dx, dxOff + i);
        }
        for (; i < n; i++) {
            if (get(y, yOff + i) > 0f) put(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i));
        }
    }

    @Override
    public double sumOfSquares(int n, MemorySegment x, long xOff) {
        // Float vector partial sums per block of 4096, folded into a double so long tensors keep precision.
        double total = 0;
        int i = 0;
        int vend = vectorBound(n);
        while (i < vend) {
            int blockEnd = Math.min(vend, i + 4096);
            FloatVector acc = FloatVector.zero(S);
            for (; i < blockEnd; i += L) {
                FloatVector v = load(x, xOff + i);
                acc = v.fma(v, acc);
            }
            total += acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            double v = get(x, xOff + i);
            total += v * v;
        }
        return total;
    }

    @Override
    public void copyBlock(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff, int ldy) {
        long bytes = (long) cols * Float.BYTES;
        forRowChunks(rows, cols, CpuParallel.sharedWithWorkers(x, y), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                MemorySegment.copy(x, (xOff + (long) r * ldx) * Float.BYTES, y, (yOff + (long) r * ldy) * Float.BYTES, bytes);
            }
        });
    }

    @Override
    public void addRowVector(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment bias, long biasOff) {
        // Split over threads: an input projection's bias add is [T·B, G·H], too big to leave serial
        // in a training step.
        forRowChunks(rows, cols, CpuParallel.sharedWithWorkers(x, bias), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long row = xOff + (long) r * ldx;
                add(cols, x, row, bias, biasOff, x, row);
            }
        });
    }

    /** Rows [r0, r1) of a row operation. */
    private interface RowRange {
        void run(int r0, int r1);
    }

    /**
     * Runs a row operation over [0, rows) in chunks of ~16K floats split over the CPU threads, or
     * on the calling thread when the block is small or its memory is not {@code shared} with them.
     */
    private static void forRowChunks(int rows, int cols, boolean shared, RowRange body) {
        int chunk = Math.max(1, (1 << 14) / Math.max(1, cols));
        int tasks = shared && (long) rows * cols >= PARALLEL_MIN_FLOATS ? (rows + chunk - 1) / chunk : 1;
        int rowsPerTask = (rows + tasks - 1) / tasks;
        CpuParallel.parallelFor(tasks, task -> body.run(task * rowsPerTask, Math.min(rows, (task + 1) * rowsPerTask)));
    }

    @Override
    public void sumRows(int rows, int cols, MemorySegment x, long xOff, int ldx, MemorySegment sum, long sumOff) {
        // Accumulated in double per column, in row order, then added to sum once: the same operations as
        // NaiveKernels. (Adding each row into the float sum would lose everything to cancellation when a
        // column's total is small against its terms, as bias gradients over many rows often are.) Each task
        // owns a block of columns, so the result does not depend on the thread count.
        int blocks = (cols + SUM_BLOCK - 1) / SUM_BLOCK;
        if ((long) rows * cols < PARALLEL_MIN_FLOATS || !CpuParallel.sharedWithWorkers(x, sum)) {
            for (int block = 0; block < blocks; block++) sumColumns(rows, cols, block, x, xOff, ldx, sum, sumOff);
        } else {
            CpuParallel.parallelFor(blocks, block -> sumColumns(rows, cols, block, x, xOff, ldx, sum, sumOff));
        }
    }

    /** {@link #sumRows} for the columns of one block, row by row into a small double array (in L1). */
    private static void sumColumns(int rows, int cols, int block, MemorySegment x, long xOff, int ldx,
                                   MemorySegment sum, long sumOff) {
        int j0 = block * SUM_BLOCK, j1 = Math.min(cols, j0 + SUM_BLOCK);
        int vend = j0 + (j1 - j0) / L * L;
        double[] acc = new double[SUM_BLOCK];
        int dl = D.length();
        for (int r = 0; r < rows; r++) {
            long row = xOff + (long) r * ldx;
            int j = j0;
            for (; j < vend; j += L) {
                FloatVector v = load(x, row + j);
                DoubleVector lo = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
                DoubleVector hi = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
                DoubleVector.fromArray(D, acc, j - j0).add(lo).intoArray(acc, j - j0);
                DoubleVector.fromArray(D, acc, j - j0 + dl).add(hi).intoArray(acc, j - j0 + dl);
            }
            for (; j < j1; j++) acc[j - j0] += get(x, row + j);
        }
        for (int j = j0; j < j1; j++) put(sum, sumOff + j, get(sum, sumOff + j) + (float) acc[j - j0]);
    }

    /** Without projection: {@link FusedRecurrence}, a persistent team; with it, the stepwise reference loop. */
    @Override
    public void recurrentForward(Recurrence r) {
        if (r.wHr() == null) {
            FusedRecurrence.forward(r);
        } else {
            r.runStepwise(this);
        }
    }

    @Override
    public void recurrentBackward(Recurrence r, Recurrence.Grads d) {
        if (r.wHr() == null) {
            FusedRecurrence.backward(r, d);
        } else {
            r.runStepwiseBackward(this, d);
        }
    }

    // ---- recurrent cells ------------------------------------------------------------------------

    /** out[j] = a[j] + b[j] for j in [from, to), whole vectors; offsets are row starts. */
    private static void addColumns(int from, int to, MemorySegment a, long aOff, MemorySegment b, long bOff,
                                   MemorySegment out, long outOff) {
        for (int j = from; j < to; j += L) store(load(a, aOff + j).add(load(b, bOff + j)), out, outOff + j);
    }

    private static void holdRow(int width, MemorySegment hPrev, long hPrevRow, MemorySegment hNext, long hNextRow,
                                MemorySegment y, long yRow) {
        holdColumns(0, width, hPrev, hPrevRow, hNext, hNextRow, y, yRow);
    }

    /** An inactive row, columns [from, to): hNext = hPrev (zeros when hPrev is null), y = 0. Arguments are row starts. */
    private static void holdColumns(int from, int to, MemorySegment hPrev, long hPrevRow, MemorySegment hNext, long hNextRow,
                                    MemorySegment y, long yRow) {
        long bytes = (long) (to - from) * Float.BYTES;
        if (hPrev == null) {
            hNext.asSlice((hNextRow + from) * Float.BYTES, bytes).fill((byte) 0);
        } else {
            MemorySegment.copy(hPrev, (hPrevRow + from) * Float.BYTES, hNext, (hNextRow + from) * Float.BYTES, bytes);
        }
        if (y != null) y.asSlice((yRow + from) * Float.BYTES, bytes).fill((byte) 0);
    }

    @Override
    public void rnnForward(int batch, int hidden, int t, int[] lengths, boolean relu,
                           MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                           MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                           MemorySegment y, long yOff, int ldy) {
        rnnForwardColumns(batch, hidden, 0, hidden, t, lengths, relu, gx, gxOff, gh, ghOff, hPrev, hPrevOff,
                hNext, hNextOff, y, yOff, ldy);
    }

    /** {@link #rnnForward} restricted to hidden units [from, to); {@code from} is a multiple of L or equal to to. */
    static void rnnForwardColumns(int batch, int hidden, int from, int to, int t, int[] lengths, boolean relu,
                                  MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                                  MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                                  MemorySegment y, long yOff, int ldy) {
        int vend = from + (to - from) / L * L;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long yRow = yOff + (long) b * ldy;
            if (!active(lengths, b, t)) {
                holdColumns(from, to, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
                continue;
            }
            // Passes over the row (in L1): the sum, then the activation in place, then the copy to y.
            addColumns(from, vend, gx, gxOff + row, gh, ghOff + row, hNext, hNextOff + row);
            if (relu) {
                for (int j = from; j < vend; j += L) store(load(hNext, hNextOff + row + j).max(0f), hNext, hNextOff + row + j);
            } else {
                VectorMath.tanh(vend - from, hNext, hNextOff + row + from, hNext, hNextOff + row + from);
            }
            if (y != null) {
                MemorySegment.copy(hNext, (hNextOff + row + from) * Float.BYTES, y, (yRow + from) * Float.BYTES,
                        (long) (vend - from) * Float.BYTES);
            }
            int j = vend;
            NaiveKernels.rnnForwardColumns(j, to, relu, gx, gxOff + row, gh, ghOff + row, hNext, hNextOff + row, y, yRow);
        }
    }

    @Override
    public void rnnBackward(int batch, int hidden, int t, int[] lengths, boolean relu,
                            MemorySegment hNext, long hNextOff, MemorySegment dh, long dhOff,
                            MemorySegment da, long daOff, MemorySegment dhPrev, long dhPrevOff) {
        rnnBackwardColumns(batch, hidden, 0, hidden, t, lengths, relu, hNext, hNextOff, dh, dhOff, da, daOff, dhPrev, dhPrevOff);
    }

    /** {@link #rnnBackward} restricted to hidden units [from, to); {@code from} is a multiple of L or equal to to. */
    static void rnnBackwardColumns(int batch, int hidden, int from, int to, int t, int[] lengths, boolean relu,
                                   MemorySegment hNext, long hNextOff, MemorySegment dh, long dhOff,
                                   MemorySegment da, long daOff, MemorySegment dhPrev, long dhPrevOff) {
        int vend = from + (to - from) / L * L;
        long bytes = (long) (to - from) * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden + from;
            if (!active(lengths, b, t)) {
                da.asSlice((daOff + row) * Float.BYTES, bytes).fill((byte) 0);
                MemorySegment.copy(dh, (dhOff + row) * Float.BYTES, dhPrev, (dhPrevOff + row) * Float.BYTES, bytes);
                continue;
            }
            dhPrev.asSlice((dhPrevOff + row) * Float.BYTES, bytes).fill((byte) 0);
            row -= from;
            int j = from;
            for (; j < vend; j += L) {
                FloatVector g = load(dh, dhOff + row + j);
                FloatVector h = load(hNext, hNextOff + row + j);
                FloatVector d = relu ? g.blend(0f, h.compare(VectorOperators.LE, 0f))
                        : g.mul(h.neg().fma(h, FloatVector.broadcast(S, 1f)));
                store(d.blend(0f, d.abs().compare(VectorOperators.LT, TINY_GRADIENT)), da, daOff + row + j);
            }
            NaiveKernels.rnnBackwardColumns(j, to, relu, hNext, hNextOff + row, dh, dhOff + row, da, daOff + row);
        }
    }

    @Override
    public void lstmForward(int batch, int hidden, int t, int[] lengths,
                            MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                            MemorySegment cPrev, long cPrevOff, MemorySegment act, long actOff,
                            MemorySegment cNext, long cNextOff,
                            MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                            MemorySegment y, long yOff, int ldy) {
        lstmForwardColumns(batch, hidden, 0, hidden, t, lengths, gx, gxOff, gh, ghOff, cPrev, cPrevOff, act, actOff,
                cNext, cNextOff, hPrev, hPrevOff, hNext, hNextOff, y, yOff, ldy);
    }

    /** {@link #lstmForward} restricted to hidden units [from, to); {@code from} is a multiple of L or equal to to. */
    static void lstmForwardColumns(int batch, int hidden, int from, int to, int t, int[] lengths,
                                   MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                                   MemorySegment cPrev, long cPrevOff, MemorySegment act, long actOff,
                                   MemorySegment cNext, long cNextOff,
                                   MemorySegment hPrev, long hPrevOff, MemorySegment hNext, long hNextOff,
                                   MemorySegment y, long yOff, int ldy) {
        int g4 = 4 * hidden;
        int vend = from + (to - from) / L * L;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * g4;
            long yRow = yOff + (long) b * ldy;
            if (!active(lengths, b, t)) {
                MemorySegment.copy(cPrev, (cPrevOff + row + from) * Float.BYTES, cNext, (cNextOff + row + from) * Float.BYTES,
                        (long) (to - from) * Float.BYTES);
                holdColumns(from, to, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
                continue;
            }
            long x0 = gxOff + gRow, h0 = ghOff + gRow, a0 = actOff + gRow;
            // Passes over the row (in L1), so that the exp-based math runs in VectorMath's loops:
            // pre-activations of all four gates, the activations in place, then the state.
            int n = vend - from;
            for (int q = 0; q < 4; q++) {
                addColumns(from, vend, gx, x0 + q * hidden, gh, h0 + q * hidden, act, a0 + q * hidden);
            }
            VectorMath.sigmoid(n, act, a0 + from, act, a0 + from);                              // i
            VectorMath.sigmoid(n, act, a0 + hidden + from, act, a0 + hidden + from);            // f
            VectorMath.tanh(n, act, a0 + 2 * hidden + from, act, a0 + 2 * hidden + from);       // g
            VectorMath.sigmoid(n, act, a0 + 3 * hidden + from, act, a0 + 3 * hidden + from);    // o
            lstmCellState(from, vend, hidden, act, a0, cPrev, cPrevOff + row, cNext, cNextOff + row);
            VectorMath.tanh(n, cNext, cNextOff + row + from, hNext, hNextOff + row + from);
            lstmOutput(from, vend, hidden, act, a0, hNext, hNextOff + row, y, yRow);
            int j = vend;
            NaiveKernels.lstmForwardColumns(hidden, j, to, gx, x0, gh, h0, cPrev, cPrevOff + row, act, a0,
                    cNext, cNextOff + row, hNext, hNextOff + row, y, yRow);
        }
    }

    /*
     * The two vector loops of lstmForwardColumns are methods of their own, taking segments and
     * offsets: inlined into lstmForwardColumns (already large with VectorMath's loops), their
     * load/store helpers were past C2's inlining budget, so every vector was boxed (about 2.5 MB
     * of garbage per batch-1 call at H = 512). Compiled on their own, their helpers inline.
     */

    /** cNext[j] = f[j]·cPrev[j] + i[j]·g[j] for j in [from, vend); act holds i, f, g, o at a0, a0 + H, a0 + 2H, a0 + 3H. */
    private static void lstmCellState(int from, int vend, int hidden, MemorySegment act, long a0,
                                      MemorySegment cPrev, long cPrevOff, MemorySegment cNext, long cNextOff) {
        for (int j = from; j < vend; j += L) {
            FloatVector c = load(act, a0 + hidden + j).fma(load(cPrev, cPrevOff + j),
                    load(act, a0 + j).mul(load(act, a0 + 2 * hidden + j)));
            store(c, cNext, cNextOff + j);
        }
    }

    /** hNext[j] = o[j]·hNext[j] (hNext holds tanh(cNext) on entry) for j in [from, vend), also into y when given. */
    private static void lstmOutput(int from, int vend, int hidden, MemorySegment act, long a0,
                                   MemorySegment hNext, long hNextOff, MemorySegment y, long yRow) {
        for (int j = from; j < vend; j += L) {
            FloatVector h = load(act, a0 + 3 * hidden + j).mul(load(hNext, hNextOff + j));
            store(h, hNext, hNextOff + j);
            if (y != null) store(h, y, yRow + j);
        }
    }

    @Override
    public void lstmBackward(int batch, int hidden, int t, int[] lengths,
                             MemorySegment act, long actOff, MemorySegment cPrev, long cPrevOff,
                             MemorySegment cNext, long cNextOff, MemorySegment dm, long dmOff,
                             MemorySegment dc, long dcOff, MemorySegment da, long daOff) {
        try (Arena scratch = Arena.ofConfined()) {
            lstmBackwardColumns(batch, hidden, 0, hidden, t, lengths, act, actOff, cPrev, cPrevOff, cNext, cNextOff,
                    dm, dmOff, dc, dcOff, da, daOff, scratch.allocate((long) hidden * Float.BYTES, 64));
        }
    }

    /**
     * {@link #lstmBackward} restricted to hidden units [from, to); {@code from} is a multiple of L or
     * equal to to. {@code tanhC} holds at least to - from floats: each row's tanh(cNext) goes there
     * first, so that the math runs in VectorMath's loop (not into da, which may be act).
     */
    static void lstmBackwardColumns(int batch, int hidden, int from, int to, int t, int[] lengths,
                                    MemorySegment act, long actOff, MemorySegment cPrev, long cPrevOff,
                                    MemorySegment cNext, long cNextOff, MemorySegment dm, long dmOff,
                                    MemorySegment dc, long dcOff, MemorySegment da, long daOff, MemorySegment tanhC) {
        int g4 = 4 * hidden;
        int vend = from + (to - from) / L * L;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * g4;
            if (!active(lengths, b, t)) { // dc passes through unchanged
                for (int q = 0; q < 4; q++) {
                    da.asSlice((daOff + gRow + (long) q * hidden + from) * Float.BYTES, (long) (to - from) * Float.BYTES)
                            .fill((byte) 0);
                }
                continue;
            }
            long a0 = actOff + gRow, d0 = daOff + gRow;
            VectorMath.tanh(vend - from, cNext, cNextOff + row + from, tanhC, 0);
            lstmBackwardVectors(hidden, from, vend, act, a0, cPrev, cPrevOff + row, dm, dmOff + row, dc, dcOff + row,
                    da, d0, tanhC);
            NaiveKernels.lstmBackwardColumns(hidden, vend, to, act, a0, cPrev, cPrevOff + row, cNext, cNextOff + row,
                    dm, dmOff + row, dc, dcOff + row, da, d0);
        }
    }

    /**
     * The vector part of one active row of {@link #lstmBackwardColumns}, columns [from, vend); offsets
     * are the row's starts. A method of its own because with the row loop around it the LSTM
     * backward outgrows C2's inlining budget ("NodeCountInliningCutoff"): load and store then stay
     * calls that box their vectors.
     */
    private static void lstmBackwardVectors(int hidden, int from, int vend, MemorySegment act, long a0,
                                            MemorySegment cPrev, long cp0, MemorySegment dm, long dm0,
                                            MemorySegment dc, long dc0, MemorySegment da, long d0, MemorySegment tanhC) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        long gate = (long) hidden * Float.BYTES;   // bytes between two gates' columns in act and da
        for (int j = from; j < vend; j += L) {
            long at = (a0 + j) * Float.BYTES, dat = (d0 + j) * Float.BYTES;
            FloatVector i = FloatVector.fromMemorySegment(S, act, at, NATIVE);
            FloatVector f = FloatVector.fromMemorySegment(S, act, at + gate, NATIVE);
            FloatVector g = FloatVector.fromMemorySegment(S, act, at + 2 * gate, NATIVE);
            FloatVector o = FloatVector.fromMemorySegment(S, act, at + 3 * gate, NATIVE);
            FloatVector tc = FloatVector.fromMemorySegment(S, tanhC, (long) (j - from) * Float.BYTES, NATIVE);
            FloatVector dmv = FloatVector.fromMemorySegment(S, dm, (dm0 + j) * Float.BYTES, NATIVE);
            FloatVector dcIn = FloatVector.fromMemorySegment(S, dc, (dc0 + j) * Float.BYTES, NATIVE);
            FloatVector c = FloatVector.fromMemorySegment(S, cPrev, (cp0 + j) * Float.BYTES, NATIVE);
            FloatVector dcTotal = dmv.mul(o).fma(tc.neg().fma(tc, one), dcIn);
            FloatVector di = dcTotal.mul(g).mul(i.mul(one.sub(i)));
            FloatVector df = dcTotal.mul(c).mul(f.mul(one.sub(f)));
            FloatVector dg = dcTotal.mul(i).mul(g.neg().fma(g, one));
            FloatVector dO = dmv.mul(tc).mul(o.mul(one.sub(o)));
            FloatVector dcPrev = dcTotal.mul(f);
            di.blend(0f, di.abs().compare(VectorOperators.LT, TINY_GRADIENT)).intoMemorySegment(da, dat, NATIVE);
            df.blend(0f, df.abs().compare(VectorOperators.LT, TINY_GRADIENT)).intoMemorySegment(da, dat + gate, NATIVE);
            dg.blend(0f, dg.abs().compare(VectorOperators.LT, TINY_GRADIENT)).intoMemorySegment(da, dat + 2 * gate, NATIVE);
            dO.blend(0f, dO.abs().compare(VectorOperators.LT, TINY_GRADIENT)).intoMemorySegment(da, dat + 3 * gate, NATIVE);
            dcPrev.blend(0f, dcPrev.abs().compare(VectorOperators.LT, TINY_GRADIENT))
                    .intoMemorySegment(dc, (dc0 + j) * Float.BYTES, NATIVE);
        }
    }

    @Override
    public void gruForward(int batch, int hidden, int t, int[] lengths,
                           MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                           MemorySegment bhn, long bhnOff, MemorySegment hPrev, long hPrevOff,
                           MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                           MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy) {
        gruForwardColumns(batch, hidden, 0, hidden, t, lengths, gx, gxOff, gh, ghOff, bhn, bhnOff, hPrev, hPrevOff,
                act, actOff, ghn, ghnOff, hNext, hNextOff, y, yOff, ldy);
    }

    /** {@link #gruForward} restricted to hidden units [from, to); {@code from} is a multiple of L or equal to to. */
    static void gruForwardColumns(int batch, int hidden, int from, int to, int t, int[] lengths,
                                  MemorySegment gx, long gxOff, MemorySegment gh, long ghOff,
                                  MemorySegment bhn, long bhnOff, MemorySegment hPrev, long hPrevOff,
                                  MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                                  MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy) {
        int g3 = 3 * hidden;
        int vend = from + (to - from) / L * L;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * g3;
            long yRow = yOff + (long) b * ldy;
            if (!active(lengths, b, t)) {
                holdColumns(from, to, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
                continue;
            }
            long x0 = gxOff + gRow, h0 = ghOff + gRow, a0 = actOff + gRow;
            // Passes over the row, as in lstmForwardColumns.
            int n = vend - from;
            addColumns(from, vend, gx, x0, gh, h0, act, a0);
            addColumns(from, vend, gx, x0 + hidden, gh, h0 + hidden, act, a0 + hidden);
            VectorMath.sigmoid(n, act, a0 + from, act, a0 + from);                              // r
            VectorMath.sigmoid(n, act, a0 + hidden + from, act, a0 + hidden + from);            // z
            gruCandidateInput(from, vend, hidden, gx, x0, gh, h0, bhn, bhnOff, act, a0, ghn, ghnOff + row);
            VectorMath.tanh(n, act, a0 + 2 * hidden + from, act, a0 + 2 * hidden + from);       // n
            gruOutput(from, vend, hidden, act, a0, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
            int j = vend;
            NaiveKernels.gruForwardColumns(hidden, j, to, gx, x0, gh, h0, bhn, bhnOff, hPrev, hPrevOff + row, act, a0,
                    ghn, ghnOff + row, hNext, hNextOff + row, y, yRow);
        }
    }

    /*
     * The vector loops of gruForwardColumns, on their own for the reason given at lstmCellState:
     * inlined there, their load/store helpers were past C2's budget and boxed every vector.
     */

    /** ghn[j] = gh_n[j] + b_hn[j] (b_hn may be null), then act_n[j] = r[j]·ghn[j] + gx_n[j], for j in [from, vend). */
    private static void gruCandidateInput(int from, int vend, int hidden, MemorySegment gx, long x0, MemorySegment gh,
                                          long h0, MemorySegment bhn, long bhnOff, MemorySegment act, long a0,
                                          MemorySegment ghn, long ghnRow) {
        for (int j = from; j < vend; j += L) {
            FloatVector hn = load(gh, h0 + 2 * hidden + j);
            if (bhn != null) hn = hn.add(load(bhn, bhnOff + j));
            store(hn, ghn, ghnRow + j);
            store(load(act, a0 + j).fma(hn, load(gx, x0 + 2 * hidden + j)), act, a0 + 2 * hidden + j);
        }
    }

    /** hNext[j] = (1 - z[j])·n[j] + z[j]·hPrev[j] for j in [from, vend), also into y when given. */
    private static void gruOutput(int from, int vend, int hidden, MemorySegment act, long a0, MemorySegment hPrev,
                                  long hPrevRow, MemorySegment hNext, long hNextRow, MemorySegment y, long yRow) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = from; j < vend; j += L) {
            FloatVector z = load(act, a0 + hidden + j);
            FloatVector h = one.sub(z).fma(load(act, a0 + 2 * hidden + j), z.mul(load(hPrev, hPrevRow + j)));
            store(h, hNext, hNextRow + j);
            if (y != null) store(h, y, yRow + j);
        }
    }

    @Override
    public void gruBackward(int batch, int hidden, int t, int[] lengths,
                            MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                            MemorySegment hPrev, long hPrevOff, MemorySegment dh, long dhOff,
                            MemorySegment dgx, long dgxOff, MemorySegment dgh, long dghOff,
                            MemorySegment dhPrev, long dhPrevOff) {
        gruBackwardColumns(batch, hidden, 0, hidden, t, lengths, act, actOff, ghn, ghnOff, hPrev, hPrevOff, dh, dhOff,
                dgx, dgxOff, dgh, dghOff, dhPrev, dhPrevOff);
    }

    /** {@link #gruBackward} restricted to hidden units [from, to); {@code from} is a multiple of L or equal to to. */
    static void gruBackwardColumns(int batch, int hidden, int from, int to, int t, int[] lengths,
                                   MemorySegment act, long actOff, MemorySegment ghn, long ghnOff,
                                   MemorySegment hPrev, long hPrevOff, MemorySegment dh, long dhOff,
                                   MemorySegment dgx, long dgxOff, MemorySegment dgh, long dghOff,
                                   MemorySegment dhPrev, long dhPrevOff) {
        int g3 = 3 * hidden;
        int vend = from + (to - from) / L * L;
        long bytes = (long) (to - from) * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * hidden;
            long gRow = (long) b * g3;
            if (!active(lengths, b, t)) {
                for (int q = 0; q < 3; q++) {
                    long col = gRow + (long) q * hidden + from;
                    dgx.asSlice((dgxOff + col) * Float.BYTES, bytes).fill((byte) 0);
                    dgh.asSlice((dghOff + col) * Float.BYTES, bytes).fill((byte) 0);
                }
                MemorySegment.copy(dh, (dhOff + row + from) * Float.BYTES, dhPrev, (dhPrevOff + row + from) * Float.BYTES, bytes);
                continue;
            }
            long a0 = actOff + gRow;
            gruBackwardVectors(hidden, from, vend, act, a0, ghn, ghnOff + row, hPrev, hPrevOff + row, dh, dhOff + row,
                    dgx, dgxOff + gRow, dgh, dghOff + gRow, dhPrev, dhPrevOff + row);
            NaiveKernels.gruBackwardColumns(hidden, vend, to, act, a0, ghn, ghnOff + row, hPrev, hPrevOff + row, dh, dhOff + row,
                    dgx, dgxOff + gRow, dgh, dghOff + gRow, dhPrev, dhPrevOff + row);
        }
    }

    /**
     * The vector part of one active row of {@link #gruBackwardColumns}, columns [from, vend); offsets
     * are the row's starts (act's and dgx/dgh's at gate r). As {@link #lstmBackwardVectors}: a method
     * of its own that calls the Vector API's loads and stores directly, so that C2, past its inlining
     * budget, leaves no vector-returning call that would box.
     */
    private static void gruBackwardVectors(int hidden, int from, int vend, MemorySegment act, long a0,
                                           MemorySegment ghn, long ghn0, MemorySegment hPrev, long hp0,
                                           MemorySegment dh, long dh0, MemorySegment dgx, long dgx0,
                                           MemorySegment dgh, long dgh0, MemorySegment dhPrev, long dhp0) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        long gate = (long) hidden * Float.BYTES;   // bytes between two gates' columns in act, dgx and dgh
        for (int j = from; j < vend; j += L) {
            long at = (a0 + j) * Float.BYTES, xt = (dgx0 + j) * Float.BYTES, ht = (dgh0 + j) * Float.BYTES;
            FloatVector r = FloatVector.fromMemorySegment(S, act, at, NATIVE);
            FloatVector z = FloatVector.fromMemorySegment(S, act, at + gate, NATIVE);
            FloatVector n = FloatVector.fromMemorySegment(S, act, at + 2 * gate, NATIVE);
            FloatVector g = FloatVector.fromMemorySegment(S, dh, (dh0 + j) * Float.BYTES, NATIVE);
            FloatVector h = FloatVector.fromMemorySegment(S, hPrev, (hp0 + j) * Float.BYTES, NATIVE);
            FloatVector gn = FloatVector.fromMemorySegment(S, ghn, (ghn0 + j) * Float.BYTES, NATIVE);
            FloatVector dn = g.mul(one.sub(z)).mul(n.neg().fma(n, one));
            FloatVector dz = g.mul(h.sub(n)).mul(z.mul(one.sub(z)));
            FloatVector dr = dn.mul(gn).mul(r.mul(one.sub(r)));
            dr = dr.blend(0f, dr.abs().compare(VectorOperators.LT, TINY_GRADIENT));
            dz = dz.blend(0f, dz.abs().compare(VectorOperators.LT, TINY_GRADIENT));
            dn = dn.blend(0f, dn.abs().compare(VectorOperators.LT, TINY_GRADIENT));
            FloatVector dhn = dn.mul(r), dhp = g.mul(z);
            dr.intoMemorySegment(dgx, xt, NATIVE);
            dz.intoMemorySegment(dgx, xt + gate, NATIVE);
            dn.intoMemorySegment(dgx, xt + 2 * gate, NATIVE);
            dr.intoMemorySegment(dgh, ht, NATIVE);
            dz.intoMemorySegment(dgh, ht + gate, NATIVE);
            dhn.blend(0f, dhn.abs().compare(VectorOperators.LT, TINY_GRADIENT)).intoMemorySegment(dgh, ht + 2 * gate, NATIVE);
            dhp.blend(0f, dhp.abs().compare(VectorOperators.LT, TINY_GRADIENT))
                    .intoMemorySegment(dhPrev, (dhp0 + j) * Float.BYTES, NATIVE);
        }
    }

    @Override
    public void maskedStep(int batch, int width, int t, int[] lengths,
                           MemorySegment hCand, long hCandOff, MemorySegment hPrev, long hPrevOff,
                           MemorySegment hNext, long hNextOff, MemorySegment y, long yOff, int ldy) {
        long rowBytes = (long) width * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * width;
            long yRow = yOff + (long) b * ldy;
            if (!active(lengths, b, t)) {
                holdRow(width, hPrev, hPrevOff + row, hNext, hNextOff + row, y, yRow);
                continue;
            }
            MemorySegment.copy(hCand, (hCandOff + row) * Float.BYTES, hNext, (hNextOff + row) * Float.BYTES, rowBytes);
            if (y != null) MemorySegment.copy(hCand, (hCandOff + row) * Float.BYTES, y, yRow * Float.BYTES, rowBytes);
        }
    }

    @Override
    public void maskedStepBackward(int batch, int width, int t, int[] lengths,
                                   MemorySegment dh, long dhOff, MemorySegment dCand, long dCandOff,
                                   MemorySegment dhPrev, long dhPrevOff) {
        maskedStepBackwardColumns(batch, width, 0, width, t, lengths, dh, dhOff, dCand, dCandOff, dhPrev, dhPrevOff);
    }

    /** {@link #maskedStepBackward} restricted to columns [from, to) of rows of the given width. */
    static void maskedStepBackwardColumns(int batch, int width, int from, int to, int t, int[] lengths,
                                          MemorySegment dh, long dhOff, MemorySegment dCand, long dCandOff,
                                          MemorySegment dhPrev, long dhPrevOff) {
        long bytes = (long) (to - from) * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            long row = (long) b * width + from;
            boolean on = active(lengths, b, t);
            MemorySegment.copy(dh, (dhOff + row) * Float.BYTES, on ? dCand : dhPrev,
                    ((on ? dCandOff : dhPrevOff) + row) * Float.BYTES, bytes);
            (on ? dhPrev : dCand).asSlice(((on ? dhPrevOff : dCandOff) + row) * Float.BYTES, bytes).fill((byte) 0);
        }
    }

    @Override
    public void addActiveRows(int batch, int width, int t, int[] lengths,
                              MemorySegment dy, long dyOff, int ldy, MemorySegment dh, long dhOff) {
        addActiveRowsColumns(batch, width, 0, width, t, lengths, dy, dyOff, ldy, dh, dhOff);
    }

    /** {@link #addActiveRows} restricted to columns [from, to). */
    static void addActiveRowsColumns(int batch, int width, int from, int to, int t, int[] lengths,
                                     MemorySegment dy, long dyOff, int ldy, MemorySegment dh, long dhOff) {
        int vend = from + (to - from) / L * L;
        for (int b = 0; b < batch; b++) {
            if (!active(lengths, b, t)) continue;
            long row = dhOff + (long) b * width, yRow = dyOff + (long) b * ldy;
            int j = from;
            for (; j < vend; j += L) store(load(dh, row + j).add(load(dy, yRow + j)), dh, row + j);
            for (; j < to; j++) put(dh, row + j, get(dh, row + j) + get(dy, yRow + j));
        }
    }
}
