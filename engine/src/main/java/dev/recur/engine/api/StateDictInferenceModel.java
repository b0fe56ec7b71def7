package dev.recur.engine.api;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.RecurrentStateDict;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.onnx.OnnxModel;
import dev.recur.engine.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A PyTorch {@code nn.LSTM/GRU/RNN} state_dict behind {@link InferenceModel}, with {@code recur
 * infer}'s names: inputs {@code input} float32 [T, B, I] ([B, T, I] when batch_first), optional
 * {@code lengths} int32 or int64 [B] (each in 1..T, any order), {@code h0} [L·D, B, H_out] and
 * {@code c0} [L·D, B, H]; outputs {@code output}, {@code h_n} and (LSTM) {@code c_n}, PyTorch's.
 */
final class StateDictInferenceModel implements InferenceModel {
    private final Path file;
    private final Recurrent model;
    private final Kernels kernels;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<OnnxModel.Port> inputs, outputs;

    private StateDictInferenceModel(Path file, Recurrent model, Kernels kernels) {
        this.file = file;
        this.kernels = kernels;
        this.model = model;
        this.inputs = List.copyOf(ports(model.config(), true));
        this.outputs = List.copyOf(ports(model.config(), false));
    }

    static StateDictInferenceModel load(Path file, Kernels kernels) throws IOException {
        return new StateDictInferenceModel(file, RecurrentStateDict.load(SafeTensorsFile.read(file), "", null, false), kernels);
    }

    @Override
    public List<OnnxModel.Port> inputs() {
        return inputs;
    }

    @Override
    public List<OnnxModel.Port> outputs() {
        return outputs;
    }

    /** recur infer's names: inputs input, lengths, h0 (c0); outputs output, h_n (c_n). */
    private static List<OnnxModel.Port> ports(RecurrentConfig c, boolean in) {
        String states = "" + layersDirections(c);
        List<OnnxModel.Port> ports = new ArrayList<>();
        if (in) {
            ports.add(new OnnxModel.Port("input", OnnxTensor.Type.FLOAT,
                    c.batchFirst() ? List.of("B", "T", "" + c.inputSize()) : List.of("T", "B", "" + c.inputSize())));
            ports.add(new OnnxModel.Port("lengths", OnnxTensor.Type.INT64, List.of("B")));
        } else {
            String width = "" + c.directions() * c.outputSize();
            ports.add(new OnnxModel.Port("output", OnnxTensor.Type.FLOAT, c.batchFirst() ? List.of("B", "T", width) : List.of("T", "B", width)));
        }
        ports.add(new OnnxModel.Port(in ? "h0" : "h_n", OnnxTensor.Type.FLOAT, List.of(states, "B", "" + c.outputSize())));
        if (c.mode() == CellMode.LSTM) {
            ports.add(new OnnxModel.Port(in ? "c0" : "c_n", OnnxTensor.Type.FLOAT, List.of(states, "B", "" + c.hiddenSize())));
        }
        return ports;
    }

    private static int layersDirections(RecurrentConfig c) {
        return c.numLayers() * c.directions();
    }

    @Override
    public Map<String, OnnxTensor> run(Map<String, OnnxTensor> inputs) {
        if (closed.get()) throw new IllegalStateException("model " + file + " is closed");
        for (String name : inputs.keySet()) {
            if (this.inputs.stream().noneMatch(p -> p.name().equals(name))) {
                throw new IllegalArgumentException(file + ": '" + name + "' is not an input of the model; its inputs: input, "
                        + "lengths, h0" + (model.config().mode() == CellMode.LSTM ? ", c0" : ""));
            }
        }
        OnnxTensor input = inputs.get("input");
        if (input == null) throw new IllegalArgumentException(file + ": input 'input' (float32 [T, B, I]) is missing");
        OnnxTensor lengths = inputs.get("lengths"), h0 = inputs.get("h0"), c0 = inputs.get("c0");
        for (OnnxTensor t : new OnnxTensor[]{input, h0, c0}) {
            if (t != null && t.type() != OnnxTensor.Type.FLOAT) {
                throw new IllegalArgumentException(file + ": an input is " + t.describe() + ", expected float32");
            }
        }
        int[] sampleLengths = null;
        if (lengths != null) {
            if (lengths.type() == OnnxTensor.Type.FLOAT || lengths.rank() != 1) {
                throw new IllegalArgumentException(file + ": input 'lengths' is " + lengths.describe() + ", expected int64 [B]");
            }
            sampleLengths = new int[lengths.size()];
            for (int i = 0; i < sampleLengths.length; i++) sampleLengths[i] = Math.toIntExact(lengths.integers()[i]);
        }
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        try (Graph g = Graph.inferenceUnchecked(kernels)) {   // the results are copied to the heap
            Var x = g.constant(g.arena().of(input.floats(), input.shape()));
            Var h = h0 == null ? null : g.constant(g.arena().of(h0.floats(), h0.shape()));
            Var c = c0 == null ? null : g.constant(g.arena().of(c0.floats(), c0.shape()));
            Recurrent.Output result;
            try {
                result = model.forward(g, x, sampleLengths, h, c, RecurrentExecution.FUSED);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
            out.put("output", heap(result.output().value()));
            out.put("h_n", heap(result.hN().value()));
            if (result.cN() != null) out.put("c_n", heap(result.cN().value()));
        }
        return out;
    }

    private static OnnxTensor heap(Tensor t) {
        return OnnxTensor.ofFloats(t.toArray(), t.shape());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) model.close();
    }
}
