package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Recurrence;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.tensor.NativeMemory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The recurrence of a layer direction (no projection) as one persistent team of threads.
 *
 * <p>Large W_hh: each member owns a contiguous slice of hidden units and, for the whole sequence,
 * the rows of W_hh that produce their gates. Per step a member computes its units' gate
 * pre-activations gh[B, its columns] = h_prev · W_hh[its rows]^T, runs the fused cell step on its
 * units, and waits at the team's barrier until h_next is complete. So a step costs one barrier (a
 * few hundred nanoseconds) instead of a pool round trip per GEMM and per pointwise kernel, and
 * each core streams only its own half of W_hh, which then stays in its L2 across steps.
 *
 * <p>Small W_hh (up to {@link #ROWS_SPLIT_MAX_WEIGHT_BYTES}) with a batch of 16 or more: each
 * member owns a contiguous slice of batch rows instead, all units, and runs them through every
 * step without waiting for anyone (rows of a batch are independent sequences); all of W_hh fits
 * in each core's L2. Results are the same either way, bit for bit.
 *
 * <p>W_hh is packed into k-major panels (as the B operand of a GEMM): a panel
 * covers {@code 4·L} columns of gh — for LSTM the four gates of L units, for RNN 4·L units,
 * for GRU a panel holds 4·L units of each of the three gates, that is three such column blocks.
 * Packed row k of a panel holds the weights multiplying h[k]; the micro-kernels broadcast
 * h[b, k] and FMA it into 4 vector accumulators per batch row.
 *
 * <p>bf16 weights ({@link WeightPrecision#BF16}, inference): the panels hold W_hh rounded to
 * bfloat16, half the bytes per step, and the micro-kernels widen each packed row to fp32 in
 * registers before the same fp32 FMAs: a bf16 is the top half of an fp32, and the panels hold two
 * per int, so one int vector gives two weight vectors by a shift left of 16 and a mask of the high
 * half (no cross-lane widening instruction, which was 8-18 % slower in paired launches). So a
 * bf16 run gives bitwise what the fp32 kernels give on W_hh rounded in advance; only the bytes
 * streamed per step change. (AVX-512 BF16's dot-product instruction would round h
 * to bf16 as well, and the Vector API does not expose it.)
 *
 * <p>Summation order is fixed (k ascending, one accumulator per output) and independent of the
 * thread count, so results are bitwise the same for any number of threads.
 *
 * <p>Measurements behind the choices noted below: docs/performance.md ("Measurements behind the
 * CPU kernels").
 */
final class FusedRecurrence {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final long VB = (long) L * Float.BYTES;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Packed bf16 weights are read as ints, each holding two bf16 values (see {@link #packBlocks}). */
    private static final VectorSpecies<Integer> BITS = F.withLanes(int.class);
    /** The high bf16 of a packed int, in place: its fp32 value. */
    private static final int HIGH_HALF = 0xFFFF_0000;
    /** Column vectors per micro-kernel tile: 4·L gh columns. */
    private static final int TILE_VECTORS = 4;
    /** Bytes per row of a packed panel (and of a dense tile): 4 vectors. */
    private static final long PANEL_ROW = TILE_VECTORS * VB;
    /** Below this many FLOPs per step a second thread costs more (barrier, cache traffic) than it saves. */
    private static final double TEAM_MIN_STEP_FLOPS = 200_000;
    /**
     * Up to this size of W_hh the team splits the batch rows instead of the hidden units: each
     * member then runs its rows through every step on its own, reading all of W_hh (about one L2
     * of a core) and needing no barrier per step. With the units split, a step waits for its
     * slowest member, and those waits are a large part of the team's time (the cell step's
     * memory traffic makes each member's step time vary by ±20 %). At 1 MiB (LSTM H = 256) the
     * rows split still wins: ONNX Runtime's LSTM classifier core at B = 32 ran in ~14 ms instead
     * of ~17 ms, although each member then streams twice the weights per step.
     */
    private static final long ROWS_SPLIT_MAX_WEIGHT_BYTES = 1024 * 1024;
    /** The fewest batch rows a member of a rows split gets. */
    private static final int ROWS_PER_MEMBER_MIN = 8;

    /** Gather indexes that read column kk of an L x L row-major block: kk, kk + L, kk + 2L, ... */
    private static final int[] BLOCK_COLUMN = IntStream.range(0, L).map(i -> i * L).toArray();

    /** Inference calls' packed W_hh, keyed by weights and {@link Geometry}. */
    private static final PackedWeightCache PACKED = new PackedWeightCache();

    private FusedRecurrence() {
    }

    /** How W_hh's gate rows map to packed column vectors, and the packed element type. */
    private record Geometry(int gates, int hidden, int unitsPerBlock, boolean bf16) {
        static Geometry of(CellMode mode, int hidden, WeightPrecision weights) {
            // A tile covers 4 column vectors: LSTM's 4 gates of L units, or 4·L units of a single gate.
            return new Geometry(mode.gates(), hidden, mode == CellMode.LSTM ? L : TILE_VECTORS * L,
                    weights == WeightPrecision.BF16);
        }

        /** Bytes per packed row of a tile (4 vectors). */
        long panelRow() {
            return bf16 ? PANEL_ROW / 2 : PANEL_ROW;
        }

        int blocks() {
            return (hidden + unitsPerBlock - 1) / unitsPerBlock;
        }

        /** Tiles (4 column vectors each) per block: one for LSTM and RNN, three for GRU (one per gate). */
        int tilesPerBlock() {
            return gates == 4 ? 1 : gates;
        }

        /** The gh column (gate·H + unit) of lane 0 of column vector v (0..3) of tile q of a block. */
        int column(int block, int tile, int v) {
            int unit0 = block * unitsPerBlock;
            return gates == 4 ? v * hidden + unit0 : tile * hidden + unit0 + v * L;
        }
    }

    static void forward(Recurrence r) {
        final int batch = r.batch(), hidden = r.hidden(), steps = r.steps(), gates = r.mode().gates();
        final Geometry geo = Geometry.of(r.mode(), hidden, r.weights());
        final int blocks = geo.blocks(), tiles = geo.tilesPerBlock();
        final long tileBytes = hidden * geo.panelRow();    // one packed tile: [k = H][4 vectors]
        final int ldGh = gates * hidden;
        final double stepFlops = 2.0 * batch * ldGh * hidden;
        final boolean rowsSplit = splitsRows(r);
        final int wanted = stepFlops < TEAM_MIN_STEP_FLOPS ? 1 : rowsSplit ? batch / ROWS_PER_MEMBER_MIN : blocks;
        final long packedBytes = blocks * tiles * tileBytes;
        // Inference reuses panels packed by an earlier call with the same weights; training packs
        // into its workspace (its weights change every step).
        PackedWeightCache.Panels cached = r.keepAll() ? null : PACKED.find(r.wHh(), geo);
        PackedWeightCache.Panels fresh = r.keepAll() || cached != null ? null
                : PackedWeightCache.allocate(r.wHh().byteSize(), packedBytes);
        // One workspace, from malloc: a shared arena's close (a handshake with every thread) would
        // cost more than a short sequence. Layout: gh [B, G·H], one edge tile per member, then
        // (training only) packed W_hh.
        long ghBytes = (long) batch * ldGh * Float.BYTES, edgeBytes = 4 * PANEL_ROW;
        long edgesBytes = CpuParallel.threads() * edgeBytes;
        long workspaceBytes = ghBytes + edgesBytes + (r.keepAll() ? packedBytes : 0);
        MemorySegment workspace = NativeMemory.allocateUnscoped(workspaceBytes, 64);
        try {
            MemorySegment gh = workspace.asSlice(0, ghBytes);
            MemorySegment packed = cached != null ? cached.packed() : fresh != null ? fresh.packed()
                    : workspace.asSlice(ghBytes + edgesBytes, packedBytes);
            boolean mustPack = cached == null;
            CpuParallel.team(wanted, (member, members, barrier) -> {
                boolean byRows = rowsSplit && members > 1;
                // Packing is split by blocks either way: each member packs the panels it reads most.
                int p0 = blocks * member / members, p1 = blocks * (member + 1) / members;
                if (mustPack) {
                    packBlocks(r.wHh(), geo, p0, p1, packed, tileBytes);
                    if (byRows) barrier.await();   // every member reads every panel
                }
                int b0 = byRows ? 0 : p0, b1 = byRows ? blocks : p1;
                int u0 = Math.min(hidden, b0 * geo.unitsPerBlock()), u1 = Math.min(hidden, b1 * geo.unitsPerBlock());
                Rows rows = byRows ? Rows.of(r, member, members) : Rows.all(r);
                MemorySegment edge = workspace.asSlice(ghBytes + member * edgeBytes, edgeBytes);
                for (int s = 0; s < steps; s++) {
                    int t = r.time(s);
                    long prevRow = (long) r.prevSlot(t) * batch * hidden;
                    for (int block = b0; block < b1; block++) {
                        for (int q = 0; q < tiles; q++) {
                            gateTile(r.states(), prevRow, rows.from(), rows.to(), hidden, geo, block, q, packed,
                                    (block * tiles + q) * tileBytes, gh, ldGh, edge);
                        }
                    }
                    cellStep(r, t, gh, u0, u1, rows);
                    if (!byRows) barrier.await();
                }
            });
            if (fresh != null) {
                PACKED.publish(r.wHh(), geo, fresh);
            }
        } finally {
            NativeMemory.free(workspace);
        }
    }

    /** Packs blocks [from, to) of W_hh, each tile at (block·tiles + tile)·tileBytes of dst. */
    private static void packBlocks(MemorySegment w, Geometry geo, int from, int to, MemorySegment dst, long tileBytes) {
        int tiles = geo.tilesPerBlock();
        if (!geo.bf16()) {
            for (int block = from; block < to; block++) {
                for (int q = 0; q < tiles; q++) {
                    pack(w, geo, block, q, dst, (block * tiles + q) * tileBytes);
                }
            }
            return;
        }
        // bf16: each tile packed as fp32 into a scratch tile, then rounded into place, two values
        // per int: lane i of a packed row's first int vector holds vector 0's lane i in its low
        // half and vector 1's in its high half; the second int vector, vectors 2 and 3. So one
        // 64-byte load gives two weight vectors by a shift and a mask, no cross-lane widening.
        long floats = tileBytes / Short.BYTES;
        MemorySegment tile = NativeMemory.allocateUnscoped(floats * Float.BYTES, 64);
        try {
            for (int block = from; block < to; block++) {
                for (int q = 0; q < tiles; q++) {
                    pack(w, geo, block, q, tile, 0);
                    long at = (block * tiles + q) * tileBytes;
                    for (long row = 0; row < floats; row += TILE_VECTORS * L) {   // one packed row: 4 vectors
                        for (int pair = 0; pair < 2; pair++) {
                            for (int lane = 0; lane < L; lane++) {
                                long low = row + (2L * pair) * L + lane, high = low + L;
                                int bits = WeightPrecision.toBf16(tile.getAtIndex(ValueLayout.JAVA_FLOAT, low)) & 0xFFFF
                                        | WeightPrecision.toBf16(tile.getAtIndex(ValueLayout.JAVA_FLOAT, high)) << 16;
                                long target = at + row * Short.BYTES + ((long) pair * L + lane) * Integer.BYTES;
                                dst.set(ValueLayout.JAVA_INT_UNALIGNED, target, bits);
                            }
                        }
                    }
                }
            }
        } finally {
            NativeMemory.free(tile);
        }
    }

    /**
     * Copies the weights of one tile into k-major order: dst[k][v][lane] = W_hh[column(v) + lane][k],
     * 0 past H. Whole vectors go through an L x L block transpose (L row loads into a small heap
     * block, L column gathers out of it) rather than element by element: packing is a visible
     * share of a short sequence at batch 1.
     */
    private static void pack(MemorySegment w, Geometry geo, int block, int tile, MemorySegment dst, long dstOff) {
        int hidden = geo.hidden();
        long rowStride = (long) TILE_VECTORS * L;
        float[] square = new float[L * L];
        for (int v = 0; v < TILE_VECTORS; v++) {
            int col = geo.column(block, tile, v);
            int validLanes = validLanes(geo, block, tile, v);
            int k = 0;
            if (validLanes == L) {
                for (; k + L <= hidden; k += L) {
                    for (int lane = 0; lane < L; lane++) {
                        FloatVector.fromMemorySegment(F, w, ((long) (col + lane) * hidden + k) * Float.BYTES, ORDER)
                                .intoArray(square, lane * L);
                    }
                    for (int kk = 0; kk < L; kk++) {
                        FloatVector.fromArray(F, square, kk, BLOCK_COLUMN, 0)
                                .intoMemorySegment(dst, dstOff + ((long) (k + kk) * TILE_VECTORS + v) * VB, ORDER);
                    }
                }
            }
            for (int lane = 0; lane < L; lane++) { // the rest: k past the last whole block, or an edge vector
                long d = dstOff / Float.BYTES + (long) v * L + lane;
                long src = (long) (col + lane) * hidden;
                for (int kr = k; kr < hidden; kr++) {
                    float value = lane < validLanes ? w.getAtIndex(ValueLayout.JAVA_FLOAT, src + kr) : 0f;
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, d + kr * rowStride, value);
                }
            }
        }
    }

    /** Lanes of column vector v that are real units (the last block may run past H). */
    private static int validLanes(Geometry geo, int block, int tile, int v) {
        int unit0 = block * geo.unitsPerBlock() + (geo.gates() == 4 ? 0 : v * L);
        return Math.clamp(geo.hidden() - unit0, 0, L);
    }

    /**
     * gh[b, tile's columns] = h_prev[b, :] · W_hh[tile's rows, :]^T for batch rows [bFrom, bTo): 4 rows
     * at a time, then a pair, then single rows. A tile whose last vector runs past H is computed into
     * the member's {@code edge} scratch and its real lanes copied out.
     */
    private static void gateTile(MemorySegment states, long prevRow, int bFrom, int bTo, int hidden, Geometry geo, int block,
                                 int tile, MemorySegment packed, long packedOff, MemorySegment gh, int ldGh,
                                 MemorySegment edge) {
        boolean full = validLanes(geo, block, tile, TILE_VECTORS - 1) == L, bf16 = geo.bf16();
        long ldh = (long) hidden * Float.BYTES, ldw = geo.panelRow(), ldGhBytes = (long) ldGh * Float.BYTES;
        MemorySegment out = full ? gh : edge;
        long ldOut = full ? ldGhBytes : PANEL_ROW;
        long c0 = full ? geo.column(block, tile, 0) * (long) Float.BYTES : 0;
        long c1 = full ? geo.column(block, tile, 1) * (long) Float.BYTES : VB;
        long c2 = full ? geo.column(block, tile, 2) * (long) Float.BYTES : 2 * VB;
        long c3 = full ? geo.column(block, tile, 3) * (long) Float.BYTES : 3 * VB;
        int b = bFrom;
        while (b < bTo) {
            int rows = bTo - b >= 4 ? 4 : bTo - b >= 2 ? 2 : 1;   // a pair reads the panel once for both rows
            long h = (prevRow + (long) b * hidden) * Float.BYTES, outOff = full ? b * ldGhBytes : 0;
            switch (rows) {
                case 4 -> {
                    if (bf16) rows4Bf16(hidden, states, h, ldh, packed, packedOff, ldw, out, outOff, ldOut, c0, c1, c2, c3);
                    else rows4(hidden, states, h, ldh, packed, packedOff, ldw, out, outOff, ldOut, c0, c1, c2, c3);
                }
                case 2 -> {
                    if (bf16) rows2Bf16(hidden, states, h, ldh, packed, packedOff, ldw, out, outOff, ldOut, c0, c1, c2, c3);
                    else rows2(hidden, states, h, ldh, packed, packedOff, ldw, out, outOff, ldOut, c0, c1, c2, c3);
                }
                default -> {
                    if (bf16) rows1Bf16(hidden, states, h, packed, packedOff, ldw, out, outOff, c0, c1, c2, c3);
                    else rows1(hidden, states, h, packed, packedOff, ldw, out, outOff, c0, c1, c2, c3);
                }
            }
            if (!full) copyValid(geo, block, tile, edge, rows, gh, b, ldGh);
            b += rows;
        }
    }

    /** Copies the real lanes of an edge tile ([rows][4 vectors] in {@code edge}) into gh rows b.. */
    private static void copyValid(Geometry geo, int block, int tile, MemorySegment edge, int rows,
                                  MemorySegment gh, int b, int ldGh) {
        for (int i = 0; i < rows; i++) {
            for (int v = 0; v < TILE_VECTORS; v++) {
                int valid = validLanes(geo, block, tile, v);
                if (valid > 0) {
                    MemorySegment.copy(edge, ((long) i * TILE_VECTORS + v) * VB, gh,
                            ((long) (b + i) * ldGh + geo.column(block, tile, v)) * Float.BYTES, (long) valid * Float.BYTES);
                }
            }
        }
    }

    /**
     * out[4 rows][4 vectors] = h[4 rows, 0..k) · w[0..k, 4 vectors]; 16 accumulators. Offsets and
     * strides in bytes: row q of w (4 consecutive vectors) starts at wOff + q·ldw (a packed panel:
     * {@link #PANEL_ROW}; W_hh read in place: H floats); row i of the output at outOff + i·ldOut,
     * its vectors at c0..c3 from there.
     *
     * <p>Small enough for C1: a kernel C1 cannot compile ("out of virtual registers"), such as a
     * read-add-store variant of this one, never gets the profile C2 needs and runs forever in
     * tier-2 code, where every vector op allocates. Hence {@link #addTile}.
     */
    private static void rows4(int k, MemorySegment h, long hOff, long ldh, MemorySegment w, long wOff, long ldw,
                              MemorySegment out, long outOff, long ldOut, long c0, long c1, long c2, long c3) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        long hEnd = hOff + (long) k * Float.BYTES;
        for (long hp = hOff, wp = wOff; hp < hEnd; hp += Float.BYTES, wp += ldw) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, wp, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, wp + VB, ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, wp + 2 * VB, ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, wp + 3 * VB, ORDER);
            FloatVector x = FloatVector.broadcast(F, h.get(FLOAT, hp));
            a00 = x.fma(w0, a00);
            a01 = x.fma(w1, a01);
            a02 = x.fma(w2, a02);
            a03 = x.fma(w3, a03);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + ldh));
            a10 = x.fma(w0, a10);
            a11 = x.fma(w1, a11);
            a12 = x.fma(w2, a12);
            a13 = x.fma(w3, a13);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + 2 * ldh));
            a20 = x.fma(w0, a20);
            a21 = x.fma(w1, a21);
            a22 = x.fma(w2, a22);
            a23 = x.fma(w3, a23);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + 3 * ldh));
            a30 = x.fma(w0, a30);
            a31 = x.fma(w1, a31);
            a32 = x.fma(w2, a32);
            a33 = x.fma(w3, a33);
        }
        // Stored in place: a helper taking vectors may not inline and would box them (see VectorSgemm).
        a00.intoMemorySegment(out, outOff + c0, ORDER);
        a01.intoMemorySegment(out, outOff + c1, ORDER);
        a02.intoMemorySegment(out, outOff + c2, ORDER);
        a03.intoMemorySegment(out, outOff + c3, ORDER);
        a10.intoMemorySegment(out, outOff + ldOut + c0, ORDER);
        a11.intoMemorySegment(out, outOff + ldOut + c1, ORDER);
        a12.intoMemorySegment(out, outOff + ldOut + c2, ORDER);
        a13.intoMemorySegment(out, outOff + ldOut + c3, ORDER);
        a20.intoMemorySegment(out, outOff + 2 * ldOut + c0, ORDER);
        a21.intoMemorySegment(out, outOff + 2 * ldOut + c1, ORDER);
        a22.intoMemorySegment(out, outOff + 2 * ldOut + c2, ORDER);
        a23.intoMemorySegment(out, outOff + 2 * ldOut + c3, ORDER);
        a30.intoMemorySegment(out, outOff + 3 * ldOut + c0, ORDER);
        a31.intoMemorySegment(out, outOff + 3 * ldOut + c1, ORDER);
        a32.intoMemorySegment(out, outOff + 3 * ldOut + c2, ORDER);
        a33.intoMemorySegment(out, outOff + 3 * ldOut + c3, ORDER);
    }

    /**
     * out[2 rows][4 vectors] = h[2 rows, 0..k) · w[0..k, 4 vectors]; as {@link #rows4}, for batches
     * of 2 or 3 (or such a remainder), so that the panel is read once for two rows, not once per row.
     */
    private static void rows2(int k, MemorySegment h, long hOff, long ldh, MemorySegment w, long wOff, long ldw,
                              MemorySegment out, long outOff, long ldOut, long c0, long c1, long c2, long c3) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        long hEnd = hOff + (long) k * Float.BYTES;
        for (long hp = hOff, wp = wOff; hp < hEnd; hp += Float.BYTES, wp += ldw) {
            FloatVector w0 = FloatVector.fromMemorySegment(F, w, wp, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, w, wp + VB, ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, w, wp + 2 * VB, ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, w, wp + 3 * VB, ORDER);
            FloatVector x = FloatVector.broadcast(F, h.get(FLOAT, hp));
            a00 = x.fma(w0, a00);
            a01 = x.fma(w1, a01);
            a02 = x.fma(w2, a02);
            a03 = x.fma(w3, a03);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + ldh));
            a10 = x.fma(w0, a10);
            a11 = x.fma(w1, a11);
            a12 = x.fma(w2, a12);
            a13 = x.fma(w3, a13);
        }
        a00.intoMemorySegment(out, outOff + c0, ORDER);
        a01.intoMemorySegment(out, outOff + c1, ORDER);
        a02.intoMemorySegment(out, outOff + c2, ORDER);
        a03.intoMemorySegment(out, outOff + c3, ORDER);
        a10.intoMemorySegment(out, outOff + ldOut + c0, ORDER);
        a11.intoMemorySegment(out, outOff + ldOut + c1, ORDER);
        a12.intoMemorySegment(out, outOff + ldOut + c2, ORDER);
        a13.intoMemorySegment(out, outOff + ldOut + c3, ORDER);
    }

    /** out[1 row][4 vectors] = h[0..k) · w[0..k, 4 vectors] (the GEMV of batch 1, bound by reading w); as {@link #rows4}. */
    private static void rows1(int k, MemorySegment h, long hOff, MemorySegment w, long wOff, long ldw,
                              MemorySegment out, long outOff, long c0, long c1, long c2, long c3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        long hEnd = hOff + (long) k * Float.BYTES;
        for (long hp = hOff, wp = wOff; hp < hEnd; hp += Float.BYTES, wp += ldw) {
            FloatVector x = FloatVector.broadcast(F, h.get(FLOAT, hp));
            a0 = x.fma(FloatVector.fromMemorySegment(F, w, wp, ORDER), a0);
            a1 = x.fma(FloatVector.fromMemorySegment(F, w, wp + VB, ORDER), a1);
            a2 = x.fma(FloatVector.fromMemorySegment(F, w, wp + 2 * VB, ORDER), a2);
            a3 = x.fma(FloatVector.fromMemorySegment(F, w, wp + 3 * VB, ORDER), a3);
        }
        a0.intoMemorySegment(out, outOff + c0, ORDER);
        a1.intoMemorySegment(out, outOff + c1, ORDER);
        a2.intoMemorySegment(out, outOff + c2, ORDER);
        a3.intoMemorySegment(out, outOff + c3, ORDER);
    }

    /**
     * {@link #rows4} on a bf16 panel (rows ldw bytes apart, each 2 int vectors holding the 4 weight
     * vectors, see {@link #packBlocks}): each weight vector is widened in registers, the FMAs are the
     * same. The widening is written out at each load, not in a helper: a helper returning a vector
     * boxes it wherever it is not inlined.
     */
    private static void rows4Bf16(int k, MemorySegment h, long hOff, long ldh, MemorySegment w, long wOff, long ldw,
                                  MemorySegment out, long outOff, long ldOut, long c0, long c1, long c2, long c3) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        long hEnd = hOff + (long) k * Float.BYTES;
        for (long hp = hOff, wp = wOff; hp < hEnd; hp += Float.BYTES, wp += ldw) {
            IntVector p01 = IntVector.fromMemorySegment(BITS, w, wp, ORDER);
            IntVector p23 = IntVector.fromMemorySegment(BITS, w, wp + VB, ORDER);
            FloatVector w0 = p01.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = p01.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector w2 = p23.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = p23.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector x = FloatVector.broadcast(F, h.get(FLOAT, hp));
            a00 = x.fma(w0, a00);
            a01 = x.fma(w1, a01);
            a02 = x.fma(w2, a02);
            a03 = x.fma(w3, a03);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + ldh));
            a10 = x.fma(w0, a10);
            a11 = x.fma(w1, a11);
            a12 = x.fma(w2, a12);
            a13 = x.fma(w3, a13);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + 2 * ldh));
            a20 = x.fma(w0, a20);
            a21 = x.fma(w1, a21);
            a22 = x.fma(w2, a22);
            a23 = x.fma(w3, a23);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + 3 * ldh));
            a30 = x.fma(w0, a30);
            a31 = x.fma(w1, a31);
            a32 = x.fma(w2, a32);
            a33 = x.fma(w3, a33);
        }
        a00.intoMemorySegment(out, outOff + c0, ORDER);
        a01.intoMemorySegment(out, outOff + c1, ORDER);
        a02.intoMemorySegment(out, outOff + c2, ORDER);
        a03.intoMemorySegment(out, outOff + c3, ORDER);
        a10.intoMemorySegment(out, outOff + ldOut + c0, ORDER);
        a11.intoMemorySegment(out, outOff + ldOut + c1, ORDER);
        a12.intoMemorySegment(out, outOff + ldOut + c2, ORDER);
        a13.intoMemorySegment(out, outOff + ldOut + c3, ORDER);
        a20.intoMemorySegment(out, outOff + 2 * ldOut + c0, ORDER);
        a21.intoMemorySegment(out, outOff + 2 * ldOut + c1, ORDER);
        a22.intoMemorySegment(out, outOff + 2 * ldOut + c2, ORDER);
        a23.intoMemorySegment(out, outOff + 2 * ldOut + c3, ORDER);
        a30.intoMemorySegment(out, outOff + 3 * ldOut + c0, ORDER);
        a31.intoMemorySegment(out, outOff + 3 * ldOut + c1, ORDER);
        a32.intoMemorySegment(out, outOff + 3 * ldOut + c2, ORDER);
        a33.intoMemorySegment(out, outOff + 3 * ldOut + c3, ORDER);
    }

    /** {@link #rows2} on a bf16 panel, as {@link #rows4Bf16}. */
    private static void rows2Bf16(int k, MemorySegment h, long hOff, long ldh, MemorySegment w, long wOff, long ldw,
                                  MemorySegment out, long outOff, long ldOut, long c0, long c1, long c2, long c3) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        long hEnd = hOff + (long) k * Float.BYTES;
        for (long hp = hOff, wp = wOff; hp < hEnd; hp += Float.BYTES, wp += ldw) {
            IntVector p01 = IntVector.fromMemorySegment(BITS, w, wp, ORDER);
            IntVector p23 = IntVector.fromMemorySegment(BITS, w, wp + VB, ORDER);
            FloatVector w0 = p01.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w1 = p01.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector w2 = p23.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector w3 = p23.and(HIGH_HALF).reinterpretAsFloats();
            FloatVector x = FloatVector.broadcast(F, h.get(FLOAT, hp));
            a00 = x.fma(w0, a00);
            a01 = x.fma(w1, a01);
            a02 = x.fma(w2, a02);
            a03 = x.fma(w3, a03);
            x = FloatVector.broadcast(F, h.get(FLOAT, hp + ldh));
            a10 = x.fma(w0, a10);
            a11 = x.fma(w1, a11);
            a12 = x.fma(w2, a12);
            a13 = x.fma(w3, a13);
        }
        a00.intoMemorySegment(out, outOff + c0, ORDER);
        a01.intoMemorySegment(out, outOff + c1, ORDER);
        a02.intoMemorySegment(out, outOff + c2, ORDER);
        a03.intoMemorySegment(out, outOff + c3, ORDER);
        a10.intoMemorySegment(out, outOff + ldOut + c0, ORDER);
        a11.intoMemorySegment(out, outOff + ldOut + c1, ORDER);
        a12.intoMemorySegment(out, outOff + ldOut + c2, ORDER);
        a13.intoMemorySegment(out, outOff + ldOut + c3, ORDER);
    }

    /** {@link #rows1} on a bf16 panel, as {@link #rows4Bf16}. */
    private static void rows1Bf16(int k, MemorySegment h, long hOff, MemorySegment w, long wOff, long ldw,
                                  MemorySegment out, long outOff, long c0, long c1, long c2, long c3) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        long hEnd = hOff + (long) k * Float.BYTES;
        for (long hp = hOff, wp = wOff; hp < hEnd; hp += Float.BYTES, wp += ldw) {
            FloatVector x = FloatVector.broadcast(F, h.get(FLOAT, hp));
            IntVector p01 = IntVector.fromMemorySegment(BITS, w, wp, ORDER);
            IntVector p23 = IntVector.fromMemorySegment(BITS, w, wp + VB, ORDER);
            a0 = x.fma(p01.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
            a1 = x.fma(p01.and(HIGH_HALF).reinterpretAsFloats(), a1);
            a2 = x.fma(p23.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a2);
            a3 = x.fma(p23.and(HIGH_HALF).reinterpretAsFloats(), a3);
        }
        a0.intoMemorySegment(out, outOff + c0, ORDER);
        a1.intoMemorySegment(out, outOff + c1, ORDER);
        a2.intoMemorySegment(out, outOff + c2, ORDER);
        a3.intoMemorySegment(out, outOff + c3, ORDER);
    }

    /**
     * The backward of {@link #forward} (keepAll), as a team over blocks of 4·L hidden units (or,
     * as in the forward, over batch rows, with no barrier per step). Per step a member runs the
     * cell's backward on its units (gradients of its gate columns, and the pass-through part of
     * dh_prev for its units), waits at the barrier until every gate gradient of the step is there,
     * then adds dGh · W_hh[:, its units] into its units of dh_prev. A member reads only its own
     * units of dh, so one barrier per step suffices. Row q of W_hh is row q of
     * that GEMM's B operand (already k-major); each member first copies its whole blocks of columns
     * into dense panels ({@link #packColumns}); units past the last whole block read W_hh in place.
     */
    static void backward(Recurrence r, Recurrence.Grads d) {
        final int batch = r.batch(), hidden = r.hidden(), steps = r.steps(), gates = r.mode().gates();
        final int blockUnits = TILE_VECTORS * L, blocks = (hidden + blockUnits - 1) / blockUnits;
        final int ldGh = gates * hidden;
        final double stepFlops = 2.0 * batch * ldGh * hidden;
        final boolean rowsSplit = splitsRows(r);
        final int wanted = stepFlops < TEAM_MIN_STEP_FLOPS ? 1 : rowsSplit ? batch / ROWS_PER_MEMBER_MIN : blocks;
        final long stepGates = (long) batch * ldGh, stepHidden = (long) batch * hidden;
        // Workspace: the other dh buffer [B, H], LSTM's per-step dCand [B, H], one 4x4-vector tile and
        // one row of H floats (LSTM's tanh(c)) per member, and W_hh's whole column blocks packed as
        // panels [G·H rows][4·L units] (see packColumns).
        long dhBytes = stepHidden * Float.BYTES, rowBytes = ((long) hidden * Float.BYTES + 63) / 64 * 64;
        long tileBytes = 4 * PANEL_ROW + rowBytes;
        long tilesOffset = (2 * dhBytes + 63) / 64 * 64;
        long panelsOffset = tilesOffset + CpuParallel.threads() * tileBytes, panelBytes = ldGh * PANEL_ROW;
        int fullBlocks = hidden / blockUnits;
        MemorySegment workspace = NativeMemory.allocateUnscoped(panelsOffset + fullBlocks * panelBytes, 64);
        try {
            MemorySegment dhOther = workspace.asSlice(0, dhBytes), dCand = workspace.asSlice(dhBytes, dhBytes);
            MemorySegment panels = workspace.asSlice(panelsOffset, fullBlocks * panelBytes);
            CpuParallel.team(wanted, (member, members, barrier) -> {
                MemorySegment tile = workspace.asSlice(tilesOffset + member * tileBytes, 4 * PANEL_ROW);
                MemorySegment tanhC = workspace.asSlice(tilesOffset + member * tileBytes + 4 * PANEL_ROW, rowBytes);
                boolean byRows = rowsSplit && members > 1;
                int p0 = Math.min(hidden, blocks * member / members * blockUnits);
                int p1 = Math.min(hidden, blocks * (member + 1) / members * blockUnits);
                for (int p = p0; p + blockUnits <= p1; p += blockUnits) {  // each member packs the blocks it reads most
                    packColumns(r.wHh(), ldGh, hidden, p, panels, (long) (p / blockUnits) * panelBytes);
                }
                if (byRows) barrier.await();   // every member reads every panel
                int u0 = byRows ? 0 : p0, u1 = byRows ? hidden : p1;
                Rows rows = byRows ? Rows.of(r, member, members) : Rows.all(r);
                long h0 = (long) rows.from() * hidden;
                MemorySegment dh = d.dh(), dhPrev = dhOther;
                for (int s = steps - 1; s >= 0; s--) {
                    int t = r.time(s);
                    if (u0 < u1 && rows.count() > 0) {
                        if (d.dY() != null) {
                            VectorKernels.addActiveRowsColumns(rows.count(), hidden, u0, u1, t, rows.lengths(), d.dY(),
                                    t * stepHidden + h0, hidden, dh, h0);
                        }
                        cellStepBackward(r, d, t, u0, u1, rows, dh, dhPrev, dCand, tanhC);
                    }
                    // Units split: dh_prev of a member's units needs every unit's gate gradients.
                    if (!byRows) barrier.await();
                    dhPrevTimesWeights(r, d.dgh(), t * stepGates, dhPrev, u0, u1, rows, panels, tile);
                    MemorySegment swap = dh;
                    dh = dhPrev;
                    dhPrev = swap;
                }
                if (dh != d.dh() && u0 < u1) {
                    for (int b = rows.from(); b < rows.to(); b++) {
                        long at = ((long) b * hidden + u0) * Float.BYTES;
                        MemorySegment.copy(dh, at, d.dh(), at, (long) (u1 - u0) * Float.BYTES);
                    }
                }
            });
        } finally {
            NativeMemory.free(workspace);
        }
    }

    /**
     * The cell's backward at time t on units [u0, u1) of the given rows: gate gradients, and
     * dh_prev's pass-through part.
     */
    private static void cellStepBackward(Recurrence r, Recurrence.Grads d, int t, int u0, int u1, Rows rows,
                                         MemorySegment dh, MemorySegment dhPrev, MemorySegment dCand, MemorySegment tanhC) {
        int batch = r.batch(), hidden = r.hidden(), n = rows.count();
        long ldGates = (long) r.mode().gates() * hidden;
        long stepGates = batch * ldGates, stepHidden = (long) batch * hidden;
        long g0 = rows.from() * ldGates, h0 = (long) rows.from() * hidden;   // row rows.from() of each buffer
        long prev = r.prevSlot(t) * stepHidden + h0, next = r.nextSlot(t) * stepHidden + h0;
        int[] lengths = rows.lengths();
        switch (r.mode()) {
            case RNN_TANH, RNN_RELU -> VectorKernels.rnnBackwardColumns(n, hidden, u0, u1, t, lengths,
                    r.mode() == CellMode.RNN_RELU, r.states(), next, dh, h0, d.dgx(), t * stepGates + g0, dhPrev, h0);
            case GRU -> VectorKernels.gruBackwardColumns(n, hidden, u0, u1, t, lengths, r.act(), t * stepGates + g0,
                    r.ghn(), t * stepHidden + h0, r.states(), prev, dh, h0, d.dgx(), t * stepGates + g0, d.dgh(),
                    t * stepGates + g0, dhPrev, h0);
            case LSTM -> {
                VectorKernels.maskedStepBackwardColumns(n, hidden, u0, u1, t, lengths, dh, h0, dCand, h0, dhPrev, h0);
                VectorKernels.lstmBackwardColumns(n, hidden, u0, u1, t, lengths, r.act(), t * stepGates + g0,
                        r.cells(), prev, r.cells(), next, dCand, h0, d.dc(), h0, d.dgx(), t * stepGates + g0, tanhC);
            }
        }
    }

    /**
     * dhPrev[b, u0..u1) += dgh[b, :] · W_hh[:, u0..u1) for the given batch rows (W_hh is [G·H, H],
     * row-major); {@code tile} is the member's scratch of 4 rows x 4 vectors.
     */
    private static void dhPrevTimesWeights(Recurrence r, MemorySegment dgh, long dghOff, MemorySegment dhPrev, int u0, int u1,
                                           Rows rows, MemorySegment panels, MemorySegment tile) {
        int hidden = r.hidden(), k = r.mode().gates() * hidden, bTo = rows.to();
        MemorySegment w = r.wHh();
        long ldh = (long) hidden * Float.BYTES, lda = (long) k * Float.BYTES;
        int blockUnits = TILE_VECTORS * L;
        int fullEnd = u0 + (u1 - u0) / blockUnits * blockUnits;
        for (int p = u0; p < fullEnd; p += blockUnits) {
            long panel = (long) (p / blockUnits) * k * PANEL_ROW;
            int b = rows.from();
            for (; b + 4 <= bTo; b += 4) {
                rows4(k, dgh, (dghOff + (long) b * k) * Float.BYTES, lda, panels, panel, PANEL_ROW, tile, 0, PANEL_ROW,
                        0, VB, 2 * VB, 3 * VB);
                addTile(4, tile, dhPrev, ((long) b * hidden + p) * Float.BYTES, ldh);
            }
            if (b + 2 <= bTo) {   // 2 or 3 rows left: one pass over the panel for a pair
                rows2(k, dgh, (dghOff + (long) b * k) * Float.BYTES, lda, panels, panel, PANEL_ROW, tile, 0, PANEL_ROW,
                        0, VB, 2 * VB, 3 * VB);
                addTile(2, tile, dhPrev, ((long) b * hidden + p) * Float.BYTES, ldh);
                b += 2;
            }
            for (; b < bTo; b++) {
                rows1(k, dgh, (dghOff + (long) b * k) * Float.BYTES, panels, panel, PANEL_ROW, tile, 0, 0, VB, 2 * VB, 3 * VB);
                addTile(1, tile, dhPrev, ((long) b * hidden + p) * Float.BYTES, ldh);
            }
        }
        // Units past the last whole block (H not a multiple of 4·L): plain dot products, same order.
        for (int b = rows.from(); b < bTo; b++) {
            for (int p = fullEnd; p < u1; p++) {
                float sum = 0f;
                for (int q = 0; q < k; q++) {
                    sum = Math.fma(dgh.getAtIndex(ValueLayout.JAVA_FLOAT, dghOff + (long) b * k + q),
                            w.getAtIndex(ValueLayout.JAVA_FLOAT, (long) q * hidden + p), sum);
                }
                long at = (long) b * hidden + p;
                dhPrev.setAtIndex(ValueLayout.JAVA_FLOAT, at, dhPrev.getAtIndex(ValueLayout.JAVA_FLOAT, at) + sum);
            }
        }
    }

    /**
     * Copies W_hh[:, p..p+4·L) (all G·H rows, W_hh is [G·H, H] row-major) into a dense panel
     * [G·H][4·L]: the backward's B operand, read once per batch row group and step. Read in place,
     * its rows would lie H floats apart: a strided stream, far slower than the dense panel.
     */
    private static void packColumns(MemorySegment w, int rows, int hidden, int p, MemorySegment dst, long dstOff) {
        for (int q = 0; q < rows; q++) {
            MemorySegment.copy(w, ((long) q * hidden + p) * Float.BYTES, dst, dstOff + q * PANEL_ROW, PANEL_ROW);
        }
    }

    /** out[rows][4 vectors] (rows ldOut bytes apart) += tile[rows][4 vectors] (dense). Offsets in bytes. */
    private static void addTile(int rows, MemorySegment tile, MemorySegment out, long outOff, long ldOut) {
        for (int i = 0; i < rows; i++) {
            for (int v = 0; v < TILE_VECTORS; v++) {
                long o = outOff + i * ldOut + v * VB;
                FloatVector.fromMemorySegment(F, tile, (long) (i * TILE_VECTORS + v) * VB, ORDER)
                        .add(FloatVector.fromMemorySegment(F, out, o, ORDER)).intoMemorySegment(out, o, ORDER);
            }
        }
    }

    /** The fused cell step of step t on hidden units [u0, u1), reading gh's columns of those units. */
    private static void cellStep(Recurrence r, int t, MemorySegment gh, int u0, int u1, Rows rows) {
        if (u0 >= u1 || rows.count() == 0) {
            return;
        }
        int batch = r.batch(), hidden = r.hidden(), n = rows.count();
        long ldGates = (long) r.mode().gates() * hidden;
        long stepGates = batch * ldGates, stepHidden = (long) batch * hidden;
        // Offsets of row rows.from() of each [B, ...] buffer.
        long g0 = rows.from() * ldGates, h0 = (long) rows.from() * hidden;
        long prev = r.prevSlot(t) * stepHidden + h0, next = r.nextSlot(t) * stepHidden + h0;
        int[] lengths = rows.lengths();
        switch (r.mode()) {
            case RNN_TANH, RNN_RELU -> VectorKernels.rnnForwardColumns(n, hidden, u0, u1, t, lengths,
                    r.mode() == CellMode.RNN_RELU, r.gx(), t * stepGates + g0, gh, g0, r.states(), prev, r.states(), next,
                    r.y(), t * stepHidden + h0, hidden);
            case GRU -> VectorKernels.gruForwardColumns(n, hidden, u0, u1, t, lengths, r.gx(), t * stepGates + g0,
                    gh, g0, r.bhn(), 0, r.states(), prev, r.act(), r.saved(t) * stepGates + g0, r.ghn(),
                    r.saved(t) * stepHidden + h0, r.states(), next, r.y(), t * stepHidden + h0, hidden);
            case LSTM -> VectorKernels.lstmForwardColumns(n, hidden, u0, u1, t, lengths, r.gx(), t * stepGates + g0,
                    gh, g0, r.cells(), prev, r.act(), r.saved(t) * stepGates + g0, r.cells(), next, r.states(), prev,
                    r.states(), next, r.y(), t * stepHidden + h0, hidden);
        }
    }

    /** True when the team splits batch rows rather than hidden units (see {@link #ROWS_SPLIT_MAX_WEIGHT_BYTES}). */
    private static boolean splitsRows(Recurrence r) {
        return r.batch() >= 2 * ROWS_PER_MEMBER_MIN && r.wHh().byteSize() <= ROWS_SPLIT_MAX_WEIGHT_BYTES;
    }

    /** A member's batch rows [from, to) and their lengths (indexed from 0; null without lengths). */
    private record Rows(int from, int to, int[] lengths) {
        static Rows all(Recurrence r) {
            return new Rows(0, r.batch(), r.lengths());
        }

        /** Member's share, cut at multiples of 4 rows (the micro-kernel's row group). */
        static Rows of(Recurrence r, int member, int members) {
            int batch = r.batch();
            int from = member == 0 ? 0 : batch * member / members / 4 * 4;
            int to = member == members - 1 ? batch : batch * (member + 1) / members / 4 * 4;
            int[] lengths = r.lengths() == null ? null : Arrays.copyOfRange(r.lengths(), from, to);
            return new Rows(from, to, lengths);
        }

        int count() {
            return to - from;
        }
    }
}
