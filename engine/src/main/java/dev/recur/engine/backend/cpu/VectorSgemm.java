package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.Sgemm;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SGEMM with the Vector API: blocked, packed and register-tiled, multi-threaded with
 * {@link CpuParallel}.
 *
 * <p>General path: op(B)[k, nc] (nc up to all of n) is packed once, in parallel, into p-major
 * panels of NR = 2L columns (L = vector lanes, 16 with AVX-512). Each task then owns a block of C
 * (MC or MC_LARGE rows by up to 1024 columns) for the whole k loop: per KC block of k (k up to 1024
 * is one block) it packs its rows of alpha * op(A) into p-major micro-panels of MR = 8 rows, then
 * for each B panel runs the 8 x 2L micro-kernel over every A micro-panel. Packing pads with zeros,
 * so the micro-kernel always computes a full tile; partial tiles go through a small buffer. Pack
 * buffers are off-heap, per thread and reused across calls. Transposing packs use 8 x 16 vector
 * transposes.
 *
 * <p>Small-m path (with transB, m <= 4, or m <= 64 while m <= k / 32: {@link #usesSmallM}; m <= 16 without):
 * nothing is packed but the few rows of op(A). With transB, each C element is a dot product along
 * contiguous rows of A and B (4 x 4 at a time); without, rows of B are accumulated 4L columns at a
 * time. Rows of A go 4 at a time innermost, so the B rows in use stay in L1.
 *
 * <p>Summation order does not depend on the thread count, so single- and multi-threaded results
 * are bitwise identical.
 *
 * <p>The measurements behind the block sizes and the shape of the kernels are in
 * docs/performance.md ("Measurements behind the CPU kernels").
 */
public final class VectorSgemm implements Sgemm {
    static {
        ClassHierarchyPreload.ensureLoaded();
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** MR = 8 floats: used only where L >= 8, so that it is a native vector size. */
    private static final VectorSpecies<Float> HALF = FloatVector.SPECIES_256;
    private static final int L = F.length();
    private static final long VECTOR_BYTES = (long) L * Float.BYTES;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Micro-tile: MR rows of op(A) by NR columns of op(B). */
    static final int MR = 8;
    static final int NR = 2 * L;
    /**
     * k block: a whole k up to 1024 is one block, so C is written once (no read-add-write of a
     * second pass); the B panel (KC x NR, 128 KB) and A micro-panel (MR x KC, 32 KB) stream from L2.
     */
    static final int KC = 1024;
    /** Rows of op(A) per task: the packed A block (MC x KC, 512 KB) stays in L2 under the B panel. */
    static final int MC = 128;
    /**
     * Rows per task when m >= 2 x threads x MC_LARGE (1 MB A block): each B panel serves twice as
     * many micro-panels. Not below: with under 2 row blocks per thread, the tasks split the
     * columns instead and each one packs the same A rows again.
     */
    static final int MC_LARGE = 256;
    /** op(B) is packed whole for up to this many floats (16 MB), in column blocks beyond. */
    static final int B_PACK_FLOATS = 4 << 20;
    /** The most floats of op(A) packed once and shared by every task (see {@link #packed}). */
    static final int A_SHARED_FLOATS = 4 << 20;
    /** Columns of C per task: with MC rows, a 128 x 1024 block (512 KB). */
    static final int MAX_TASK_COLUMNS = 1024;
    /**
     * The small-m path takes a product whose op(A) has too few rows to repay packing op(B): with
     * transB, up to SMALL_M_GEMV rows always, and up to SMALL_M_TRANS_B rows while m <= k /
     * K_PER_ROW (its dot products of length k reduce across lanes once per element of C, which a
     * short k does not amortise: at k = 64 and m = 16 to 64 the packed path was 1.9-3.8x faster,
     * at k = 512 and m = 16 1.3x slower); without transB, up to SMALL_M rows.
     */
    static final int SMALL_M_GEMV = 4;
    static final int SMALL_M_TRANS_B = 64;
    static final int K_PER_ROW = 32;
    static final int SMALL_M = 16;
    /** Below this many multiply-adds a small-m product runs on one thread: an estimate of the hand-off cost. */
    static final long SMALL_M_PARALLEL_WORK = 1L << 16;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final boolean multiThreaded;

    /** A multi-threaded instance (threads from {@link CpuParallel}). */
    public VectorSgemm() {
        this(true);
    }

    private VectorSgemm(boolean multiThreaded) {
        this.multiThreaded = multiThreaded;
    }

    /** An instance that runs every product on the calling thread. */
    public static VectorSgemm singleThreaded() {
        return new VectorSgemm(false);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        SgemmArguments.check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0) {
            scale(m, n, beta, c, cOffset, ldc);
        } else if (usesSmallM(transB, m, k)) {
            smallM(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        } else {
            packed(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        }
    }

    static boolean usesSmallM(boolean transB, int m, int k) {
        if (!transB) return m <= SMALL_M;
        return m <= SMALL_M_GEMV || (m <= SMALL_M_TRANS_B && (long) m * K_PER_ROW <= k);
    }

    private int threads() {
        return multiThreaded ? CpuParallel.threads() : 1;
    }

    private void forEach(int tasks, java.util.function.IntConsumer body) {
        if (multiThreaded) {
            CpuParallel.parallelFor(tasks, body);
        } else {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
        }
    }

    /** C = beta * C; beta == 0 writes zeros whatever C held. */
    private static void scale(int m, int n, float beta, MemorySegment c, long cOffset, int ldc) {
        for (int i = 0; i < m; i++) {
            long row = cOffset + (long) i * ldc;
            for (int j = 0; j < n; j++) {
                c.setAtIndex(ValueLayout.JAVA_FLOAT, row + j, beta == 0 ? 0f : beta * c.getAtIndex(ValueLayout.JAVA_FLOAT, row + j));
            }
        }
    }

    // ---------------------------------------------------------------- general (packed) path

    /**
     * Packs all of alpha * op(A) [m, k] once, micro-panel by micro-panel (MR rows, p-major over all
     * of k, so the slice of k block pc starts at p = pc), in parallel, into the calling thread's
     * scratch; the tasks of {@link #packed} then read it instead of packing their blocks.
     */
    private MemorySegment packAllOfA(boolean transA, int m, int k, float alpha, MemorySegment a, long aOffset, int lda) {
        int microPanels = ceilDiv(m, MR);
        MemorySegment shared = SCRATCH.get().sharedA((long) microPanels * MR * k);
        int chunks = Math.min(microPanels, 2 * threads());
        forEach(chunks, t -> {
            for (int r = (int) ((long) microPanels * t / chunks); r < (long) microPanels * (t + 1) / chunks; r++) {
                int row = r * MR;
                packA(transA, a, aOffset, lda, alpha, row, Math.min(MR, m - row), 0, k, shared, (long) r * MR * k * Float.BYTES);
            }
        });
        return shared;
    }

    /** Chunks of B panels per row block: with few row blocks, split the panels too, so that every thread gets about 3 tasks. */
    private static int panelChunks(int ncBlock, int rowBlocks, int threads) {
        int panels = ceilDiv(ncBlock, NR);
        return Math.max(1, Math.min(panels, Math.max(ceilDiv(ncBlock, MAX_TASK_COLUMNS), ceilDiv(3 * threads, rowBlocks))));
    }

    private void packed(boolean transA, boolean transB, int m, int n, int k, float alpha,
                        MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                        float beta, MemorySegment c, long cOffset, int ldc) {
        int threads = threads();
        // Equal k blocks: k = 1100 gives 2 x 550 rather than 1024 + 76.
        int kBlocks = ceilDiv(k, KC);
        int kcMax = ceilDiv(k, kBlocks);
        int mcLimit = m >= 2 * threads * MC_LARGE ? MC_LARGE : MC;
        int rowBlocks = ceilDiv(m, mcLimit);
        // Equal row blocks (in whole micro-panels), as for k: m = 156 gives 80 + 76 rather than
        // 128 + 28, tasks 4.5x apart that would leave one thread waiting.
        int mcMax = Math.min(mcLimit, roundUp(ceilDiv(m, rowBlocks), MR));
        // All of op(B)[k, nc] is packed at once, at most B_PACK_FLOATS.
        int nc = Math.max(NR, Math.min(roundUp(n, NR), B_PACK_FLOATS / k / NR * NR));
        MemorySegment bPack = SCRATCH.get().bPack((long) k * roundUp(nc, NR));
        // Where a row block's A block would be packed by several tasks (several panel chunks, or
        // several column blocks jc), pack all of op(A) once instead, shared (the weight gradients'
        // op(A) = [x | h_prev]^T, a transposing pack with strided reads).
        boolean shareA = (n > nc || panelChunks(Math.min(nc, n), rowBlocks, threads) > 1)
                && (long) roundUp(m, MR) * k <= A_SHARED_FLOATS;
        MemorySegment sharedA = shareA ? packAllOfA(transA, m, k, alpha, a, aOffset, lda) : null;
        for (int jc = 0; jc < n; jc += nc) {
            int ncBlock = Math.min(nc, n - jc);
            int panels = ceilDiv(ncBlock, NR);
            int panelChunks = panelChunks(ncBlock, rowBlocks, threads);
            int packChunks = Math.min(panels, 2 * threads);
            final int jc0 = jc;
            forEach(packChunks, t -> {
                MemorySegment tmp = SCRATCH.get().tile;
                int first = (int) ((long) panels * t / packChunks);
                int last = (int) ((long) panels * (t + 1) / packChunks);
                for (int q = first; q < last; q++) {
                    int col = jc0 + q * NR;
                    // Panel q holds op(B)[0 .. k, col .. col+NR], p-major: k block pc starts at p = pc.
                    packB(transB, b, bOffset, ldb, 0, k, col, Math.min(NR, n - col), bPack, (long) q * NR * k * Float.BYTES, tmp);
                }
            });
            // A task owns a block of C (mcMax rows x a chunk of panels) for the whole k loop.
            forEach(rowBlocks * panelChunks, t -> {
                int rowBlock = t / panelChunks;
                int chunk = t % panelChunks;
                int row0 = rowBlock * mcMax;
                int mc = Math.min(mcMax, m - row0);
                int firstPanel = (int) ((long) panels * chunk / panelChunks);
                int lastPanel = (int) ((long) panels * (chunk + 1) / panelChunks);
                Scratch scratch = SCRATCH.get();
                MemorySegment aPack = scratch.aPack;
                if (beta != 0 && beta != 1) {
                    int col0 = jc0 + firstPanel * NR;
                    scale(mc, Math.min(n, jc0 + lastPanel * NR) - col0, beta, c, cOffset + (long) row0 * ldc + col0, ldc);
                }
                for (int pc = 0; pc < k; pc += kcMax) {
                    int kc = Math.min(kcMax, k - pc);
                    // beta * C is in C already; beta == 0 overwrites it (NaN included).
                    boolean accumulate = pc > 0 || beta != 0;
                    if (sharedA == null) {
                        for (int r = 0; r * MR < mc; r++) {
                            int row = row0 + r * MR;
                            packA(transA, a, aOffset, lda, alpha, row, Math.min(MR, m - row), pc, kc, aPack, (long) r * MR * kc * Float.BYTES);
                        }
                    }
                    // B panel outermost: it stays in L2 (KC x NR, 128 KB) while every A micro-panel
                    // of the block (from L2 too) goes under it. The other order, A micro-panel
                    // outermost, would stream all B panels (up to 4 MB) from L3 for each A micro-panel.
                    for (int q = firstPanel; q < lastPanel; q++) {
                        int col = jc0 + q * NR;
                        int cols = Math.min(NR, n - col);
                        long bOff = ((long) q * k + pc) * NR * Float.BYTES;
                        for (int r = 0; r * MR < mc; r++) {
                            int row = row0 + r * MR;
                            int rows = Math.min(MR, m - row);
                            MemorySegment aPanels = sharedA == null ? aPack : sharedA;
                            long aOff = sharedA == null ? (long) r * MR * kc * Float.BYTES
                                    : ((long) (row / MR) * k + pc) * MR * Float.BYTES;
                            if (rows == MR && cols == NR && !accumulate) {
                                microKernel(kc, aPanels, aOff, bPack, bOff, c,
                                        (cOffset + (long) row * ldc + col) * Float.BYTES, (long) ldc * Float.BYTES);
                            } else {
                                microKernel(kc, aPanels, aOff, bPack, bOff, scratch.tile, 0, NR * Float.BYTES);
                                mergeTile(scratch.tile, rows, cols, c, cOffset + (long) row * ldc + col, ldc, accumulate);
                            }
                        }
                    }
                }
            });
        }
    }

    /**
     * Packs alpha * op(A)[row .. row+rows, pc .. pc+kc] p-major (MR floats per p), zero rows below
     * {@code rows}. Folding alpha in here keeps the micro-kernel's epilogue a plain add.
     */
    private static void packA(boolean transA, MemorySegment a, long aOffset, int lda, float alpha, int row, int rows, int pc, int kc,
                              MemorySegment aPack, long packOff) {
        if (transA && rows == MR && L >= MR) {
            // A stored [k, lda]: op(A)[i, p] = A[p, i], MR contiguous floats per p: one 8-lane
            // vector copy per p, not MR scalar ones.
            for (int p = 0; p < kc; p++) {
                long src = (aOffset + (long) (pc + p) * lda + row) * Float.BYTES;
                FloatVector.fromMemorySegment(HALF, a, src, ORDER).mul(alpha)
                        .intoMemorySegment(aPack, packOff + (long) p * MR * Float.BYTES, ORDER);
            }
        } else if (transA) {
            // Two loops for the same reason as in packB.
            for (int p = 0; p < kc; p++) {
                long src = aOffset + (long) (pc + p) * lda + row;
                long dst = packOff + (long) p * MR * Float.BYTES;
                for (int i = 0; i < rows; i++) {
                    aPack.set(FLOAT, dst + (long) i * Float.BYTES, alpha * a.getAtIndex(ValueLayout.JAVA_FLOAT, src + i));
                }
                for (int i = rows; i < MR; i++) {
                    aPack.set(FLOAT, dst + (long) i * Float.BYTES, 0f);
                }
            }
        } else {
            // A stored [m, lda]: a transpose, 8 rows x L columns at a time, then row by row.
            int p0 = 0;
            if (rows == MR && L == 2 * MR) {
                for (; p0 + L <= kc; p0 += L) {
                    transpose8(a, (aOffset + (long) row * lda + pc + p0) * Float.BYTES, (long) lda * Float.BYTES, alpha,
                            aPack, packOff + (long) p0 * MR * Float.BYTES);
                }
            }
            for (int i = 0; i < MR; i++) {
                long dst = packOff + (long) i * Float.BYTES;
                if (i < rows) {
                    long src = aOffset + (long) (row + i) * lda + pc;
                    for (int p = p0; p < kc; p++) {
                        aPack.set(FLOAT, dst + (long) p * MR * Float.BYTES, alpha * a.getAtIndex(ValueLayout.JAVA_FLOAT, src + p));
                    }
                } else {
                    for (int p = p0; p < kc; p++) {
                        aPack.set(FLOAT, dst + (long) p * MR * Float.BYTES, 0f);
                    }
                }
            }
        }
    }

    /** Lane indices of the 3 interleaving steps of {@link #transpose8}, for selectFrom(a, b) (b's lanes are L + i). */
    private static final FloatVector ZIP1_LO = zipIndices(1, 0), ZIP1_HI = zipIndices(1, 1),
            ZIP2_LO = zipIndices(2, 0), ZIP2_HI = zipIndices(2, 1), ZIP4_LO = zipIndices(4, 0), ZIP4_HI = zipIndices(4, 1);

    /** Interleaves groups of {@code width} lanes of a and b, from the low (half 0) or high half of each. */
    private static FloatVector zipIndices(int width, int half) {
        float[] index = new float[L];
        for (int i = 0; i < L; i++) {
            int group = i / (2 * width), within = i % width;
            boolean fromB = (i / width) % 2 == 1;
            index[i] = half * (L / 2) + group * width + within + (fromB ? L : 0);
        }
        return FloatVector.fromArray(F, index, 0);
    }

    /**
     * Transposes 8 rows x 16 columns (L = 16) of a row-major source, times alpha: writes, for each
     * column p, its 8 values (one per row) as 8 contiguous floats at {@code dst + p * 32}.
     * Three rounds of two-vector selects (8 each; selectFrom(v1, v2) compiles to one vpermt2ps)
     * instead of 128 scalar loads and stores. Vectors stay local: no vector arguments (see
     * microKernel). Kept small for C1, which gives up ("out of virtual registers") when the B
     * pack's strided (masked) stores are folded in: hence {@link #copyRows8}.
     */
    private static void transpose8(MemorySegment src, long srcOff, long srcStrideBytes, float alpha,
                                   MemorySegment dst, long dstOff) {
        FloatVector r0 = FloatVector.fromMemorySegment(F, src, srcOff, ORDER).mul(alpha);
        FloatVector r1 = FloatVector.fromMemorySegment(F, src, srcOff + srcStrideBytes, ORDER).mul(alpha);
        FloatVector r2 = FloatVector.fromMemorySegment(F, src, srcOff + 2 * srcStrideBytes, ORDER).mul(alpha);
        FloatVector r3 = FloatVector.fromMemorySegment(F, src, srcOff + 3 * srcStrideBytes, ORDER).mul(alpha);
        FloatVector r4 = FloatVector.fromMemorySegment(F, src, srcOff + 4 * srcStrideBytes, ORDER).mul(alpha);
        FloatVector r5 = FloatVector.fromMemorySegment(F, src, srcOff + 5 * srcStrideBytes, ORDER).mul(alpha);
        FloatVector r6 = FloatVector.fromMemorySegment(F, src, srcOff + 6 * srcStrideBytes, ORDER).mul(alpha);
        FloatVector r7 = FloatVector.fromMemorySegment(F, src, srcOff + 7 * srcStrideBytes, ORDER).mul(alpha);
        // Pairs of rows, columns 0-7 (lo) and 8-15 (hi): [r0[p], r1[p]] for each p.
        FloatVector t01l = ZIP1_LO.selectFrom(r0, r1), t01h = ZIP1_HI.selectFrom(r0, r1);
        FloatVector t23l = ZIP1_LO.selectFrom(r2, r3), t23h = ZIP1_HI.selectFrom(r2, r3);
        FloatVector t45l = ZIP1_LO.selectFrom(r4, r5), t45h = ZIP1_HI.selectFrom(r4, r5);
        FloatVector t67l = ZIP1_LO.selectFrom(r6, r7), t67h = ZIP1_HI.selectFrom(r6, r7);
        // Quads of rows: columns 0-3, 4-7, 8-11, 12-15.
        FloatVector u0 = ZIP2_LO.selectFrom(t01l, t23l), u1 = ZIP2_HI.selectFrom(t01l, t23l);
        FloatVector u2 = ZIP2_LO.selectFrom(t01h, t23h), u3 = ZIP2_HI.selectFrom(t01h, t23h);
        FloatVector w0 = ZIP2_LO.selectFrom(t45l, t67l), w1 = ZIP2_HI.selectFrom(t45l, t67l);
        FloatVector w2 = ZIP2_LO.selectFrom(t45h, t67h), w3 = ZIP2_HI.selectFrom(t45h, t67h);
        // All 8 rows, two columns per vector: columns (0, 1), (2, 3), ... (14, 15).
        ZIP4_LO.selectFrom(u0, w0).intoMemorySegment(dst, dstOff, ORDER);
        ZIP4_HI.selectFrom(u0, w0).intoMemorySegment(dst, dstOff + VECTOR_BYTES, ORDER);
        ZIP4_LO.selectFrom(u1, w1).intoMemorySegment(dst, dstOff + 2 * VECTOR_BYTES, ORDER);
        ZIP4_HI.selectFrom(u1, w1).intoMemorySegment(dst, dstOff + 3 * VECTOR_BYTES, ORDER);
        ZIP4_LO.selectFrom(u2, w2).intoMemorySegment(dst, dstOff + 4 * VECTOR_BYTES, ORDER);
        ZIP4_HI.selectFrom(u2, w2).intoMemorySegment(dst, dstOff + 5 * VECTOR_BYTES, ORDER);
        ZIP4_LO.selectFrom(u3, w3).intoMemorySegment(dst, dstOff + 6 * VECTOR_BYTES, ORDER);
        ZIP4_HI.selectFrom(u3, w3).intoMemorySegment(dst, dstOff + 7 * VECTOR_BYTES, ORDER);
    }

    /** Packs op(B)[pc .. pc+kc, col .. col+cols] p-major (NR floats per p), zero columns past {@code cols}. */
    private static void packB(boolean transB, MemorySegment b, long bOffset, int ldb, int pc, int kc, int col, int cols,
                              MemorySegment bPack, long packOff, MemorySegment tmp) {
        if (!transB && cols == NR) {
            // B stored [k, ldb]: each p copies 2 vectors of a row.
            for (int p = 0; p < kc; p++) {
                long src = (bOffset + (long) (pc + p) * ldb + col) * Float.BYTES;
                long dst = packOff + (long) p * NR * Float.BYTES;
                FloatVector.fromMemorySegment(F, b, src, ORDER).intoMemorySegment(bPack, dst, ORDER);
                FloatVector.fromMemorySegment(F, b, src + VECTOR_BYTES, ORDER).intoMemorySegment(bPack, dst + VECTOR_BYTES, ORDER);
            }
        } else if (!transB) {
            // Two loops, not one with "j < cols ? B : 0": C2 hoists the bounds check of B over all
            // NR columns (a loop predicate), which fails at B's right edge, and the trap and
            // recompile then repeat on every call.
            for (int p = 0; p < kc; p++) {
                long src = bOffset + (long) (pc + p) * ldb + col;
                long dst = packOff + (long) p * NR * Float.BYTES;
                for (int j = 0; j < cols; j++) {
                    bPack.set(FLOAT, dst + (long) j * Float.BYTES, b.getAtIndex(ValueLayout.JAVA_FLOAT, src + j));
                }
                for (int j = cols; j < NR; j++) {
                    bPack.set(FLOAT, dst + (long) j * Float.BYTES, 0f);
                }
            }
        } else {
            // B stored [n, ldb]: op(B)[p, j] = B[j, p], a transpose: 8 columns x L rows at a
            // time, then row by row.
            int p0 = 0;
            if (cols == NR && L == 2 * MR) {
                for (; p0 + L <= kc; p0 += L) {
                    for (int j = 0; j < NR; j += MR) {
                        transpose8(b, (bOffset + (long) (col + j) * ldb + pc + p0) * Float.BYTES, (long) ldb * Float.BYTES, 1f, tmp, 0);
                        copyRows8(tmp, bPack, packOff + ((long) p0 * NR + j) * Float.BYTES);
                    }
                }
            }
            for (int j = 0; j < NR; j++) {
                long dst = packOff + (long) j * Float.BYTES;
                if (j < cols) {
                    long src = bOffset + (long) (col + j) * ldb + pc;
                    for (int p = p0; p < kc; p++) {
                        bPack.set(FLOAT, dst + (long) p * NR * Float.BYTES, b.getAtIndex(ValueLayout.JAVA_FLOAT, src + p));
                    }
                } else {
                    for (int p = p0; p < kc; p++) {
                        bPack.set(FLOAT, dst + (long) p * NR * Float.BYTES, 0f);
                    }
                }
            }
        }
    }

    /**
     * Copies the L rows of MR floats that {@link #transpose8} wrote to {@code tmp} into a B panel
     * (rows NR floats apart). A separate method: transpose8 with these stores folded in (masked
     * 512-bit stores) is too big for C1 ("out of virtual registers"), and such a method can be
     * left in slow tier-2 code.
     */
    private static void copyRows8(MemorySegment tmp, MemorySegment bPack, long dstOff) {
        for (int p = 0; p < L; p++) {
            FloatVector.fromMemorySegment(HALF, tmp, (long) p * MR * Float.BYTES, ORDER)
                    .intoMemorySegment(bPack, dstOff + (long) p * NR * Float.BYTES, ORDER);
        }
    }

    /** C[rows, cols] = tile (+ C when accumulating); tile is [MR, NR]. */
    private static void mergeTile(MemorySegment tile, int rows, int cols, MemorySegment c, long cIndex, int ldc,
                                  boolean accumulate) {
        if (cols == NR) {
            for (int i = 0; i < rows; i++) {
                long t = (long) i * NR * Float.BYTES;
                long ci = (cIndex + (long) i * ldc) * Float.BYTES;
                FloatVector t0 = FloatVector.fromMemorySegment(F, tile, t, ORDER);
                FloatVector t1 = FloatVector.fromMemorySegment(F, tile, t + VECTOR_BYTES, ORDER);
                if (accumulate) {
                    t0 = t0.add(FloatVector.fromMemorySegment(F, c, ci, ORDER));
                    t1 = t1.add(FloatVector.fromMemorySegment(F, c, ci + VECTOR_BYTES, ORDER));
                }
                t0.intoMemorySegment(c, ci, ORDER);
                t1.intoMemorySegment(c, ci + VECTOR_BYTES, ORDER);
            }
            return;
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long ci = cIndex + (long) i * ldc + j;
                float value = tile.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * NR + j);
                c.setAtIndex(ValueLayout.JAVA_FLOAT, ci, accumulate ? value + c.getAtIndex(ValueLayout.JAVA_FLOAT, ci) : value);
            }
        }
    }

    /**
     * The register-tiled micro-kernel: out[8, 2L] = Apanel[8, kc] * Bpanel[kc, 2L],
     * with 16 vector accumulators (C2 keeps them all in zmm registers). Apanel is packed p-major
     * (8 floats per p), Bpanel p-major (2L floats per p); offsets are in bytes.
     */
    private static void microKernel(int kc, MemorySegment aPack, long aOff, MemorySegment bPack, long bOff,
                                    MemorySegment out, long outOff, long ldOutBytes) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        // A long induction over byte offsets rather than an int p with offsets derived from it:
        // fewer live GPRs, no GPR<->xmm spills around the FMAs.
        long aEnd = aOff + (long) kc * (MR * Float.BYTES);
        for (long ap = aOff, bp = bOff; ap < aEnd; ap += MR * Float.BYTES, bp += NR * Float.BYTES) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, bPack, bp, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(F, bPack, bp + VECTOR_BYTES, ORDER);
            FloatVector a0 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 0));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 4));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 8));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 12));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 16));
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 20));
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 24));
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(F, aPack.get(FLOAT, ap + 28));
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        // Stored in place, not through a helper: a helper taking vectors is not always inlined
        // (NodeCountInliningCutoff) and then boxes the accumulators. No read of C here either:
        // a bigger method overflows C1's virtual registers, and the tiered policy can then leave
        // the method in slow tier-2 code for good.
        c00.intoMemorySegment(out, outOff + 0 * ldOutBytes, ORDER);
        c01.intoMemorySegment(out, outOff + 0 * ldOutBytes + VECTOR_BYTES, ORDER);
        c10.intoMemorySegment(out, outOff + 1 * ldOutBytes, ORDER);
        c11.intoMemorySegment(out, outOff + 1 * ldOutBytes + VECTOR_BYTES, ORDER);
        c20.intoMemorySegment(out, outOff + 2 * ldOutBytes, ORDER);
        c21.intoMemorySegment(out, outOff + 2 * ldOutBytes + VECTOR_BYTES, ORDER);
        c30.intoMemorySegment(out, outOff + 3 * ldOutBytes, ORDER);
        c31.intoMemorySegment(out, outOff + 3 * ldOutBytes + VECTOR_BYTES, ORDER);
        c40.intoMemorySegment(out, outOff + 4 * ldOutBytes, ORDER);
        c41.intoMemorySegment(out, outOff + 4 * ldOutBytes + VECTOR_BYTES, ORDER);
        c50.intoMemorySegment(out, outOff + 5 * ldOutBytes, ORDER);
        c51.intoMemorySegment(out, outOff + 5 * ldOutBytes + VECTOR_BYTES, ORDER);
        c60.intoMemorySegment(out, outOff + 6 * ldOutBytes, ORDER);
        c61.intoMemorySegment(out, outOff + 6 * ldOutBytes + VECTOR_BYTES, ORDER);
        c70.intoMemorySegment(out, outOff + 7 * ldOutBytes, ORDER);
        c71.intoMemorySegment(out, outOff + 7 * ldOutBytes + VECTOR_BYTES, ORDER);
    }

    /** alpha * acc + beta * C (one rounding for the sum); C is not read when beta == 0. */
    private static float combine(float acc, MemorySegment c, long cIndex, float alpha, float beta) {
        float scaled = alpha * acc;
        return beta == 0 ? scaled : Math.fma(c.getAtIndex(ValueLayout.JAVA_FLOAT, cIndex), beta, scaled);
    }

    // ---------------------------------------------------------------- small-m path

    private void smallM(boolean transA, boolean transB, int m, int n, int k, float alpha,
                        MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                        float beta, MemorySegment c, long cOffset, int ldc) {
        // op(A) copied to [m, k] rows: m * k floats, small next to B's n * k.
        MemorySegment rows = SCRATCH.get().rowsOfA((long) m * k);
        for (int i = 0; i < m; i++) {
            if (transA) {
                for (int p = 0; p < k; p++) {
                    rows.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * k + p, a.getAtIndex(ValueLayout.JAVA_FLOAT, aOffset + (long) p * lda + i));
                }
            } else {
                MemorySegment.copy(a, (aOffset + (long) i * lda) * Float.BYTES, rows, (long) i * k * Float.BYTES, (long) k * Float.BYTES);
            }
        }
        // Columns per task: a multiple of the kernel's width.
        int unit = transB ? 4 : 4 * L;
        int units = ceilDiv(n, unit);
        int tasks = (long) m * n * k < SMALL_M_PARALLEL_WORK ? 1 : Math.min(units, 2 * threads());
        forEach(tasks, t -> {
            int first = (int) ((long) units * t / tasks) * unit;
            int last = Math.min(n, (int) ((long) units * (t + 1) / tasks) * unit);
            // Rows of op(A) in groups of 4, innermost: the few B rows (or columns) in use stay in L1.
            if (transB) {
                MemorySegment tile = SCRATCH.get().tile;
                for (int j = first; j < last; j += 4) {
                    for (int i = 0; i < m; i += 4) {
                        dots(k, Math.min(4, m - i), Math.min(4, last - j), rows, (long) i * k * Float.BYTES,
                                b, (bOffset + (long) j * ldb) * Float.BYTES, (long) ldb * Float.BYTES,
                                c, cOffset + (long) i * ldc + j, ldc, alpha, beta, tile);
                    }
                }
            } else {
                MemorySegment tile = SCRATCH.get().tile;
                for (int j = first; j < last; j += 4 * L) {
                    int cols = Math.min(4 * L, last - j);
                    MemorySegment bRows = b;
                    long bRowsOff = (bOffset + j) * Float.BYTES, bRowsLd = (long) ldb * Float.BYTES;
                    if (cols < 4 * L) {
                        // Right edge: copy the columns into zero-padded rows of 4L, so the one unmasked
                        // kernel serves (a masked twin is too big for C1 and can stay in slow tier-2 code).
                        bRows = SCRATCH.get().edgeOfB((long) k * 4 * L);
                        packEdgeColumns(k, cols, b, bOffset + j, ldb, bRows);
                        bRowsOff = 0;
                        bRowsLd = 4L * L * Float.BYTES;
                    }
                    for (int i = 0; i < m; i += 4) {
                        long aBase = (long) i * k * Float.BYTES;
                        long cOff = (cOffset + (long) i * ldc + j) * Float.BYTES;
                        rowsKernel(k, Math.min(4, m - i), cols, rows, aBase, bRows, bRowsOff, bRowsLd,
                                c, cOff, (long) ldc * Float.BYTES, alpha, beta, tile);
                    }
                }
            }
        });
    }

    /**
     * C[m, cols] for m, cols <= 4, op(B) = B^T: 16 dot products of contiguous rows, op(A) rows
     * [m, k] in {@code rows} and B rows {@code ldbBytes} apart. Missing rows repeat the first
     * (computed, not stored) so that one loop serves every shape.
     *
     * <p>Three methods, each small enough for C1: a Vector API method that C1 gives up on ("out of
     * virtual registers"), as one holding the tail and the reduction too does, can be left in slow
     * tier-2 code.
     */
    private static void dots(int k, int m, int cols, MemorySegment rows, long aBase, MemorySegment b, long bOff, long ldbBytes,
                             MemorySegment c, long cIndex, int ldc, float alpha, float beta, MemorySegment tile) {
        long kBytes = (long) k * Float.BYTES;
        long a0 = aBase, a1 = m > 1 ? aBase + kBytes : a0, a2 = m > 2 ? aBase + 2 * kBytes : a0, a3 = m > 3 ? aBase + 3 * kBytes : a0;
        long b0 = bOff, b1 = cols > 1 ? bOff + ldbBytes : b0, b2 = cols > 2 ? bOff + 2 * ldbBytes : b0,
                b3 = cols > 3 ? bOff + 3 * ldbBytes : b0;
        int full = k / L * L;
        dotKernel(full, rows, a0, a1, a2, a3, b, b0, b1, b2, b3, tile);
        if (full < k) {
            dotTail(full, k, rows, a0, a1, a2, a3, b, b0, b1, b2, b3, tile);
        }
        sumLanes(tile, 4 * m);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < cols; j++) {
                long ci = cIndex + (long) i * ldc + j;
                c.setAtIndex(ValueLayout.JAVA_FLOAT, ci, combine(tile.getAtIndex(ValueLayout.JAVA_FLOAT, 4 * i + j), c, ci, alpha, beta));
            }
        }
    }

    /**
     * The 16 partial dot products (row i of A, row j of B) over p < {@code end} (a multiple of L),
     * as 16 vectors into {@code tile} (vector 4i + j). Through the tile, not a helper taking vectors
     * (which C2 may not inline, boxing them); and not reduceLanes(ADD): its order is unspecified
     * and does differ between the interpreter and C2, which would break bitwise equality across
     * thread counts whenever one thread still runs slower-tier code.
     */
    private static void dotKernel(int end, MemorySegment rows, long a0, long a1, long a2, long a3,
                                  MemorySegment b, long b0, long b1, long b2, long b3, MemorySegment tile) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int p = 0; p < end; p += L) {
            long o = (long) p * Float.BYTES;
            FloatVector x0 = FloatVector.fromMemorySegment(F, b, b0 + o, ORDER);
            FloatVector x1 = FloatVector.fromMemorySegment(F, b, b1 + o, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(F, b, b2 + o, ORDER);
            FloatVector x3 = FloatVector.fromMemorySegment(F, b, b3 + o, ORDER);
            FloatVector y = FloatVector.fromMemorySegment(F, rows, a0 + o, ORDER);
            s00 = y.fma(x0, s00); s01 = y.fma(x1, s01); s02 = y.fma(x2, s02); s03 = y.fma(x3, s03);
            y = FloatVector.fromMemorySegment(F, rows, a1 + o, ORDER);
            s10 = y.fma(x0, s10); s11 = y.fma(x1, s11); s12 = y.fma(x2, s12); s13 = y.fma(x3, s13);
            y = FloatVector.fromMemorySegment(F, rows, a2 + o, ORDER);
            s20 = y.fma(x0, s20); s21 = y.fma(x1, s21); s22 = y.fma(x2, s22); s23 = y.fma(x3, s23);
            y = FloatVector.fromMemorySegment(F, rows, a3 + o, ORDER);
            s30 = y.fma(x0, s30); s31 = y.fma(x1, s31); s32 = y.fma(x2, s32); s33 = y.fma(x3, s33);
        }
        s00.intoMemorySegment(tile, 0 * VECTOR_BYTES, ORDER);
        s01.intoMemorySegment(tile, 1 * VECTOR_BYTES, ORDER);
        s02.intoMemorySegment(tile, 2 * VECTOR_BYTES, ORDER);
        s03.intoMemorySegment(tile, 3 * VECTOR_BYTES, ORDER);
        s10.intoMemorySegment(tile, 4 * VECTOR_BYTES, ORDER);
        s11.intoMemorySegment(tile, 5 * VECTOR_BYTES, ORDER);
        s12.intoMemorySegment(tile, 6 * VECTOR_BYTES, ORDER);
        s13.intoMemorySegment(tile, 7 * VECTOR_BYTES, ORDER);
        s20.intoMemorySegment(tile, 8 * VECTOR_BYTES, ORDER);
        s21.intoMemorySegment(tile, 9 * VECTOR_BYTES, ORDER);
        s22.intoMemorySegment(tile, 10 * VECTOR_BYTES, ORDER);
        s23.intoMemorySegment(tile, 11 * VECTOR_BYTES, ORDER);
        s30.intoMemorySegment(tile, 12 * VECTOR_BYTES, ORDER);
        s31.intoMemorySegment(tile, 13 * VECTOR_BYTES, ORDER);
        s32.intoMemorySegment(tile, 14 * VECTOR_BYTES, ORDER);
        s33.intoMemorySegment(tile, 15 * VECTOR_BYTES, ORDER);
    }

    /**
     * Adds the last k % L products (p from {@code start} to k) of each of the 16 dot products to
     * lane 0 of its vector in {@code tile}. Scalar on purpose: a masked-vector version is too big
     * for C1 ("out of virtual registers"), stays in tier-2 code and slows down every k that is not
     * a multiple of L.
     */
    private static void dotTail(int start, int k, MemorySegment rows, long a0, long a1, long a2, long a3,
                                MemorySegment b, long b0, long b1, long b2, long b3, MemorySegment tile) {
        for (int i = 0; i < 4; i++) {
            long ai = i == 0 ? a0 : i == 1 ? a1 : i == 2 ? a2 : a3;
            for (int j = 0; j < 4; j++) {
                long bj = j == 0 ? b0 : j == 1 ? b1 : j == 2 ? b2 : b3;
                float sum = 0f;
                for (int p = start; p < k; p++) {
                    long o = (long) p * Float.BYTES;
                    sum = Math.fma(rows.get(ValueLayout.JAVA_FLOAT, ai + o), b.get(ValueLayout.JAVA_FLOAT, bj + o), sum);
                }
                long lane0 = (long) (4 * i + j) * VECTOR_BYTES;
                tile.set(ValueLayout.JAVA_FLOAT, lane0, tile.get(ValueLayout.JAVA_FLOAT, lane0) + sum);
            }
        }
    }

    /** Lane permutations that swap halves, quarters, eighths and neighbours (L = 16). */
    private static final VectorShuffle<Float> FOLD8 = VectorShuffle.fromOp(F, i -> i ^ 8), FOLD4 = VectorShuffle.fromOp(F, i -> i ^ 4),
            FOLD2 = VectorShuffle.fromOp(F, i -> i ^ 2), FOLD1 = VectorShuffle.fromOp(F, i -> i ^ 1);

    /**
     * Replaces the first {@code count} (up to 16) vectors in {@code tile} by their lane sums (tile[v]),
     * in an order fixed by the code rather than by the JIT: lanes folded by 8, 4, 2 and 1 (rearrange
     * and add, both exact lane by lane). With L != 16, a sequential scalar sum.
     */
    private static void sumLanes(MemorySegment tile, int count) {
        if (L != 16) {
            for (int v = 0; v < count; v++) {
                float sum = 0;
                for (int i = 0; i < L; i++) {
                    sum += tile.getAtIndex(ValueLayout.JAVA_FLOAT, (long) v * L + i);
                }
                tile.setAtIndex(ValueLayout.JAVA_FLOAT, v, sum);
            }
            return;
        }
        for (int v = 0; v < count; v++) {
            FloatVector x = FloatVector.fromMemorySegment(F, tile, v * VECTOR_BYTES, ORDER);
            x = x.add(x.rearrange(FOLD8));
            x = x.add(x.rearrange(FOLD4));
            x = x.add(x.rearrange(FOLD2));
            x = x.add(x.rearrange(FOLD1));
            tile.setAtIndex(ValueLayout.JAVA_FLOAT, v, x.lane(0));
        }
    }

    /**
     * C[m, cols] for m <= 4, cols <= 4L, op(B) = B: C row i += op(A)[i, p] * B row p, 4 vectors of
     * columns at a time (the right edge comes zero-padded, see packEdgeColumns). Missing rows of A repeat the first.
     */
    private static void rowsKernel(int k, int m, int cols, MemorySegment rows, long aBase, MemorySegment b, long bOff, long ldbBytes,
                                   MemorySegment c, long cOff, long ldcBytes, float alpha, float beta, MemorySegment tile) {
        long kBytes = (long) k * Float.BYTES;
        long a0 = aBase, a1 = m > 1 ? aBase + kBytes : a0, a2 = m > 2 ? aBase + 2 * kBytes : a0, a3 = m > 3 ? aBase + 3 * kBytes : a0;
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int p = 0; p < k; p++) {
            long o = bOff + p * ldbBytes;
            FloatVector x0 = FloatVector.fromMemorySegment(F, b, o, ORDER);
            FloatVector x1 = FloatVector.fromMemorySegment(F, b, o + VECTOR_BYTES, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(F, b, o + 2 * VECTOR_BYTES, ORDER);
            FloatVector x3 = FloatVector.fromMemorySegment(F, b, o + 3 * VECTOR_BYTES, ORDER);
            long ap = (long) p * Float.BYTES;
            FloatVector y = FloatVector.broadcast(F, rows.get(FLOAT, a0 + ap));
            s00 = y.fma(x0, s00); s01 = y.fma(x1, s01); s02 = y.fma(x2, s02); s03 = y.fma(x3, s03);
            y = FloatVector.broadcast(F, rows.get(FLOAT, a1 + ap));
            s10 = y.fma(x0, s10); s11 = y.fma(x1, s11); s12 = y.fma(x2, s12); s13 = y.fma(x3, s13);
            y = FloatVector.broadcast(F, rows.get(FLOAT, a2 + ap));
            s20 = y.fma(x0, s20); s21 = y.fma(x1, s21); s22 = y.fma(x2, s22); s23 = y.fma(x3, s23);
            y = FloatVector.broadcast(F, rows.get(FLOAT, a3 + ap));
            s30 = y.fma(x0, s30); s31 = y.fma(x1, s31); s32 = y.fma(x2, s32); s33 = y.fma(x3, s33);
        }
        // Through a [4, 4L] tile rather than a helper taking vectors (see microKernel).
        s00.intoMemorySegment(tile, 0 * VECTOR_BYTES, ORDER);
        s01.intoMemorySegment(tile, 1 * VECTOR_BYTES, ORDER);
        s02.intoMemorySegment(tile, 2 * VECTOR_BYTES, ORDER);
        s03.intoMemorySegment(tile, 3 * VECTOR_BYTES, ORDER);
        s10.intoMemorySegment(tile, 4 * VECTOR_BYTES, ORDER);
        s11.intoMemorySegment(tile, 5 * VECTOR_BYTES, ORDER);
        s12.intoMemorySegment(tile, 6 * VECTOR_BYTES, ORDER);
        s13.intoMemorySegment(tile, 7 * VECTOR_BYTES, ORDER);
        s20.intoMemorySegment(tile, 8 * VECTOR_BYTES, ORDER);
        s21.intoMemorySegment(tile, 9 * VECTOR_BYTES, ORDER);
        s22.intoMemorySegment(tile, 10 * VECTOR_BYTES, ORDER);
        s23.intoMemorySegment(tile, 11 * VECTOR_BYTES, ORDER);
        s30.intoMemorySegment(tile, 12 * VECTOR_BYTES, ORDER);
        s31.intoMemorySegment(tile, 13 * VECTOR_BYTES, ORDER);
        s32.intoMemorySegment(tile, 14 * VECTOR_BYTES, ORDER);
        s33.intoMemorySegment(tile, 15 * VECTOR_BYTES, ORDER);
        for (int i = 0; i < m; i++) {
            long cRow = cOff / Float.BYTES + i * (ldcBytes / Float.BYTES);
            for (int j = 0; j < cols; j++) {
                float acc = tile.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * 4 * L + j);
                c.setAtIndex(ValueLayout.JAVA_FLOAT, cRow + j, combine(acc, c, cRow + j, alpha, beta));
            }
        }
    }

    /** B[0..k, col0 .. col0+cols) (row stride ldb floats) into rows of 4L floats, zero beyond cols. */
    private static void packEdgeColumns(int k, int cols, MemorySegment b, long col0, int ldb, MemorySegment edge) {
        edge.asSlice(0, (long) k * 4 * L * Float.BYTES).fill((byte) 0);
        for (int p = 0; p < k; p++) {
            MemorySegment.copy(b, (col0 + (long) p * ldb) * Float.BYTES, edge, (long) p * 4 * L * Float.BYTES,
                    (long) cols * Float.BYTES);
        }
    }

    private static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /** Per-thread off-heap pack buffers, allocated once and reused by every call on that thread. */
    private static final class Scratch {
        final MemorySegment aPack = allocate((long) MC_LARGE * KC);
        private MemorySegment bPack = allocate(1);
        private MemorySegment sharedA = allocate(1);
        /** An [MR, NR] edge tile of the micro-kernel, or the [4, 4L] tile of the small-m row kernel. */
        final MemorySegment tile = allocate(Math.max((long) MR * NR, 16L * L));
        private MemorySegment rowsOfA = allocate(4096);
        private MemorySegment edgeOfB = allocate(1);

        MemorySegment edgeOfB(long floats) {
            if (edgeOfB.byteSize() < floats * Float.BYTES) {
                edgeOfB = allocate(floats);
            }
            return edgeOfB;
        }

        MemorySegment sharedA(long floats) {
            if (sharedA.byteSize() < floats * Float.BYTES) {
                sharedA = allocate(floats);
            }
            return sharedA;
        }

        MemorySegment bPack(long floats) {
            if (bPack.byteSize() < floats * Float.BYTES) {
                bPack = allocate(floats);
            }
            return bPack;
        }

        MemorySegment rowsOfA(long floats) {
            if (rowsOfA.byteSize() < floats * Float.BYTES) {
                rowsOfA = allocate(Math.max(floats, 2 * rowsOfA.byteSize() / Float.BYTES));
            }
            return rowsOfA;
        }

        /** An automatic arena per buffer: a buffer that is dropped (or whose thread ends) is freed by the GC. */
        private static MemorySegment allocate(long floats) {
            return Arena.ofAuto().allocate(floats * Float.BYTES, 64);
        }
    }
}
