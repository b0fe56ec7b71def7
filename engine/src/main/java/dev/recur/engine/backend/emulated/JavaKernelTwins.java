package dev.recur.engine.backend.emulated;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.Recurrence;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Java twins of the CUDA kernels the GPU layer launches, for {@link EmulatedGpuDevice}. Each twin
 * declares the C parameter list of its {@code extern "C" __global__} function (copied from
 * {@code native/src}; {@code CudaKernelAbiTest} checks them against the sources) and runs
 * every work item at once through the engine's naive kernels, which the native math test
 * (native/test/run.sh) holds the CUDA item functions to. Only the kernels the GPU code launches
 * have twins (the layer's, and gradient clipping's coefficient); asking for another throws, naming it.
 */
final class JavaKernelTwins {
    /** The engine's scalar reference kernels: the twins' arithmetic. */
    private static final Kernels NAIVE = KernelProvider.naive();

    @FunctionalInterface
    interface Body {
        void run(Arguments a);
    }

    /**
     * @param javaOnly the twin runs even on the emulator with host-compiled kernels: the kernel
     *                 needs what one host thread cannot give it (the persistent kernels' grid barrier)
     */
    record Twin(CudaKernelSignature signature, Body body, boolean javaOnly) {
    }

    /** One launch's argument values, read by position as the C function would. */
    record Arguments(EmulatedGpuDevice device, CudaKernelSignature signature, long[] values) {
        int i(int index) {
            return (int) values[index];
        }

        float f(int index) {
            return Float.intBitsToFloat((int) values[index]);
        }

        double d(int index) {
            return Double.longBitsToDouble(values[index]);
        }

        /** A pointer argument's memory, from that address to the end of its allocation (any element type). */
        MemorySegment at(int index) {
            return device.memoryAt(values[index], signature.name() + " argument " + index + " ("
                    + signature.parameters().get(index) + ")");
        }

        boolean flag(int index) {
            return i(index) != 0;
        }

        /** A float pointer's allocation, or null for a NULL pointer. */
        MemorySegment seg(int index) {
            EmulatedGpuDevice.Floats f = floats(index);
            return f == null ? null : f.memory();
        }

        /** A float pointer's offset in floats inside {@link #seg}. */
        long off(int index) {
            EmulatedGpuDevice.Floats f = floats(index);
            return f == null ? 0 : f.offset();
        }

        private EmulatedGpuDevice.Floats floats(int index) {
            return device.floats(values[index], signature.name() + " argument " + index + " ("
                    + signature.parameters().get(index) + ")");
        }

        /** An {@code const int* lengths} argument: {@code batch} int32 read from the device, or null for NULL. */
        int[] lengths(int index, int batch) {
            if (values[index] == 0) return null;
            MemorySegment m = device.memoryAt(values[index], signature.name() + " lengths");
            return m.asSlice(0, (long) batch * Integer.BYTES).toArray(ValueLayout.JAVA_INT);
        }
    }

    private static final Map<String, Twin> TWINS = new LinkedHashMap<>();

    private static void twin(String name, String cParameters, Body body) {
        TWINS.put(name, new Twin(CudaKernelSignature.parse(name, cParameters), body, false));
    }

    private static void javaOnlyTwin(String name, String cParameters, Body body) {
        TWINS.put(name, new Twin(CudaKernelSignature.parse(name, cParameters), body, true));
    }

    static {
        // ---- recurrent cell steps (rnn_cell.cu, lstm_cell.cu, gru_cell.cu) ----
        twin("recur_rnn_forward", "int batch, int hidden, int t, const int* lengths, int use_relu, const float* gx, "
                + "const float* gh, const float* h_prev, float* h_next, float* y, int ldy", a ->
                NAIVE.rnnForward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.flag(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.seg(8), a.off(8), a.seg(9), a.off(9), a.i(10)));
        twin("recur_rnn_backward", "int batch, int hidden, int t, const int* lengths, int use_relu, const float* h_next, "
                + "const float* dh, float* da, float* dh_prev", a ->
                NAIVE.rnnBackward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.flag(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.seg(8), a.off(8)));
        twin("recur_lstm_forward", "int batch, int hidden, int t, const int* lengths, const float* gx, const float* gh, "
                + "const float* c_prev, float* act, float* c_next, const float* h_prev, float* h_next, float* y, int ldy", a ->
                NAIVE.lstmForward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.seg(8), a.off(8), a.seg(9), a.off(9),
                        a.seg(10), a.off(10), a.seg(11), a.off(11), a.i(12)));
        twin("recur_lstm_backward", "int batch, int hidden, int t, const int* lengths, const float* act, "
                + "const float* c_prev, const float* c_next, const float* dm, float* dc, float* da", a ->
                NAIVE.lstmBackward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.seg(8), a.off(8), a.seg(9), a.off(9)));
        twin("recur_gru_forward", "int batch, int hidden, int t, const int* lengths, const float* gx, const float* gh, "
                + "const float* b_hn, const float* h_prev, float* act, float* ghn, float* h_next, float* y, int ldy", a ->
                NAIVE.gruForward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.seg(8), a.off(8), a.seg(9), a.off(9),
                        a.seg(10), a.off(10), a.seg(11), a.off(11), a.i(12)));
        twin("recur_gru_backward", "int batch, int hidden, int t, const int* lengths, const float* act, const float* ghn, "
                + "const float* h_prev, const float* dh, float* dgx, float* dgh, float* dh_prev", a ->
                NAIVE.gruBackward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.seg(8), a.off(8), a.seg(9), a.off(9),
                        a.seg(10), a.off(10)));

        // ---- the mask helpers (recurrence_mask.cu) ----
        twin("recur_masked_step", "int batch, int width, int t, const int* lengths, const float* h_cand, "
                + "const float* h_prev, float* h_next, float* y, int ldy", a ->
                NAIVE.maskedStep(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4), a.seg(5), a.off(5),
                        a.seg(6), a.off(6), a.seg(7), a.off(7), a.i(8)));
        twin("recur_masked_step_backward", "int batch, int width, int t, const int* lengths, const float* dh, "
                + "float* d_cand, float* dh_prev", a ->
                NAIVE.maskedStepBackward(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4),
                        a.seg(5), a.off(5), a.seg(6), a.off(6)));
        twin("recur_add_active_rows", "int batch, int width, int t, const int* lengths, const float* dy, int ldy, "
                + "float* dh", a ->
                NAIVE.addActiveRows(a.i(0), a.i(1), a.i(2), a.lengths(3, a.i(0)), a.seg(4), a.off(4), a.i(5),
                        a.seg(6), a.off(6)));

        // ---- elementwise and reductions (elementwise.cu, reduce.cu) ----
        twin("recur_add", "int n, const float* a, const float* b, float* out", a ->
                NAIVE.add(a.i(0), a.seg(1), a.off(1), a.seg(2), a.off(2), a.seg(3), a.off(3)));
        twin("recur_axpy", "int n, float alpha, const float* x, float* y", a ->
                NAIVE.axpy(a.i(0), a.f(1), a.seg(2), a.off(2), a.seg(3), a.off(3)));
        twin("recur_add_row_vector", "int rows, int cols, float* x, int ldx, const float* bias", a ->
                NAIVE.addRowVector(a.i(0), a.i(1), a.seg(2), a.off(2), a.i(3), a.seg(4), a.off(4)));

        // ---- the persistent forward recurrences (persistent_recurrence.cu; float32 weights): all steps in one
        // launch. The twin composes each step as the standard path does, a GEMM then the cell step: the
        // kernel's own partition and grid barrier are for a GPU (native/test's host test runs those).
        javaOnlyTwin("recur_persistent_lstm_forward", "int steps, int batch, int hidden, int units_per_block, int reverse, "
                + "int keep_all, const int* lengths, const float* gx, const float* w_hh, float* states, float* cells, "
                + "float* act, float* y, int ldy", a -> persistent(a, CellMode.LSTM));
        javaOnlyTwin("recur_persistent_gru_forward", "int steps, int batch, int hidden, int units_per_block, int reverse, "
                + "int keep_all, const int* lengths, const float* gx, const float* w_hh, const float* b_hn, float* states, "
                + "float* act, float* ghn, float* y, int ldy", a -> persistent(a, CellMode.GRU));
        javaOnlyTwin("recur_persistent_rnn_forward", "int steps, int batch, int hidden, int units_per_block, int reverse, "
                + "int keep_all, int use_relu, const int* lengths, const float* gx, const float* w_hh, float* states, "
                + "float* y, int ldy", a -> persistent(a, a.flag(6) ? CellMode.RNN_RELU : CellMode.RNN_TANH));

        // ---- gradient clipping's coefficient (optimizers.cu; one thread): as train.GradientClipping ----
        twin("recur_clip_coefficient", "const double* sum_of_squares, double max_norm, double* total_norm, float* scale", a -> {
            double total = Math.sqrt(a.at(0).get(ValueLayout.JAVA_DOUBLE, 0));
            a.at(2).set(ValueLayout.JAVA_DOUBLE, 0, total);
            a.at(3).set(ValueLayout.JAVA_FLOAT, 0, (float) Math.min(a.d(1) / (total + 1e-6), 1.0));   // min keeps a NaN
        });
    }

    private JavaKernelTwins() {
    }

    /**
     * A persistent kernel's launch, step by step: gh = h_prev · W_hh^T, then the mode's cell step,
     * with Recurrence's slots (a 2-slot ring, or every step with keep_all). Argument positions as
     * in docs/kernels.md; RNN has use_relu at 6, which moves the rest by one.
     */
    private static void persistent(Arguments a, CellMode mode) {
        int steps = a.i(0), batch = a.i(1), hidden = a.i(2), g = mode.gates();
        boolean reverse = a.flag(4), keepAll = a.flag(5);
        int p = mode == CellMode.RNN_TANH || mode == CellMode.RNN_RELU ? 7 : 6;   // position of lengths
        int statesAt = mode == CellMode.LSTM ? 9 : 10;
        int[] lengths = a.lengths(p, batch);
        MemorySegment gx = a.seg(p + 1), wHh = a.seg(p + 2), states = a.seg(statesAt);
        long gxOff = a.off(p + 1), so = a.off(statesAt);
        long stepHidden = (long) batch * hidden, stepGates = (long) batch * g * hidden;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment gh = scratch.allocate(stepGates * Float.BYTES, 64);
            for (int s = 0; s < steps; s++) {
                int t = Recurrence.time(steps, reverse, s), saved = Recurrence.saved(t, keepAll);
                long prev = so + Recurrence.prevSlot(t, reverse, keepAll) * stepHidden;
                long next = so + Recurrence.nextSlot(t, reverse, keepAll) * stepHidden;
                NAIVE.sgemm(false, true, batch, g * hidden, hidden, 1f, states, prev, hidden, wHh, a.off(p + 2), hidden,
                        0f, gh, 0, g * hidden);
                switch (mode) {
                    case LSTM -> {
                        long co = a.off(10) - so;   // the cell slots sit where the state slots do, in their own buffer
                        NAIVE.lstmForward(batch, hidden, t, lengths, gx, gxOff + t * stepGates, gh, 0, a.seg(10), co + prev,
                                a.seg(11), a.off(11) + saved * stepGates, a.seg(10), co + next, states, prev, states, next,
                                a.seg(12), a.off(12) + (long) t * batch * a.i(13), a.i(13));
                    }
                    case GRU -> NAIVE.gruForward(batch, hidden, t, lengths, gx, gxOff + t * stepGates, gh, 0, a.seg(9), a.off(9),
                            states, prev, a.seg(11), a.off(11) + saved * stepGates, a.seg(12), a.off(12) + saved * stepHidden,
                            states, next, a.seg(13), a.off(13) + (long) t * batch * a.i(14), a.i(14));
                    case RNN_TANH, RNN_RELU -> NAIVE.rnnForward(batch, hidden, t, lengths, mode == CellMode.RNN_RELU, gx,
                            gxOff + t * stepGates, gh, 0, states, prev, states, next, a.seg(11),
                            a.off(11) + (long) t * batch * a.i(12), a.i(12));
                }
            }
        }
    }

    /** The twin of that kernel; an {@link IllegalArgumentException} naming the kernel when there is none. */
    static Twin twin(String name) {
        Twin t = TWINS.get(name);
        if (t == null) {
            throw new IllegalArgumentException("the emulated GPU has no twin of kernel '" + name + "' (it has "
                    + String.join(", ", TWINS.keySet()) + ")");
        }
        return t;
    }

    /** Every kernel with a twin. */
    static Set<String> names() {
        return TWINS.keySet();
    }
}
