package dev.recur.engine.backend.gpu;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Recurrence;
import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One recurrent layer direction on a {@link GpuDevice}: the sequence of docs/kernels.md ("One layer
 * direction, as the engine's Recurrence composes these"), the device twin of the CPU's
 * {@code RecurrentLayerOp} + {@code Recurrence.runStepwise} / {@code runStepwiseBackward}:
 * <ol>
 *   <li>input projection for all steps as ONE GEMM, Gx [T·B, G·H] = X [T·B, I] · W_ih^T, then
 *       {@code recur_add_row_vector} with the folded biases (b_ih + b_hh, except GRU's b_hn);</li>
 *   <li>per step: Gh [B, G·H] = h_prev · W_hh^T (GEMM) and the fused cell kernel; LSTM with
 *       projection: the cell writes m = o·tanh(c), then h_cand = m · W_hr^T (GEMM) and
 *       {@code recur_masked_step};</li>
 *   <li>backward per step from the last walked to the first: {@code recur_add_active_rows}, the
 *       cell's backward kernel (with projection: {@code recur_masked_step_backward} and
 *       dm = dCand · W_hr first), then dh_prev += dGh · W_hh (GEMM); afterwards, over all T·B
 *       rows at once, dW_ih += dGx^T·X, dW_hh += dGh^T·H_prev, dW_hr += dCand^T·m, the bias
 *       gradients (a GEMM of a vector of ones with dG; LSTM and RNN sum dG once for both biases) and
 *       dX += dGx · W_ih.</li>
 * </ol>
 * All data are row-major float32 at device addresses; GEMMs go through
 * {@link GpuDevice#rowMajorSgemm} (cuBLAS's operands swapped). The weights are uploaded once
 * into one device block; their gradients accumulate in a second block of the same layout, made
 * by the first backward.
 * Activations and scratch come from the {@link CachingDeviceAllocator}.
 *
 * <p>Shapes: x [T, B, I] time-major with padded steps zeroed (their rows enter dW_ih = dGx^T·X);
 * W_ih [G·H, I]; W_hh [G·H, P]; biases [G·H]; W_hr [P, H]; P = proj_size or H; y [T, B, ldy]
 * (this direction's P columns at the given address); h0 [B, P]; c0 [B, H]; lengths int32 [B].
 */
public final class GpuRecurrentLayer implements AutoCloseable {
    private static final long F = Float.BYTES;
    /** Each weight starts on a 256-byte boundary (cuBLAS's preferred alignment). */
    private static final long ALIGN_FLOATS = 64;

    /** The weights of a layer direction: w_ih, w_hh, b_ih, b_hh and the projection w_hr. */
    public enum Part {
        WEIGHT_IH, WEIGHT_HH, BIAS_IH, BIAS_HH, WEIGHT_HR
    }

    private final GpuDevice device;
    private final CachingDeviceAllocator memory;
    private final CellMode mode;
    private final boolean reverse;
    private final int inputSize, hidden, out, gateWidth;
    private final boolean bias, projection;
    private final CachingDeviceAllocator.Block weights;
    /** Same layout as {@link #weights}; allocated by the first backward or {@link #zeroGradients} (inference needs none). */
    private CachingDeviceAllocator.Block gradients;
    /** {@link #useGraphs}: inference passes run their loop as a captured graph per shape. */
    private boolean graphs;
    /** {@link #usePersistent}, and whether a persistent launch failed (then never tried again). */
    private boolean persistent, persistentFailed;
    private GpuKernel persistentKernel;
    /**
     * The inference shapes with graphs, least recently used first: a service whose sequence
     * lengths vary would otherwise keep a Gx buffer per length for ever. The eldest beyond
     * {@link #GRAPHED_SHAPES} is closed (its graph and buffers freed).
     */
    private final Map<ShapeKey, ShapeGraph> shapeGraphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ShapeKey, ShapeGraph> eldest) {
            if (size() <= GRAPHED_SHAPES) return false;
            eldest.getValue().close();
            return true;
        }
    };
    /** The most inference shapes a layer keeps graphs and buffers for. */
    static final int GRAPHED_SHAPES = 8;
    /** Byte offsets inside {@link #weights} (and {@link #gradients}); -1 when absent. */
    private final long wIhAt, wHhAt, bIhAt, bHhAt, foldedBiasAt, wHrAt;
    private final GpuKernel addRowVector, axpy, addActiveRows, cellForward, cellBackward, maskedStep, maskedStepBackward;

    private GpuRecurrentLayer(GpuDevice device, CachingDeviceAllocator memory, CellMode mode, boolean reverse,
                              int inputSize, int hidden, int out, boolean bias, boolean projection) {
        this.device = device;
        this.memory = memory;
        this.mode = mode;
        this.reverse = reverse;
        this.inputSize = inputSize;
        this.hidden = hidden;
        this.out = out;
        this.gateWidth = mode.gates() * hidden;
        this.bias = bias;
        this.projection = projection;
        long at = 0;
        wIhAt = at;
        at = align(at + (long) gateWidth * inputSize);
        wHhAt = at;
        at = align(at + (long) gateWidth * out);
        bIhAt = bias ? at : -1;
        if (bias) at = align(at + gateWidth);
        bHhAt = bias ? at : -1;
        if (bias) at = align(at + gateWidth);
        foldedBiasAt = bias ? at : -1;
        if (bias) at = align(at + gateWidth);
        wHrAt = projection ? at : -1;
        if (projection) at = align(at + (long) out * hidden);
        this.weights = memory.allocate(at * F);
        this.addRowVector = device.kernel("recur_add_row_vector");
        this.axpy = device.kernel("recur_axpy");
        this.addActiveRows = device.kernel("recur_add_active_rows");
        this.cellForward = device.kernel(switch (mode) {
            case RNN_TANH, RNN_RELU -> "recur_rnn_forward";
            case GRU -> "recur_gru_forward";
            case LSTM -> "recur_lstm_forward";
        });
        this.cellBackward = device.kernel(switch (mode) {
            case RNN_TANH, RNN_RELU -> "recur_rnn_backward";
            case GRU -> "recur_gru_backward";
            case LSTM -> "recur_lstm_backward";
        });
        this.maskedStep = projection ? device.kernel("recur_masked_step") : null;
        this.maskedStepBackward = mode == CellMode.LSTM ? device.kernel("recur_masked_step_backward") : null;
    }

    private static long align(long floats) {
        return (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    }

    /**
     * Uploads a layer direction's weights (host tensors, PyTorch layout): wIh [G·H, I], wHh [G·H, P],
     * bIh and bHh [G·H] (both or neither), wHr [P, H] (LSTM projection) or null.
     */
    public static GpuRecurrentLayer upload(GpuDevice device, CachingDeviceAllocator memory, CellMode mode, boolean reverse,
                                           Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor wHr) {
        int gateWidth = wIh.dim(0), hidden = gateWidth / mode.gates(), out = wHr != null ? wHr.dim(0) : hidden;
        if ((bIh == null) != (bHh == null)) throw new IllegalArgumentException("give both biases or neither");
        GpuRecurrentLayer layer = new GpuRecurrentLayer(device, memory, mode, reverse, wIh.dim(1), hidden, out,
                bIh != null, wHr != null);
        layer.put(layer.wIhAt, wIh);
        layer.put(layer.wHhAt, wHh);
        if (bIh != null) {
            layer.put(layer.bIhAt, bIh);
            layer.put(layer.bHhAt, bHh);
            // Folded into Gx once: b_ih + b_hh, except GRU's b_hn, which sits inside r ⊙ (W_hn h + b_hn).
            int foldedHh = mode == CellMode.GRU ? 2 * hidden : gateWidth;
            float[] folded = bIh.toArray();
            for (int i = 0; i < foldedHh; i++) folded[i] += bHh.get(i);
            try (Arena scratch = Arena.ofConfined()) {
                layer.device.copyToDevice(scratch.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, folded),
                        layer.weights.address() + layer.foldedBiasAt * F, folded.length * F);
            }
        }
        if (wHr != null) layer.put(layer.wHrAt, wHr);
        return layer;
    }

    private void put(long at, Tensor t) {
        device.copyToDevice(t.data(), weights.address() + at * F, t.size() * F);
    }

    private long weight(long at) {
        return at < 0 ? 0 : weights.address() + at * F;
    }

    private long gradient(long at) {
        return at < 0 ? 0 : gradientBlock().address() + at * F;
    }

    /** The gradient block, allocated and zeroed on first use. */
    private CachingDeviceAllocator.Block gradientBlock() {
        if (gradients == null) {
            gradients = memory.allocate(weights.bytes());
            device.zero(gradients.address(), gradients.bytes());
        }
        return gradients;
    }

    private long at(Part part) {
        return switch (part) {
            case WEIGHT_IH -> wIhAt;
            case WEIGHT_HH -> wHhAt;
            case BIAS_IH -> bIhAt;
            case BIAS_HH -> bHhAt;
            case WEIGHT_HR -> wHrAt;
        };
    }

    /** A part's shape, as PyTorch's state_dict has it. */
    private int[] shape(Part part) {
        return switch (part) {
            case WEIGHT_IH -> new int[]{gateWidth, inputSize};
            case WEIGHT_HH -> new int[]{gateWidth, out};
            case BIAS_IH, BIAS_HH -> new int[]{gateWidth};
            case WEIGHT_HR -> new int[]{out, hidden};
        };
    }

    private long floats(Part part) {
        long n = 1;
        for (int d : shape(part)) n *= d;
        return n;
    }

    /** Sets every accumulated weight gradient to zero. */
    public void zeroGradients() {
        device.zero(gradientBlock().address(), gradients.bytes());
    }

    /** Copies a part's accumulated gradient into {@code host} (as many floats as the part has). */
    public void downloadGradient(Part part, MemorySegment host) {
        if (at(part) < 0) throw new IllegalArgumentException("this layer has no " + part);
        device.copyToHost(gradient(at(part)), host, floats(part) * F);
    }

    /** A walk's state slots and saved steps: {@link Recurrence}'s layout (docs/kernels.md). */
    private record Walk(int steps, boolean reverse, boolean keepAll) {
        int time(int s) {
            return Recurrence.time(steps, reverse, s);
        }

        int prevSlot(int t) {
            return Recurrence.prevSlot(t, reverse, keepAll);
        }

        int nextSlot(int t) {
            return Recurrence.nextSlot(t, reverse, keepAll);
        }

        int saved(int t) {
            return Recurrence.saved(t, keepAll);
        }

        int slots() {
            return Recurrence.stateSlots(steps, keepAll);
        }

        int savedSteps() {
            return Recurrence.savedSteps(steps, keepAll);
        }

        int initialSlot() {
            return prevSlot(time(0));
        }

        int finalSlot() {
            return nextSlot(time(steps - 1));
        }
    }

    /**
     * What a forward leaves on the device: the final state and, when run for backward, every
     * step's states, cells, activations (as {@code Recurrence} lays them out). Close to give the
     * memory back to the allocator.
     */
    public final class Activations implements AutoCloseable {
        private final Walk walk;
        private final int batch;
        private final long x, lengths;
        private final DeviceBlocks blocks = new DeviceBlocks(device, memory);
        private final long states, cells, act, ghn, m;

        private Activations(Walk walk, int batch, long x, long lengths) {
            this.walk = walk;
            this.batch = batch;
            this.x = x;
            this.lengths = lengths;
            int slots = walk.slots(), saved = walk.savedSteps();
            boolean lstm = mode == CellMode.LSTM, gru = mode == CellMode.GRU;
            states = blocks.take((long) slots * batch * out * F);
            cells = lstm ? blocks.take((long) slots * batch * hidden * F) : 0;
            act = lstm || gru ? blocks.take((long) saved * batch * gateWidth * F) : 0;
            ghn = gru ? blocks.take((long) saved * batch * hidden * F) : 0;
            m = projection ? blocks.take((long) saved * batch * hidden * F) : 0;
        }

        /** h_n [B, P]: the state after each sample's last valid step. */
        public long finalState() {
            return states + (long) walk.finalSlot() * batch * out * F;
        }

        /** c_n [B, H] (LSTM), else 0. */
        public long finalCell() {
            return cells == 0 ? 0 : cells + (long) walk.finalSlot() * batch * hidden * F;
        }

        @Override
        public void close() {
            blocks.close();
        }
    }

    /**
     * Runs this direction over {@code steps} steps. x [T, B, I] must stay alive (unchanged) until
     * {@link #backward} when {@code keepForBackward}; lengths int32 [B] or 0; h0 [B, P] and c0 [B, H]
     * or 0 (zeros); y [T, B, ldy] receives this direction's output (P columns). An inference pass
     * of a layer with {@link #useGraphs} runs its per-step loop as a captured graph (see there).
     */
    public Activations forward(int steps, int batch, long x, long lengths, long h0, long c0, long y, int ldy,
                               boolean keepForBackward) {
        long largest = (long) steps * batch * Math.max(Math.max(gateWidth, inputSize), Math.max(ldy, out));
        if (largest > Integer.MAX_VALUE) {
            // cuBLAS's m, n, k and the kernels' item indices are int32.
            throw new IllegalArgumentException("T·B·width = " + largest + " elements is too large for one layer pass "
                    + "(the kernels and GEMM sizes are int32): split the batch or the sequence");
        }
        PersistentPlan plan = persistentPlan(batch, keepForBackward);
        if (plan == null && graphs && !keepForBackward && ldy == out) return forwardGraphed(steps, batch, x, lengths, h0, c0, y);
        Walk walk = new Walk(steps, reverse, keepForBackward);
        Activations a = new Activations(walk, batch, x, lengths);
        long rows = (long) steps * batch;
        try (CachingDeviceAllocator.Block gxBlock = memory.allocate(rows * gateWidth * F)) {
            long gx = gxBlock.address();
            project(rows, x, gx);
            setInitialState(a, h0, c0);
            if (plan == null || !launchPersistent(plan, a, gx, lengths, y, ldy)) {
                try (CachingDeviceAllocator.Block gh = memory.allocate((long) batch * gateWidth * F);
                     CachingDeviceAllocator.Block hCand = projection ? memory.allocate((long) batch * out * F) : null) {
                    recurrence(a, gx, gh.address(), hCand == null ? 0 : hCand.address(), lengths, y, ldy);
                }
            }
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        return a;
    }

    /**
     * Runs inference passes whose shape {@link PersistentPlan} accepts as ONE cooperative launch of
     * the persistent kernel (all T steps, W_hh in shared memory; docs/kernels.md), before graphs
     * are considered. A launch that fails (the occupancy check, a driver without cooperative
     * launch) turns the persistent path off for this layer; that pass runs the per-step loop.
     * Forward only, no projection, float32 weights.
     */
    public void usePersistent(boolean enabled) {
        persistent = enabled;
    }

    /** The persistent kernels' plan for an inference pass of this batch when they are on and hold it, else null. */
    private PersistentPlan persistentPlan(int batch, boolean keepForBackward) {
        if (!persistent || persistentFailed || keepForBackward) return null;
        PersistentPlan plan = PersistentPlan.of(mode, hidden, out, batch, PersistentPlan.Weights.FLOAT32, device.persistentLimits());
        return plan.fits() ? plan : null;
    }

    /**
     * All of a's steps as one cooperative launch of the persistent kernel, reading gx and writing
     * a's states and y; false, and the persistent path off for this layer, when the launch fails
     * (nothing ran: the caller runs the per-step loop on the same buffers).
     */
    private boolean launchPersistent(PersistentPlan plan, Activations a, long gx, long lengths, long y, int ldy) {
        try {
            if (persistentKernel == null) persistentKernel = device.kernel(PersistentPlan.kernel(mode, PersistentPlan.Weights.FLOAT32));
            GpuKernel k = persistentKernel.arg(0, a.walk.steps()).arg(1, a.batch).arg(2, hidden).arg(3, plan.unitsPerBlock())
                    .arg(4, reverse ? 1 : 0).arg(5, 0);
            switch (mode) {
                case LSTM -> k.pointer(6, lengths).pointer(7, gx).pointer(8, weight(wHhAt)).pointer(9, a.states)
                        .pointer(10, a.cells).pointer(11, a.act).pointer(12, y).arg(13, ldy);
                case GRU -> k.pointer(6, lengths).pointer(7, gx).pointer(8, weight(wHhAt))
                        .pointer(9, bias ? weight(bHhAt) + 2L * hidden * F : 0).pointer(10, a.states).pointer(11, a.act)
                        .pointer(12, a.ghn).pointer(13, y).arg(14, ldy);
                case RNN_TANH, RNN_RELU -> k.arg(6, mode == CellMode.RNN_RELU ? 1 : 0).pointer(7, lengths).pointer(8, gx)
                        .pointer(9, weight(wHhAt)).pointer(10, a.states).pointer(11, y).arg(12, ldy);
            }
            k.launchCooperative(plan.blocks(), plan.threads(), plan.sharedBytes());
            return true;
        } catch (RuntimeException e) {
            persistentFailed = true;   // e.g. the occupancy check: this layer runs the per-step loop from now on
            return false;
        }
    }

    /**
     * Runs inference passes of this layer with the per-step loop (T GEMMs and T to 3T kernels) as
     * one CUDA graph per shape: captured by the shape's second pass, replayed by the later ones,
     * which saves a launch's host overhead per kernel. A graph replays the addresses it was
     * captured with, so each shape keeps its own Gx, Gh, state ring, lengths and output buffers,
     * and a pass copies its input's projection, lengths and initial state in and its output out.
     * Worth it only for a layer that lives across calls (resident weights). Where capture fails
     * (a driver or cuBLAS that cannot capture), the shape runs its loop directly on the same
     * buffers from then on.
     */
    public void useGraphs(boolean enabled) {
        graphs = enabled;
    }

    private Activations forwardGraphed(int steps, int batch, long x, long lengths, long h0, long c0, long y) {
        ShapeGraph sg = shapeGraphs.get(new ShapeKey(steps, batch, lengths != 0));
        if (sg == null) {
            sg = new ShapeGraph(steps, batch, lengths != 0);
            shapeGraphs.put(sg.key, sg);
        }
        Walk walk = sg.state.walk;
        Activations a = new Activations(walk, batch, x, lengths);
        try {
            project((long) steps * batch, x, sg.gx.address());
            if (lengths != 0) device.copyOnDevice(lengths, sg.lengths.address(), (long) batch * Integer.BYTES);
            setInitialState(sg.state, h0, c0);
            sg.run();
            device.copyOnDevice(sg.y.address(), y, (long) steps * batch * out * F);
            // The state ring (and cells) of this pass, as a direct forward would leave them.
            device.copyOnDevice(sg.state.states, a.states, (long) walk.slots() * batch * out * F);
            if (a.cells != 0) device.copyOnDevice(sg.state.cells, a.cells, (long) walk.slots() * batch * hidden * F);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        return a;
    }

    private record ShapeKey(int steps, int batch, boolean masked) {
    }

    /** One inference shape's buffers and its captured loop (null before the first pass or after a failed capture). */
    private final class ShapeGraph implements AutoCloseable {
        final ShapeKey key;
        final Activations state;
        final CachingDeviceAllocator.Block gx, gh, hCand, lengths, y;
        GpuGraph graph;
        boolean captureFailed;
        int passes;

        ShapeGraph(int steps, int batch, boolean masked) {
            key = new ShapeKey(steps, batch, masked);
            long rows = (long) steps * batch;
            // From the caching allocator, like a direct pass's buffers; held until the layer closes.
            gx = memory.allocate(rows * gateWidth * F);
            gh = memory.allocate((long) batch * gateWidth * F);
            hCand = projection ? memory.allocate((long) batch * out * F) : null;
            lengths = masked ? memory.allocate((long) batch * Integer.BYTES) : null;
            y = memory.allocate(rows * out * F);
            state = new Activations(new Walk(steps, reverse, false), batch, 0, lengths == null ? 0 : lengths.address());
        }

        /**
         * The loop: replayed when captured; else captured now, from the shape's second pass on;
         * else run directly. The first pass runs directly so that what is done once lazily (the
         * driver loading a kernel, cuBLAS setting up a workspace) is not done inside a capture,
         * where it may be refused.
         */
        void run() {
            if (graph != null) {
                graph.replay();
                return;
            }
            Runnable loop = () -> recurrence(state, gx.address(), gh.address(), hCand == null ? 0 : hCand.address(),
                    lengths == null ? 0 : lengths.address(), y.address(), out);
            if (!captureFailed && passes++ > 0) {
                try {
                    graph = device.capture(loop);
                    graph.replay();
                    return;
                } catch (RuntimeException e) {
                    captureFailed = true;   // e.g. a driver that cannot capture: this shape runs directly from now on
                }
            }
            loop.run();
        }

        @Override
        public void close() {
            try {
                if (graph != null) graph.close();
            } finally {
                state.close();
                gx.close();
                gh.close();
                if (hCand != null) hCand.close();
                if (lengths != null) lengths.close();
                y.close();
            }
        }
    }

    /** 1. Gx [T·B, G·H] = X [T·B, I] · W_ih^T (+ folded biases), every step at once. */
    private void project(long rows, long x, long gx) {
        device.rowMajorSgemm(false, true, (int) rows, gateWidth, inputSize, 1f, x, inputSize, weight(wIhAt), inputSize,
                0f, gx, gateWidth);
        if (bias) {
            addRowVector.arg(0, (int) rows).arg(1, gateWidth).pointer(2, gx).arg(3, gateWidth)
                    .pointer(4, weight(foldedBiasAt)).launch(rows * gateWidth);
        }
    }

    /** h0 and c0 (or zeros) into the state slot before the walk's first step. */
    private void setInitialState(Activations a, long h0, long c0) {
        long initial = a.walk.initialSlot();
        initialState(h0, a.states + initial * a.batch * out * F, (long) a.batch * out * F);
        if (mode == CellMode.LSTM) initialState(c0, a.cells + initial * a.batch * hidden * F, (long) a.batch * hidden * F);
    }

    /**
     * 2. The recurrence over a's walk: per step Gh = h_prev · W_hh^T (GEMM), then the cell kernel
     * (with projection: the cell, m · W_hr^T and the masked step). Only device work: no copies to
     * or from the host, no allocation, so it can be captured as a graph.
     */
    private void recurrence(Activations a, long gx, long gh, long hCand, long lengths, long y, int ldy) {
        Walk walk = a.walk;
        int batch = a.batch, steps = walk.steps();
        long stepOut = (long) batch * out * F, stepHidden = (long) batch * hidden * F, stepGates = (long) batch * gateWidth * F;
        long items = (long) batch * hidden;
        int relu = mode == CellMode.RNN_RELU ? 1 : 0;
        for (int s = 0; s < steps; s++) {
            int t = walk.time(s), saved = walk.saved(t);
            long prev = a.states + walk.prevSlot(t) * stepOut, next = a.states + walk.nextSlot(t) * stepOut;
            long gxT = gx + t * stepGates, yT = y + (long) t * batch * ldy * F;
            // Gh [B, G·H] = h_prev [B, P] · W_hh^T (column-major: Sgemm(T, N, G·H, B, P, W_hh, P, h, P, gh, G·H))
            device.rowMajorSgemm(false, true, batch, gateWidth, out, 1f, prev, out, weight(wHhAt), out, 0f, gh, gateWidth);
            switch (mode) {
                case RNN_TANH, RNN_RELU -> cellForward.arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, lengths)
                        .arg(4, relu).pointer(5, gxT).pointer(6, gh).pointer(7, prev).pointer(8, next)
                        .pointer(9, yT).arg(10, ldy).launch(items);
                case GRU -> cellForward.arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, lengths)
                        .pointer(4, gxT).pointer(5, gh).pointer(6, bias ? weight(bHhAt) + 2L * hidden * F : 0)
                        .pointer(7, prev).pointer(8, a.act + saved * stepGates).pointer(9, a.ghn + saved * stepHidden)
                        .pointer(10, next).pointer(11, yT).arg(12, ldy).launch(items);
                case LSTM -> {
                    long prevC = a.cells + walk.prevSlot(t) * stepHidden, nextC = a.cells + walk.nextSlot(t) * stepHidden;
                    cellForward.arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, lengths).pointer(4, gxT)
                            .pointer(5, gh).pointer(6, prevC).pointer(7, a.act + saved * stepGates).pointer(8, nextC);
                    if (!projection) {
                        cellForward.pointer(9, prev).pointer(10, next).pointer(11, yT).arg(12, ldy).launch(items);
                    } else {
                        // h_prev = 0: the cell writes m = o·tanh(c) into m[t]; the projection and the mask follow.
                        long mT = a.m + saved * stepHidden;
                        cellForward.pointer(9, 0).pointer(10, mT).pointer(11, 0).arg(12, out).launch(items);
                        device.rowMajorSgemm(false, true, batch, out, hidden, 1f, mT, hidden, weight(wHrAt), hidden,
                                0f, hCand, out);
                        maskedStep.arg(0, batch).arg(1, out).arg(2, t).pointer(3, lengths).pointer(4, hCand)
                                .pointer(5, prev).pointer(6, next).pointer(7, yT).arg(8, ldy).launch((long) batch * out);
                    }
                }
            }
        }
    }

    private void initialState(long given, long slot, long bytes) {
        if (given == 0) device.zero(slot, bytes);
        else device.copyOnDevice(given, slot, bytes);
    }

    /**
     * The backward of a {@link #forward} run with keepForBackward. dY [T, B, ldy] (this direction's
     * P columns) or 0; dhN [B, P] and dcN [B, H] or 0 (zeros). Accumulates the weight gradients
     * into this layer's gradient block and, when dX is not 0, dX [T, B, I] += dGx · W_ih. Writes
     * the gradients reaching h0 and c0 into dh0 [B, P] and dc0 [B, H] when those are not 0.
     */
    public void backward(Activations a, long dY, int ldy, long dhN, long dcN, long dX, long dh0, long dc0) {
        Walk walk = a.walk;
        if (!walk.keepAll()) throw new IllegalStateException("backward needs a forward run with keepForBackward");
        int steps = walk.steps(), batch = a.batch;
        long rows = (long) steps * batch;
        long stepOut = (long) batch * out * F, stepHidden = (long) batch * hidden * F, stepGates = (long) batch * gateWidth * F;
        boolean lstm = mode == CellMode.LSTM, gru = mode == CellMode.GRU;
        try (DeviceBlocks scratch = new DeviceBlocks(device, memory)) {
            long dh = scratch.take(stepOut), dhPrev = scratch.take(stepOut);
            long dc = lstm ? scratch.take(stepHidden) : 0;
            long dgx = scratch.take(rows * gateWidth * F);
            long dgh = gru ? scratch.take(rows * gateWidth * F) : dgx;   // LSTM and RNN: dGh == dGx
            // LSTM: dCand per step; kept for all steps with projection (dW_hr needs them), else one step.
            long dCand = lstm ? scratch.take(projection ? steps * stepOut : stepOut) : 0;
            long dm = projection ? scratch.take(stepHidden) : 0;
            initialState(dhN, dh, stepOut);
            if (lstm) initialState(dcN, dc, stepHidden);

            long items = (long) batch * hidden;
            int relu = mode == CellMode.RNN_RELU ? 1 : 0;
            for (int s = steps - 1; s >= 0; s--) {
                int t = walk.time(s);
                long prev = a.states + walk.prevSlot(t) * stepOut, next = a.states + walk.nextSlot(t) * stepOut;
                long dgxT = dgx + t * stepGates, dghT = dgh + t * stepGates;
                if (dY != 0) {
                    addActiveRows.arg(0, batch).arg(1, out).arg(2, t).pointer(3, a.lengths)
                            .pointer(4, dY + (long) t * batch * ldy * F).arg(5, ldy).pointer(6, dh).launch((long) batch * out);
                }
                switch (mode) {
                    case RNN_TANH, RNN_RELU -> cellBackward.arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, a.lengths)
                            .arg(4, relu).pointer(5, next).pointer(6, dh).pointer(7, dgxT).pointer(8, dhPrev).launch(items);
                    case GRU -> cellBackward.arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, a.lengths)
                            .pointer(4, a.act + t * stepGates).pointer(5, a.ghn + t * stepHidden).pointer(6, prev)
                            .pointer(7, dh).pointer(8, dgxT).pointer(9, dghT).pointer(10, dhPrev).launch(items);
                    case LSTM -> {
                        long dCandT = projection ? dCand + t * stepOut : dCand;
                        maskedStepBackward.arg(0, batch).arg(1, out).arg(2, t).pointer(3, a.lengths).pointer(4, dh)
                                .pointer(5, dCandT).pointer(6, dhPrev).launch((long) batch * out);
                        long dmT = dCandT;
                        if (projection) {
                            // dm [B, H] = dCand [B, P] · W_hr [P, H]
                            device.rowMajorSgemm(false, false, batch, hidden, out, 1f, dCandT, out, weight(wHrAt), hidden,
                                    0f, dm, hidden);
                            dmT = dm;
                        }
                        long prevC = a.cells + walk.prevSlot(t) * stepHidden, nextC = a.cells + walk.nextSlot(t) * stepHidden;
                        cellBackward.arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, a.lengths)
                                .pointer(4, a.act + t * stepGates).pointer(5, prevC).pointer(6, nextC).pointer(7, dmT)
                                .pointer(8, dc).pointer(9, dgxT).launch(items);
                    }
                }
                // dh_prev [B, P] += dGh_t [B, G·H] · W_hh [G·H, P]
                device.rowMajorSgemm(false, false, batch, out, gateWidth, 1f, dghT, gateWidth, weight(wHhAt), out,
                        1f, dhPrev, out);
                long swap = dh;
                dh = dhPrev;
                dhPrev = swap;
            }
            if (dh0 != 0) device.copyOnDevice(dh, dh0, stepOut);
            if (dc0 != 0 && lstm) device.copyOnDevice(dc, dc0, stepHidden);

            // Over all T·B rows at once. The states preceding steps 0..T-1 are one block of S (slot 0, or 1 reversed).
            long firstPrev = a.states + (reverse ? stepOut : 0);
            int n = (int) rows;
            // dW_ih [G·H, I] += dGx^T · X;  dW_hh [G·H, P] += dGh^T · H_prev
            device.rowMajorSgemm(true, false, gateWidth, inputSize, n, 1f, dgx, gateWidth, a.x, inputSize, 1f,
                    gradient(wIhAt), inputSize);
            device.rowMajorSgemm(true, false, gateWidth, out, n, 1f, dgh, gateWidth, firstPrev, out, 1f, gradient(wHhAt), out);
            if (bias) {
                // Bias gradients: dG's column sums over all T·B rows, as a GEMM ones [1, T·B] · dG [T·B, G·H],
                // which cuBLAS spreads over the whole GPU (a thread per column would leave most of it idle).
                long ones = scratch.take((long) n * F);
                device.fill(ones, n, 1f);
                if (dgh == dgx) {
                    // LSTM and RNN: both bias gradients are dG's column sums; one pass over dG, not two.
                    long sums = scratch.take(gateWidth * F);
                    device.rowMajorSgemm(false, false, 1, gateWidth, n, 1f, ones, n, dgx, gateWidth, 0f, sums, gateWidth);
                    axpy.arg(0, gateWidth).arg(1, 1f).pointer(2, sums).pointer(3, gradient(bIhAt)).launch(gateWidth);
                    axpy.arg(0, gateWidth).arg(1, 1f).pointer(2, sums).pointer(3, gradient(bHhAt)).launch(gateWidth);
                } else {
                    device.rowMajorSgemm(false, false, 1, gateWidth, n, 1f, ones, n, dgx, gateWidth, 1f, gradient(bIhAt), gateWidth);
                    device.rowMajorSgemm(false, false, 1, gateWidth, n, 1f, ones, n, dgh, gateWidth, 1f, gradient(bHhAt), gateWidth);
                }
            }
            if (projection) {
                // dW_hr [P, H] += dCand^T · m
                device.rowMajorSgemm(true, false, out, hidden, n, 1f, dCand, out, a.m, hidden, 1f, gradient(wHrAt), hidden);
            }
            if (dX != 0) {
                // dX [T·B, I] += dGx · W_ih
                device.rowMajorSgemm(false, false, n, inputSize, gateWidth, 1f, dgx, gateWidth, weight(wIhAt), inputSize,
                        1f, dX, inputSize);
            }
        }
    }

    /** Gives the weights' and gradients' device memory back to the allocator. */
    @Override
    public void close() {
        try {
            for (ShapeGraph g : shapeGraphs.values()) g.close();
        } finally {
            shapeGraphs.clear();
            weights.close();
            if (gradients != null) gradients.close();
        }
    }
}
