package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Dropout;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Masking;
import dev.recur.engine.autodiff.RecurrentLayerOp;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static dev.recur.engine.nn.RecurrentParameter.BIAS_HH;
import static dev.recur.engine.nn.RecurrentParameter.BIAS_IH;
import static dev.recur.engine.nn.RecurrentParameter.WEIGHT_HH;
import static dev.recur.engine.nn.RecurrentParameter.WEIGHT_HR;
import static dev.recur.engine.nn.RecurrentParameter.WEIGHT_IH;

/**
 * A stack of recurrent layers with PyTorch's semantics and parameter names: nn.RNN (tanh or
 * relu), nn.GRU and nn.LSTM with num_layers, bidirectional, bias, batch_first and proj_size;
 * optional h0/c0; variable lengths per sample as with pack_padded_sequence(enforce_sorted=False).
 *
 * <p>Parameters live in the model's own arena until {@link #close()}. {@link #forward} only reads
 * them, so one model may serve many threads at once, each with its own {@link Graph}.
 */
public final class Recurrent implements AutoCloseable {
    /** A parameter's PyTorch name and shape. */
    public record ParameterSpec(String name, int[] shape) {
    }

    /** Results as PyTorch returns them: output [T,B,D·P] (or batch-first), h_n [L·D,B,P], c_n [L·D,B,H]. */
    public record Output(Var output, Var hN, Var cN) {
    }

    private final RecurrentConfig config;
    private final TensorArena arena;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    private Recurrent(RecurrentConfig config) {
        this.config = config;
        this.arena = TensorArena.open(config.mode() + " parameters");
        for (ParameterSpec spec : parameterSpecs(config)) {
            parameters.put(spec.name(), new Parameter(spec.name(), arena.zeros(spec.shape()), arena.zeros(spec.shape())));
        }
    }

    /** A model with PyTorch's default initialisation: every parameter uniform in ±1/sqrt(hidden_size). */
    public static Recurrent create(RecurrentConfig config, long seed) {
        Recurrent model = new Recurrent(config);
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(config.hiddenSize());
        for (Parameter p : model.parameters.values()) {
            Tensor v = p.value();
            for (long i = 0; i < v.size(); i++) v.set(i, (float) rng.nextDouble(-bound, bound));
        }
        return model;
    }

    /** A model whose parameters are all zero, to be filled by a loader. */
    public static Recurrent zeros(RecurrentConfig config) {
        return new Recurrent(config);
    }

    /** The state_dict keys and shapes PyTorch gives this configuration, in PyTorch's order. */
    public static List<ParameterSpec> parameterSpecs(RecurrentConfig c) {
        List<ParameterSpec> specs = new ArrayList<>();
        int gh = c.mode().gates() * c.hiddenSize();
        for (int layer = 0; layer < c.numLayers(); layer++) {
            int in = layer == 0 ? c.inputSize() : c.directions() * c.outputSize();
            for (int d = 0; d < c.directions(); d++) {
                specs.add(new ParameterSpec(WEIGHT_IH.name(layer, d), new int[]{gh, in}));
                specs.add(new ParameterSpec(WEIGHT_HH.name(layer, d), new int[]{gh, c.outputSize()}));
                if (c.bias()) {
                    specs.add(new ParameterSpec(BIAS_IH.name(layer, d), new int[]{gh}));
                    specs.add(new ParameterSpec(BIAS_HH.name(layer, d), new int[]{gh}));
                }
                if (c.projSize() > 0) {
                    specs.add(new ParameterSpec(WEIGHT_HR.name(layer, d), new int[]{c.projSize(), c.hiddenSize()}));
                }
            }
        }
        return specs;
    }

    public RecurrentConfig config() {
        return config;
    }

    public Parameter parameter(String name) {
        Parameter p = parameters.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter '" + name + "' in " + config.mode() + " model");
        return p;
    }

    /** Parameters in PyTorch's state_dict order. */
    public Collection<Parameter> parameters() {
        return Collections.unmodifiableCollection(parameters.values());
    }

    public void zeroGrad() {
        parameters.values().forEach(Parameter::zeroGrad);
    }

    /**
     * Runs the stack. input [T,B,I] (or [B,T,I] when batch_first); lengths [B] in 1..T or null;
     * h0 [L·D,B,P] and c0 [L·D,B,H] or null (zeros).
     */
    public Output forward(Graph g, Var input, int[] lengths, Var h0, Var c0, RecurrentExecution execution) {
        return forward(g, input, lengths, h0, c0, execution, 0f, null);
    }

    /**
     * As {@link #forward(Graph, Var, int[], Var, Var, RecurrentExecution)}, with PyTorch's {@code dropout}:
     * applied to the output of every layer but the last, and only on a training graph.
     */
    public Output forward(Graph g, Var input, int[] lengths, Var h0, Var c0, RecurrentExecution execution,
                          float dropout, RandomGenerator rng) {
        RecurrentConfig c = config;
        checkArguments(c, input.shape(), lengths, h0 == null ? null : h0.shape(), c0 == null ? null : c0.shape());
        Var x = c.batchFirst() ? Shapes.swapLeadingAxes(input) : input;
        int batch = x.dim(1);
        int layersDirs = c.numLayers() * c.directions();
        if (lengths != null) x = Masking.zeroPadded(x, lengths);
        Var[] hN = new Var[layersDirs];
        Var[] cN = c.mode() == CellMode.LSTM ? new Var[layersDirs] : null;
        boolean sideBySide = c.directions() == 2 && !g.recording() && execution instanceof RecurrentExecution.Fused;
        for (int layer = 0; layer < c.numLayers(); layer++) {
            Var[] outs = new Var[c.directions()];
            Var[] layerH0 = new Var[c.directions()], layerC0 = new Var[c.directions()];
            for (int d = 0; d < c.directions(); d++) {
                int idx = layer * c.directions() + d;
                layerH0[d] = h0 == null ? null : stateSlice(h0, idx, batch, c.outputSize());
                layerC0[d] = c0 == null ? null : stateSlice(c0, idx, batch, c.hiddenSize());
            }
            RecurrentLayerOp.Result[] results;
            if (sideBySide) {
                results = directionsSideBySide(g, layer, x, layerH0, layerC0, lengths, execution);
            } else {
                results = new RecurrentLayerOp.Result[c.directions()];
                for (int d = 0; d < c.directions(); d++) results[d] = layer(g, layer, d, x, layerH0[d], layerC0[d], lengths, execution);
            }
            for (int d = 0; d < c.directions(); d++) {
                int idx = layer * c.directions() + d;
                RecurrentLayerOp.Result r = results[d];
                outs[d] = r.y();
                hN[idx] = Shapes.reshape(r.hN(), 1, batch, c.outputSize());
                if (cN != null) cN[idx] = Shapes.reshape(r.cN(), 1, batch, c.hiddenSize());
            }
            x = outs.length == 1 ? outs[0] : Shapes.concat(2, outs);
            if (dropout > 0f && layer < c.numLayers() - 1) {
                x = Dropout.apply(x, dropout, g.recording(), rng);
            }
        }
        Var output = c.batchFirst() ? Shapes.swapLeadingAxes(x) : x;
        return new Output(output, concatStates(hN), cN == null ? null : concatStates(cN));
    }

    /** One direction of one layer, in {@code g}. */
    private RecurrentLayerOp.Result layer(Graph g, int layer, int d, Var x, Var h0, Var c0, int[] lengths,
                                          RecurrentExecution execution) {
        RecurrentConfig c = config;
        Var wIh = parameter(WEIGHT_IH.name(layer, d)).in(g), wHh = parameter(WEIGHT_HH.name(layer, d)).in(g);
        Var bIh = c.bias() ? parameter(BIAS_IH.name(layer, d)).in(g) : null;
        Var bHh = c.bias() ? parameter(BIAS_HH.name(layer, d)).in(g) : null;
        Var wHr = c.projSize() > 0 ? parameter(WEIGHT_HR.name(layer, d)).in(g) : null;
        return execution.layer(c.mode(), x, wIh, wHh, bIh, bHh, wHr, h0, c0, lengths, d == 1);
    }

    /**
     * Both directions of an inference layer at once ({@link dev.recur.engine.backend.Kernels#runIndependent}:
     * side by side on a machine of two threads, one after another otherwise), each in a graph of
     * its own, its results copied into {@code g}'s memory, allocated here beforehand.
     */
    private RecurrentLayerOp.Result[] directionsSideBySide(Graph g, int layer, Var x, Var[] h0, Var[] c0, int[] lengths,
                                                           RecurrentExecution execution) {
        RecurrentConfig c = config;
        int steps = x.dim(0), batch = x.dim(1);
        boolean lstm = c.mode() == CellMode.LSTM;
        Tensor[] y = new Tensor[2], h = new Tensor[2], cell = new Tensor[2];
        for (int d = 0; d < 2; d++) {
            y[d] = g.arena().empty(steps, batch, c.outputSize());
            h[d] = g.arena().empty(batch, c.outputSize());
            cell[d] = lstm ? g.arena().empty(batch, c.hiddenSize()) : null;
        }
        g.kernels().runIndependent(2, d -> {
            try (Graph local = Graph.inferenceUnchecked(g.kernels())) {   // its results are copied into g
                RecurrentLayerOp.Result r = layer(local, layer, d, local.constant(x.value()),
                        h0[d] == null ? null : local.constant(h0[d].value()), c0[d] == null ? null : local.constant(c0[d].value()),
                        lengths, execution);
                y[d].copyFrom(r.y().value());
                h[d].copyFrom(r.hN().value());
                if (lstm) cell[d].copyFrom(r.cN().value());
            }
        });
        RecurrentLayerOp.Result[] out = new RecurrentLayerOp.Result[2];
        for (int d = 0; d < 2; d++) {
            out[d] = new RecurrentLayerOp.Result(g.constant(y[d]), g.constant(h[d]), lstm ? g.constant(cell[d]) : null);
        }
        return out;
    }

    private static Var concatStates(Var[] parts) {
        return parts.length == 1 ? parts[0] : Shapes.concat(0, parts);
    }

    private static Var stateSlice(Var state, int idx, int batch, int width) {
        return Shapes.reshape(Shapes.slice(state, 0, idx, idx + 1), batch, width);
    }

    /**
     * What {@link #forward} requires of its arguments, each failure one line: input [T,B,I] (or
     * [B,T,I] when batch_first) with I = input_size; h0 [L·D,B,P] and c0 [L·D,B,H] (LSTM only) or
     * null; lengths [B] in 1..T or null.
     */
    private static void checkArguments(RecurrentConfig c, int[] input, int[] lengths, int[] h0, int[] c0) {
        if (input.length != 3) {
            throw new IllegalArgumentException("input must be 3-D " + (c.batchFirst() ? "[B,T,I]" : "[T,B,I]")
                    + ", got " + Tensor.shapeString(input));
        }
        int steps = c.batchFirst() ? input[1] : input[0], batch = c.batchFirst() ? input[0] : input[1];
        if (input[2] != c.inputSize()) {
            throw new IllegalArgumentException("input has " + input[2] + " features, expected input_size " + c.inputSize());
        }
        int layersDirs = c.numLayers() * c.directions();
        checkState("h0", h0, layersDirs, batch, c.outputSize());
        if (c0 != null && c.mode() != CellMode.LSTM) {
            throw new IllegalArgumentException("c0 given, but only lstm has a cell state (mode " + c.mode() + ")");
        }
        checkState("c0", c0, layersDirs, batch, c.hiddenSize());
        if (lengths != null) checkLengths(lengths, batch, steps);
    }

    private static void checkState(String name, int[] s, int layersDirs, int batch, int width) {
        if (s == null) return;
        if (s.length != 3 || s[0] != layersDirs || s[1] != batch || s[2] != width) {
            throw new IllegalArgumentException(name + " has shape " + Tensor.shapeString(s) + ", expected ["
                    + layersDirs + ", " + batch + ", " + width + "]");
        }
    }

    /** PyTorch's rule: every length in 1..T, one per sample. */
    public static void checkLengths(int[] lengths, int batch, int steps) {
        if (lengths.length != batch) {
            throw new IllegalArgumentException("lengths has " + lengths.length + " entries, expected batch size " + batch);
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException("lengths[" + b + "] = " + lengths[b] + ", expected 1.." + steps);
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
