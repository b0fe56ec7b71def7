package dev.recur.engine.backend.gpu;

import dev.recur.engine.backend.CellMode;

/**
 * Whether the persistent forward kernels ({@code native/src/persistent_recurrence.cu}) can hold one
 * layer direction on a device, and how they split it; where they cannot, {@link #reason()} says
 * why and the caller runs the standard path (one recurrent GEMM + one cell kernel per step).
 *
 * <p>Block k owns hidden units {@code [k·U, k·U + U)} with all G gate rows of them, keeping that
 * slice of W_hh ({@code G·U} rows of H weights) in shared memory for the whole sequence, beside
 * the previous state {@code [B, H]} (float32) and its gate tile {@code [B, G, U]} (float32). A
 * cooperative launch needs every block resident at once, so at most one block per multiprocessor:
 * {@code U = ceil(H / SMs)}, {@code blocks = ceil(H / U)}. The shape fits when that block's shared
 * memory is within the device's per-block limit. On an H100 (132 SMs, 227 KiB per block) that
 * allows, at batch 1: LSTM H ≤ 1320 with float32 weights and H ≤ 1872 with bfloat16, GRU ≤ 1569,
 * RNN ≤ 2640 (float32); see {@link #largestHidden}. (The chip's 132 × 227 KiB would hold an LSTM's
 * float32 W_hh up to H ≈ 1385; the per-unit granularity and the staged state cost the rest.)
 *
 * <p>The Java twin of {@code plan_persistent} in {@code native/src/recur_persistent.cuh}: the
 * two must agree (both are tested on the same H100 table). Launch with the plan:
 * {@code cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes)}, check
 * {@code cuOccupancyMaxActiveBlocksPerMultiprocessor(f, threads, sharedBytes) >= 1} (else fall
 * back), then {@code cuLaunchCooperativeKernel(f, blocks, 1, 1, threads, 1, 1, sharedBytes, ...)}.
 *
 * @param fits          whether the persistent path can run this shape
 * @param blocks        grid size (0 when the shape was rejected before partitioning)
 * @param unitsPerBlock hidden units per block, U (the last block may own fewer)
 * @param threads       threads per block, always {@link #THREADS}
 * @param sharedBytes   dynamic shared memory per block (also when it is too much)
 * @param reason        why it does not fit, one line; empty when it fits
 */
public record PersistentPlan(boolean fits, int blocks, int unitsPerBlock, int threads, long sharedBytes,
                             String reason) {

    /** RECUR_PERSISTENT_THREADS: 16 warps, one block per multiprocessor. */
    public static final int THREADS = 512;

    /** How W_hh is kept in shared memory; products, sums and states are float32 either way. */
    public enum Weights {
        FLOAT32(4, ""),
        /** rounded to nearest even when the slice is loaded: half the bytes, about 1.4x the H. */
        BFLOAT16(2, "_bf16");

        private final int bytes;
        private final String kernelSuffix;

        Weights(int bytes, String kernelSuffix) {
            this.bytes = bytes;
            this.kernelSuffix = kernelSuffix;
        }

        public int bytes() {
            return bytes;
        }
    }

    /**
     * What a device offers the persistent kernels, as {@code cuDeviceGetAttribute} reports it
     * ({@link GpuDevice#persistentLimits}).
     *
     * @param reservedSharedPerBlock what the system keeps of each block's share (1 KiB on Hopper)
     */
    public record DeviceLimits(int multiprocessors, int sharedPerMultiprocessor, int sharedPerBlockOptIn,
                               int reservedSharedPerBlock, int maxThreadsPerBlock, boolean cooperativeLaunch) {

        /** H100 SXM5: 132 SMs, 228 KiB of shared memory per SM, 227 KiB per block after opting in. */
        public static final DeviceLimits H100_SXM = new DeviceLimits(132, 233_472, 232_448, 1_024, 1_024, true);

        /** The largest dynamic shared memory one block may launch with. */
        public long sharedPerBlock() {
            return Math.min((long) sharedPerMultiprocessor - reservedSharedPerBlock, sharedPerBlockOptIn);
        }
    }

    /**
     * The plan for one layer direction.
     *
     * @param stateWidth P: H, or proj_size for an LSTM with projection (not supported: falls back)
     */
    public static PersistentPlan of(CellMode mode, int hidden, int stateWidth, int batch, Weights weights,
                                    DeviceLimits device) {
        if (hidden < 1 || batch < 1 || device.multiprocessors() < 1) {
            return rejected("hidden size, batch and multiprocessor count must be at least 1 (H = " + hidden + ", B = "
                    + batch + ", SMs = " + device.multiprocessors() + ")");
        }
        if (!device.cooperativeLaunch()) {
            return rejected("the device cannot launch cooperatively, and the steps meet at a grid-wide barrier");
        }
        if (stateWidth != hidden) {
            return rejected("the state is " + stateWidth + " wide, not H = " + hidden
                    + " (LSTM proj_size): the persistent kernels have no projection");
        }
        int units = ceilDiv(hidden, device.multiprocessors());
        int blocks = ceilDiv(hidden, units);
        long shared = sharedBytes(mode.gates(), hidden, batch, units, weights.bytes());
        if (device.maxThreadsPerBlock() < THREADS) {
            return new PersistentPlan(false, blocks, units, THREADS, shared, "the device allows "
                    + device.maxThreadsPerBlock() + " threads per block; the persistent kernels run " + THREADS);
        }
        if (shared > device.sharedPerBlock()) {
            return new PersistentPlan(false, blocks, units, THREADS, shared, "a block's W_hh slice (" + mode.gates()
                    + "·" + units + " rows of " + hidden + " " + weights.name().toLowerCase() + "), state [" + batch
                    + ", " + hidden + "] and gate tile need " + shared + " bytes of shared memory; the device allows "
                    + device.sharedPerBlock() + " per block");
        }
        return new PersistentPlan(true, blocks, units, THREADS, shared, "");
    }

    /**
     * persistent_shared_layout: [W_hh slice: G·U·H weights][state: B·H float][gate tile: B·G·U float],
     * each part rounded up to 16 bytes.
     */
    public static long sharedBytes(int gates, int hidden, int batch, int unitsPerBlock, int weightBytes) {
        return align16((long) gates * unitsPerBlock * hidden * weightBytes)
                + align16((long) batch * hidden * Float.BYTES)
                + align16((long) batch * gates * unitsPerBlock * Float.BYTES);
    }

    /** The largest H that fits for this mode, batch and weights (no projection), 0 if none does. */
    public static int largestHidden(CellMode mode, int batch, Weights weights, DeviceLimits device) {
        // Shared bytes grow with H (U never shrinks as H grows), so the H that fit are 1..largest.
        int low = 0, high = 1 << 20;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (of(mode, mid, mid, batch, weights, device).fits()) low = mid;
            else high = mid - 1;
        }
        return low;
    }

    /** The kernel to launch for this mode and weight type (parameters in docs/kernels.md). */
    public static String kernel(CellMode mode, Weights weights) {
        String family = switch (mode) {
            case LSTM -> "lstm";
            case GRU -> "gru";
            case RNN_TANH, RNN_RELU -> "rnn";
        };
        return "recur_persistent_" + family + "_forward" + weights.kernelSuffix;
    }

    private static PersistentPlan rejected(String reason) {
        return new PersistentPlan(false, 0, 0, THREADS, 0, reason);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static long align16(long bytes) {
        return (bytes + 15) / 16 * 16;
    }
}
