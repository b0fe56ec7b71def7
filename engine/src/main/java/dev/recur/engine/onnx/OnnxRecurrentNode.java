package dev.recur.engine.onnx;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Masking;
import dev.recur.engine.autodiff.RecurrentLayerOp;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxModelFile;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.onnx.OnnxProto;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ONNX's LSTM, GRU and RNN operators on Recur's fused recurrent layer ({@link RecurrentLayerOp}).
 *
 * <p>ONNX and PyTorch differ in gate order: ONNX's W and R stack LSTM gates as i, o, f, c and GRU
 * gates as z, r, h; PyTorch (and Recur) as i, f, g, o and r, z, n. Weights that are initializers
 * are reordered once, at load, into tensors the model owns; weights passed as graph inputs are
 * reordered on every call. B is [Wb | Rb], one PyTorch b_ih and b_hh per direction. Shapes (layout
 * 0 / 1): X [T, B, I] / [B, T, I]; initial_h, initial_c, Y_h, Y_c [D, B, H] / [B, D, H]; Y
 * [T, D, B, H] / [B, T, D, H]. With sequence_lens, outputs past a sample's length are zero and Y_h
 * is the state at its last valid step (ONNX Runtime's behaviour, and PyTorch's packed sequences').
 *
 * <p>Nodes the fused layer runs as they are (activations as PyTorch has them: LSTM
 * Sigmoid/Tanh/Tanh, GRU Sigmoid/Tanh with linear_before_reset = 1, RNN Tanh or Relu per direction;
 * no peepholes, clip or input_forget) go there. Every other attribute of the spec (GRU's
 * linear_before_reset = 0, peepholes P, input_forget, clip, the other activations with their alpha
 * and beta) runs in ONNX's own gate order on {@link OnnxKernelRecurrence} (the engine's kernels,
 * gate by gate), or, when the model was loaded with the naive kernels, on its reference
 * {@link OnnxStepwiseRecurrence}, the spec's equations step by step.
 */
final class OnnxRecurrentNode implements OnnxStep {

    /** The three operators: gates per unit, and which ONNX gate block becomes PyTorch's block k. */
    private enum Op {
        LSTM(new int[]{0, 2, 3, 1}, List.of("sigmoid", "tanh", "tanh")),
        GRU(new int[]{1, 0, 2}, List.of("sigmoid", "tanh")),
        RNN(new int[]{0}, List.of("tanh"));

        final int[] onnxBlockOf;
        final List<String> pytorchActivations;

        Op(int[] onnxBlockOf, List<String> pytorchActivations) {
            this.onnxBlockOf = onnxBlockOf;
            this.pytorchActivations = pytorchActivations;
        }

        int gates() {
            return onnxBlockOf.length;
        }
    }

    /** One direction's weights in PyTorch's layout: W_ih [G·H, I], W_hh [G·H, H], biases [G·H] or null. */
    private record Weights(Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh) {
    }

    private final String where;
    private final Op op;
    private final CellMode[] modes;          // per direction
    private final boolean reverseOnly;
    private final int directions, hidden, inputSize, layout;
    private final int inputLayout;           // X as [T, B, I] (0) or [B, T, I] (1): layout, unless a Transpose was folded in
    private final String x, w, r, b, lengths, initialH, initialC, peepholes, y, yH, yC;
    private final Weights[] fixedWeights;    // fused path: null when W, R or B come in with each call
    private final OnnxStepwiseRecurrence.Cell[] stepwise;   // per direction, or null: the fused path runs

    private OnnxRecurrentNode(String where, Op op, CellMode[] modes, OnnxStepwiseRecurrence.Cell[] stepwise, boolean reverseOnly,
                              int hidden, int inputSize, int layout, int inputLayout, String[] in, String[] out,
                              Weights[] fixedWeights) {
        this.where = where;
        this.op = op;
        this.modes = modes;
        this.stepwise = stepwise;
        this.reverseOnly = reverseOnly;
        this.directions = stepwise != null ? stepwise.length : modes.length;
        this.hidden = hidden;
        this.inputSize = inputSize;
        this.layout = layout;
        this.inputLayout = inputLayout;
        this.x = in[0];
        this.w = in[1];
        this.r = in[2];
        this.b = in[3];
        this.lengths = in[4];
        this.initialH = in[5];
        this.initialC = in[6];
        this.peepholes = in[7];
        this.y = out[0];
        this.yH = out[1];
        this.yC = out[2];
        this.fixedWeights = fixedWeights;
    }

    static boolean handles(String opType) {
        return opType.equals("LSTM") || opType.equals("GRU") || opType.equals("RNN");
    }

    /**
     * Binds a node: checks its attributes, reads the shapes W and R declare (from the initializers,
     * or from the graph's declared input shapes), and reorders constant weights into {@code owner}.
     */
    static OnnxRecurrentNode bind(OnnxModelFile file, OnnxProto.NodeProto node, Map<String, OnnxTensor> constants,
                                  Map<String, int[]> declaredShapes, TensorArena owner) throws DataFileException {
        OnnxNodeAttributes attrs = new OnnxNodeAttributes(file, node);
        Op op = Op.valueOf(node.getOpType());
        String direction = attrs.string("direction", "forward");
        int directions = switch (direction) {
            case "forward", "reverse" -> 1;
            case "bidirectional" -> 2;
            default -> throw attrs.error("direction '" + direction + "', expected forward, reverse or bidirectional");
        };
        long layout = attrs.integer("layout", 0);
        if (layout != 0 && layout != 1) throw attrs.error("layout " + layout + ", expected 0 or 1");
        float clip = attrs.has("clip") ? attrs.real("clip", Float.NaN) : Float.NaN;
        if (!Float.isNaN(clip) && !(clip > 0)) throw attrs.error("clip " + clip + ", expected a positive threshold");
        boolean inputForget = op == Op.LSTM && attrs.integer("input_forget", 0) != 0;
        boolean linearBeforeReset = op == Op.GRU && attrs.integer("linear_before_reset", 0) != 0;
        OnnxActivation[] activations;
        try {
            List<String> names = attrs.strings("activations");
            int perDirection = op.pytorchActivations.size();
            if (!names.isEmpty() && names.size() != perDirection * directions) {
                throw attrs.error("activations lists " + names.size() + " functions, expected " + perDirection * directions
                        + " (" + perDirection + " per direction)");
            }
            List<String> all = names.isEmpty() ? java.util.Collections.nCopies(directions, op.pytorchActivations).stream()
                    .flatMap(List::stream).toList() : names;
            activations = OnnxActivation.parse(all, attrs.reals("activation_alpha"), attrs.reals("activation_beta"));
        } catch (IllegalArgumentException e) {
            throw attrs.error(e.getMessage());
        }
        String[] in = new String[8];
        for (int i = 0; i < in.length; i++) {
            in[i] = i < node.getInputCount() && !node.getInput(i).isEmpty() ? node.getInput(i) : null;
        }
        if (op != Op.LSTM) {
            in[6] = null;
            in[7] = null;
        }
        CellMode[] modes = fusedModes(op, activations, directions, clip, inputForget, linearBeforeReset, in[7] != null);
        if (in[0] == null || in[1] == null || in[2] == null) throw attrs.error("needs inputs X, W and R");
        String[] out = new String[3];
        for (int i = 0; i < out.length; i++) {
            out[i] = i < node.getOutputCount() && !node.getOutput(i).isEmpty() ? node.getOutput(i) : null;
        }
        if (op != Op.LSTM && out[2] != null) throw attrs.error(op + " has no output Y_c");

        int[] wShape = shapeOf(attrs, in[1], constants, declaredShapes), rShape = shapeOf(attrs, in[2], constants, declaredShapes);
        int gates = op.gates();
        long declaredHidden = attrs.integer("hidden_size", -1);
        int hidden = rShape != null && rShape.length == 3 ? rShape[2] : (int) declaredHidden;
        if (hidden <= 0) throw attrs.error("hidden_size is missing and R's shape does not give it");
        if (declaredHidden > 0 && declaredHidden != hidden) {
            throw attrs.error("hidden_size " + declaredHidden + " but R is " + Tensor.shapeString(rShape));
        }
        if (wShape == null || wShape.length != 3 || wShape[0] != directions || wShape[1] != gates * hidden) {
            throw attrs.error("W must be [" + directions + ", " + gates * hidden + ", input_size], got "
                    + (wShape == null ? "an input of unknown shape" : Tensor.shapeString(wShape)));
        }
        if (rShape == null || rShape.length != 3 || rShape[0] != directions || rShape[1] != gates * hidden) {
            throw attrs.error("R must be [" + directions + ", " + gates * hidden + ", " + hidden + "], got "
                    + (rShape == null ? "an input of unknown shape" : Tensor.shapeString(rShape)));
        }
        attrs.requireAllRead();

        boolean fixed = constants.containsKey(in[1]) && constants.containsKey(in[2]) && (in[3] == null || constants.containsKey(in[3]));
        Weights[] fixedWeights = null;
        String where = attrs.where();
        OnnxStepwiseRecurrence.Cell[] stepwise = null;
        if (modes == null) {
            int perDirection = op.pytorchActivations.size();
            stepwise = new OnnxStepwiseRecurrence.Cell[directions];
            for (int d = 0; d < directions; d++) {
                stepwise[d] = new OnnxStepwiseRecurrence.Cell(op.name(), hidden,
                        java.util.Arrays.copyOfRange(activations, d * perDirection, (d + 1) * perDirection),
                        clip, inputForget, linearBeforeReset);
            }
        } else if (fixed) {
            fixedWeights = new Weights[directions];
            for (int d = 0; d < directions; d++) {
                fixedWeights[d] = reorder(where, op, hidden, wShape[2], constants.get(in[1]), constants.get(in[2]),
                        in[3] == null ? null : constants.get(in[3]), d, owner);
            }
        }
        return new OnnxRecurrentNode(file.path() + ": " + where, op, modes, stepwise, direction.equals("reverse"), hidden,
                wShape[2], (int) layout, (int) layout, in, out, fixedWeights);
    }

    /** X's name: the value {@link #readingBatchMajor} may replace. */
    String inputName() {
        return x;
    }

    /** Whether X is [T, B, I] (layout 0), the shape a {@code Transpose(perm = [1, 0, 2])} of [B, T, I] gives. */
    boolean readsTimeMajor() {
        return inputLayout == 0;
    }

    /**
     * This node reading X from {@code batchMajor} [B, T, I] in place of its Transpose to [T, B, I]:
     * the legacy and dynamo exporters put that Transpose before the LSTM of a batch_first model,
     * and the layer copies X to time-major memory anyway, so the Transpose's copy can go.
     */
    OnnxRecurrentNode readingBatchMajor(String batchMajor) {
        String[] in = {batchMajor, w, r, b, lengths, initialH, initialC, peepholes};
        return new OnnxRecurrentNode(where, op, modes, stepwise, reverseOnly, hidden, inputSize, layout, 1, in,
                new String[]{y, yH, yC}, fixedWeights);
    }

    /**
     * The fused layer's cell per direction when it computes this node exactly, else null: no
     * peepholes, clip or input_forget, GRU with linear_before_reset = 1, and PyTorch's activations
     * (RNN: Tanh or Relu).
     */
    private static CellMode[] fusedModes(Op op, OnnxActivation[] activations, int directions, float clip, boolean inputForget,
                                         boolean linearBeforeReset, boolean peepholes) {
        if (!Float.isNaN(clip) || inputForget || peepholes || (op == Op.GRU && !linearBeforeReset)) return null;
        int perDirection = op.pytorchActivations.size();
        CellMode[] modes = new CellMode[directions];
        for (int d = 0; d < directions; d++) {
            List<OnnxActivation> mine = List.of(activations).subList(d * perDirection, (d + 1) * perDirection);
            List<String> names = mine.stream().map(a -> a.kind().name().toLowerCase(Locale.ROOT)).toList();
            if (op == Op.RNN && names.equals(List.of("relu"))) {
                modes[d] = CellMode.RNN_RELU;
            } else if (names.equals(op.pytorchActivations)) {
                modes[d] = switch (op) {
                    case LSTM -> CellMode.LSTM;
                    case GRU -> CellMode.GRU;
                    case RNN -> CellMode.RNN_TANH;
                };
            } else {
                return null;
            }
        }
        return modes;
    }

    private static int[] shapeOf(OnnxNodeAttributes attrs, String name, Map<String, OnnxTensor> constants,
                                 Map<String, int[]> declaredShapes) throws DataFileException {
        OnnxTensor constant = constants.get(name);
        if (constant != null) {
            if (constant.type() != OnnxTensor.Type.FLOAT) throw attrs.error("'" + name + "' is " + constant.type().label() + ", expected float32");
            return constant.shape();
        }
        return declaredShapes.get(name);
    }

    /** Direction d of W, R and B in PyTorch's gate order, in {@code owner}. */
    private static Weights reorder(String where, Op op, int hidden, int inputSize, OnnxTensor w, OnnxTensor r, OnnxTensor b,
                                   int d, TensorArena owner) {
        int gh = op.gates() * hidden;
        Tensor wIh = owner.empty(gh, inputSize), wHh = owner.empty(gh, hidden);
        copyBlocks(op, hidden, inputSize, w.floats(), (long) d * gh * inputSize, wIh.data());
        copyBlocks(op, hidden, hidden, r.floats(), (long) d * gh * hidden, wHh.data());
        Tensor bIh = null, bHh = null;
        if (b != null) {
            if (b.rank() != 2 || b.dim(1) != 2 * gh) {
                throw new IllegalArgumentException(where + ": B must be [D, " + 2 * gh + "], got " + Tensor.shapeString(b.shape()));
            }
            bIh = owner.empty(gh);
            bHh = owner.empty(gh);
            copyBlocks(op, hidden, 1, b.floats(), (long) d * 2 * gh, bIh.data());
            copyBlocks(op, hidden, 1, b.floats(), (long) d * 2 * gh + gh, bHh.data());
        }
        return new Weights(wIh, wHh, bIh, bHh);
    }

    /** dst block k ([H, cols]) = src block onnxBlockOf[k], src starting at float srcOffset. */
    private static void copyBlocks(Op op, int hidden, int cols, float[] src, long srcOffset, MemorySegment dst) {
        long block = (long) hidden * cols;
        for (int k = 0; k < op.gates(); k++) {
            MemorySegment.copy(src, Math.toIntExact(srcOffset + op.onnxBlockOf[k] * block), dst, Tensor.FLOAT,
                    k * block * Float.BYTES, Math.toIntExact(block));
        }
    }

    @Override
    public void run(Map<String, OnnxTensor> values, Kernels kernels) {
        OnnxTensor input = floatInput(values, x, 3);
        int steps = inputLayout == 0 ? input.dim(0) : input.dim(1), batch = inputLayout == 0 ? input.dim(1) : input.dim(0);
        if (input.dim(2) != inputSize) {
            throw new IllegalArgumentException(where + ": input '" + x + "' has " + input.dim(2) + " features, W expects " + inputSize);
        }
        if (steps == 0 || batch == 0) {
            throw new IllegalArgumentException(where + ": input '" + x + "' is " + Tensor.shapeString(input.shape()) + "; Recur needs T and B >= 1");
        }
        int[] sampleLengths = sampleLengths(values, steps, batch);
        OnnxTensor h0 = initialH == null ? null : state(values, initialH, batch);
        OnnxTensor c0 = initialC == null ? null : state(values, initialC, batch);
        float[] yOut = y == null ? null : new float[steps * directions * batch * hidden];
        float[] hOut = yH == null ? null : new float[directions * batch * hidden];
        float[] cOut = yC == null ? null : new float[directions * batch * hidden];
        Outputs outputs = new Outputs(steps, batch, yOut, hOut, cOut);
        if (stepwise != null) {
            runStepwise(values, kernels, input, steps, batch, sampleLengths, h0, c0, outputs);
        } else {
            runFused(values, kernels, input, steps, batch, sampleLengths, h0, c0, outputs);
        }
        int[] stateShape = layout == 0 ? new int[]{directions, batch, hidden} : new int[]{batch, directions, hidden};
        if (yOut != null) {
            values.put(y, OnnxTensor.ofFloats(yOut, layout == 0 ? new int[]{steps, directions, batch, hidden}
                    : new int[]{batch, steps, directions, hidden}));
        }
        if (hOut != null) values.put(yH, OnnxTensor.ofFloats(hOut, stateShape));
        if (cOut != null) values.put(yC, OnnxTensor.ofFloats(cOut, stateShape));
    }

    /**
     * The node's output arrays (each null when the node does not name that output), filled one
     * direction at a time from that direction's y [T, B, H], h_n and c_n [B, H].
     */
    private final class Outputs {
        final int steps, batch;
        final float[] y, h, c;

        Outputs(int steps, int batch, float[] y, float[] h, float[] c) {
            this.steps = steps;
            this.batch = batch;
            this.y = y;
            this.h = h;
            this.c = c;
        }

        void put(int d, float[] yd, float[] hd, float[] cd) {
            put(d, yd == null ? null : (from, to, at, count) -> System.arraycopy(yd, (int) from, to, at, count),
                    (from, to, at, count) -> System.arraycopy(hd, (int) from, to, at, count),
                    cd == null ? null : (from, to, at, count) -> System.arraycopy(cd, (int) from, to, at, count));
        }

        void put(int d, Tensor yd, Tensor hd, Tensor cd) {
            put(d, yd == null ? null : rows(yd), rows(hd), cd == null ? null : rows(cd));
        }

        private static Rows rows(Tensor t) {
            return (from, to, at, count) -> MemorySegment.copy(t.data(), Tensor.FLOAT, from * Float.BYTES, to, at, count);
        }

        /** Direction d's y [T, B, H] and states [B, H], read row by row, into the node's outputs. */
        private void put(int d, Rows yd, Rows hd, Rows cd) {
            if (y != null) {
                for (int t = 0; t < steps; t++) {
                    for (int bi = 0; bi < batch; bi++) {
                        int at = layout == 0 ? ((t * directions + d) * batch + bi) * hidden : ((bi * steps + t) * directions + d) * hidden;
                        yd.copy((long) (t * batch + bi) * hidden, y, at, hidden);
                    }
                }
            }
            for (int bi = 0; bi < batch; bi++) {
                int at = stateOffset(d, bi, batch);
                if (h != null) hd.copy((long) bi * hidden, h, at, hidden);
                if (c != null) cd.copy((long) bi * hidden, c, at, hidden);
            }
        }
    }

    /** Copies count floats from element {@code from} of a direction's result into {@code to} at {@code at}. */
    private interface Rows {
        void copy(long from, float[] to, int at, int count);
    }

    /**
     * Every direction on the fused layer, with the weights reordered at load (or now, when they are
     * inputs). The directions are independent ({@link Kernels#runIndependent}: side by side on a
     * machine of two threads), so each has a graph of its own and writes only its own outputs.
     */
    private void runFused(Map<String, OnnxTensor> values, Kernels kernels, OnnxTensor input, int steps, int batch,
                          int[] sampleLengths, OnnxTensor h0, OnnxTensor c0, Outputs outputs) {
        kernels.runIndependent(directions, d -> {
            try (Graph g = Graph.inferenceUnchecked(kernels)) {   // its results are copied to the outputs
                TensorArena mem = g.arena();
                Weights wd = fixedWeights != null ? fixedWeights[d] : callWeights(values, d, mem);
                Var xv = g.constant(timeMajor(input, steps, batch, mem));
                if (sampleLengths != null) xv = Masking.zeroPadded(xv, sampleLengths);
                Var h0d = h0 == null ? null : g.constant(stateRows(h0, d, batch, mem));
                Var c0d = c0 == null ? null : g.constant(stateRows(c0, d, batch, mem));
                RecurrentLayerOp.Result result = RecurrentLayerOp.forward(modes[d], xv, g.constant(wd.wIh()), g.constant(wd.wHh()),
                        wd.bIh() == null ? null : g.constant(wd.bIh()), wd.bHh() == null ? null : g.constant(wd.bHh()), null,
                        h0d, c0d, sampleLengths, reverseOnly || d == 1);
                outputs.put(d, outputs.y == null ? null : result.y().value(), result.hN().value(),
                        result.cN() == null ? null : result.cN().value());
            }
        });
    }

    /** The input as an off-heap [T, B, I] tensor (from [B, T, I] when inputLayout is 1). */
    private Tensor timeMajor(OnnxTensor input, int steps, int batch, TensorArena mem) {
        Tensor out = mem.empty(steps, batch, inputSize);
        if (inputLayout == 0) {
            MemorySegment.copy(input.floats(), 0, out.data(), Tensor.FLOAT, 0, input.size());
            return out;
        }
        for (int bi = 0; bi < batch; bi++) {
            for (int t = 0; t < steps; t++) {
                MemorySegment.copy(input.floats(), (bi * steps + t) * inputSize, out.data(), Tensor.FLOAT,
                        (long) (t * batch + bi) * inputSize * Float.BYTES, inputSize);
            }
        }
        return out;
    }

    /** Direction d's [B, H] rows of a state input, as an off-heap tensor. */
    private Tensor stateRows(OnnxTensor state, int d, int batch, TensorArena mem) {
        Tensor out = mem.empty(batch, hidden);
        for (int bi = 0; bi < batch; bi++) {
            int from = stateOffset(d, bi, batch);
            MemorySegment.copy(state.floats(), from, out.data(), Tensor.FLOAT, (long) bi * hidden * Float.BYTES, hidden);
        }
        return out;
    }

    /** Where direction d's row for sample bi starts in a state ([D, B, H] with layout 0, [B, D, H] with 1). */
    private int stateOffset(int d, int bi, int batch) {
        return layout == 0 ? (d * batch + bi) * hidden : (bi * directions + d) * hidden;
    }

    /** [B, T, I] as [T, B, I]. */
    private float[] timeMajor(float[] xs, int steps, int batch) {
        float[] out = new float[xs.length];
        for (int bi = 0; bi < batch; bi++) {
            for (int t = 0; t < steps; t++) {
                System.arraycopy(xs, (bi * steps + t) * inputSize, out, (t * batch + bi) * inputSize, inputSize);
            }
        }
        return out;
    }

    /**
     * Every direction in ONNX's gate order, with W, R, B and P as the node has them: on
     * {@link OnnxKernelRecurrence}, or, on the naive kernels (the reference configuration), on
     * {@link OnnxStepwiseRecurrence}; the directions independent, as on the fused layer.
     */
    private void runStepwise(Map<String, OnnxTensor> values, Kernels kernels, OnnxTensor input, int steps, int batch,
                             int[] sampleLengths, OnnxTensor h0, OnnxTensor c0, Outputs outputs) {
        int gh = op.gates() * hidden;
        OnnxTensor wv = floatInput(values, w, 3), rv = floatInput(values, r, 3);
        OnnxTensor bv = b == null ? null : floatInput(values, b, 2), pv = peepholes == null ? null : floatInput(values, peepholes, 2);
        requireShape(w, wv, directions, gh, inputSize);
        requireShape(r, rv, directions, gh, hidden);
        if (bv != null) requireShape(b, bv, directions, 2 * gh);
        if (pv != null) requireShape(peepholes, pv, directions, 3 * hidden);
        float[] xs = inputLayout == 0 ? input.floats() : timeMajor(input.floats(), steps, batch);
        kernels.runIndependent(directions, d -> {
            float[] wd = java.util.Arrays.copyOfRange(wv.floats(), d * gh * inputSize, (d + 1) * gh * inputSize);
            float[] rd = java.util.Arrays.copyOfRange(rv.floats(), d * gh * hidden, (d + 1) * gh * hidden);
            float[] bd = bv == null ? null : java.util.Arrays.copyOfRange(bv.floats(), d * 2 * gh, (d + 1) * 2 * gh);
            float[] pd = pv == null ? null : java.util.Arrays.copyOfRange(pv.floats(), d * 3 * hidden, (d + 1) * 3 * hidden);
            float[] yd = outputs.y == null ? null : new float[steps * batch * hidden];
            float[] hd = new float[batch * hidden], cd = op == Op.LSTM ? new float[batch * hidden] : null;
            float[] h0d = h0 == null ? null : stateRows(h0, d, batch), c0d = c0 == null ? null : stateRows(c0, d, batch);
            if (kernels == KernelProvider.naive()) {
                OnnxStepwiseRecurrence.run(stepwise[d], kernels, steps, batch, inputSize, xs, wd, rd, bd, pd, sampleLengths,
                        reverseOnly || d == 1, h0d, c0d, yd, hd, cd);
            } else {
                OnnxKernelRecurrence.run(stepwise[d], kernels, steps, batch, inputSize, xs, wd, rd, bd, pd, sampleLengths,
                        reverseOnly || d == 1, h0d, c0d, yd, hd, cd);
            }
            outputs.put(d, yd, hd, cd);
        });
    }

    /** Direction d's [B, H] rows of a state input, as an array. */
    private float[] stateRows(OnnxTensor state, int d, int batch) {
        float[] out = new float[batch * hidden];
        for (int bi = 0; bi < batch; bi++) {
            int from = stateOffset(d, bi, batch);
            System.arraycopy(state.floats(), from, out, bi * hidden, hidden);
        }
        return out;
    }

    /** Direction d's weights, given with this call, reordered into {@code mem}. */
    private Weights callWeights(Map<String, OnnxTensor> values, int d, TensorArena mem) {
        int gh = op.gates() * hidden;
        OnnxTensor wv = floatInput(values, w, 3), rv = floatInput(values, r, 3), bv = b == null ? null : floatInput(values, b, 2);
        requireShape(w, wv, directions, gh, inputSize);
        requireShape(r, rv, directions, gh, hidden);
        if (bv != null) requireShape(b, bv, directions, 2 * gh);
        return reorder(where, op, hidden, inputSize, wv, rv, bv, d, mem);
    }

    private int[] sampleLengths(Map<String, OnnxTensor> values, int steps, int batch) {
        if (lengths == null) return null;
        OnnxTensor given = values.get(lengths);
        if (given == null) throw new IllegalArgumentException(where + ": input '" + lengths + "' has no value");
        if (given.type() == OnnxTensor.Type.FLOAT || given.rank() != 1 || given.dim(0) != batch) {
            throw new IllegalArgumentException(where + ": input '" + lengths + "' is " + given.describe()
                    + ", expected int32 [" + batch + "] (one length per sample)");
        }
        int[] out = new int[batch];
        for (int i = 0; i < batch; i++) {
            long v = given.integers()[i];
            if (v < 1 || v > steps) {
                throw new IllegalArgumentException(where + ": input '" + lengths + "'[" + i + "] = " + v + ", expected 1.." + steps);
            }
            out[i] = (int) v;
        }
        return out;
    }

    private OnnxTensor state(Map<String, OnnxTensor> values, String name, int batch) {
        OnnxTensor s = floatInput(values, name, 3);
        if (layout == 0) requireShape(name, s, directions, batch, hidden);
        else requireShape(name, s, batch, directions, hidden);
        return s;
    }



    private OnnxTensor floatInput(Map<String, OnnxTensor> values, String name, int rank) {
        OnnxTensor v = values.get(name);
        if (v == null) throw new IllegalArgumentException(where + ": input '" + name + "' has no value");
        if (v.type() != OnnxTensor.Type.FLOAT || v.rank() != rank) {
            throw new IllegalArgumentException(where + ": input '" + name + "' is " + v.describe() + ", expected a "
                    + rank + "-D float32 tensor");
        }
        return v;
    }

    private void requireShape(String name, OnnxTensor v, int... expected) {
        if (!java.util.Arrays.equals(v.shape(), expected)) {
            throw new IllegalArgumentException(where + ": input '" + name + "' is " + v.describe() + ", expected "
                    + Tensor.shapeString(expected));
        }
    }
}
