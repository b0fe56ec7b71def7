package dev.recur.engine.cli;

import dev.recur.engine.api.InferenceModel;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.io.RecurrentStateDict;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * PyTorch weights in, outputs (and gradients) out: the way a PyTorch user embeds Recur as a
 * backend and a researcher checks kernels. Every input is validated before anything is written;
 * the output file is written atomically at the end.
 */
@Command(name = "infer", mixinStandardHelpOptions = true, description = {
        "Run an nn.LSTM/GRU/RNN state_dict (safetensors) on inputs; optionally backward.",
        "Or run an ONNX model (--model FILE.onnx): --input holds one tensor per graph input under its ONNX name, "
                + "in the dtype the graph declares (F32, I32, I64); --output receives every graph output under its ONNX name.",
        "Or a checkpoint of recur train (--model checkpoint.safetensors): --input holds 'x' [B,T,I] (int64 [B,T] "
                + "character ids for --task chars) and optionally 'lengths' [B]; --output receives 'logits' and "
                + "'probabilities', or 'prediction' (docs/embedding.md)."})
public final class InferCommand implements Callable<Integer> {
    @Option(names = "--weights", description = "state_dict() of nn.LSTM/GRU/RNN as safetensors (float32)")
    Path weights;

    @Option(names = "--model", paramLabel = "FILE", description = "an ONNX model (.onnx, see docs/onnx.md) or a checkpoint "
            + "of recur train (.safetensors) instead of --weights, for inference")
    Path model;

    @Option(names = "--input", required = true, description = "safetensors with 'input' [T,B,I] (or [B,T,I]), "
            + "optional 'lengths' int64 [B], 'h0' [L*D,B,H_out], 'c0' [L*D,B,H]; with --model, the graph's inputs by name")
    Path input;

    @Option(names = "--output", required = true, description = "safetensors to write: output, h_n, c_n, grad.*")
    Path output;

    @Option(names = "--mode", description = "lstm, gru, rnn_tanh or rnn_relu when the weights' metadata has no 'mode'")
    String mode;

    @Option(names = "--batch-first", description = "input/output are [B,T,...] (when the metadata has no 'batch_first')")
    boolean batchFirst;

    @Option(names = "--grad-output", description = "safetensors with the gradients of 'output' and optionally 'h_n', 'c_n'")
    Path gradOutput;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    KernelsOption kernels = new KernelsOption();

    @Mixin
    WeightPrecisionOption weightPrecision = new WeightPrecisionOption();

    @Override
    public Integer call() throws IOException {
        if ((weights == null) == (model == null)) {
            throw new UserError("give either --weights (a PyTorch state_dict) or --model (an ONNX model or a checkpoint), not "
                    + (weights == null ? "neither" : "both"));
        }
        if (model != null) return runModel();
        weightPrecision.requireFp32Because(gradOutput != null, "--grad-output");
        weightPrecision.requireFp32Because(device.isCuda(), "--device cuda");
        try (GpuContext gpu = device.openGpu()) {   // null for cpu; fails with one line where CUDA is not usable
            return run(DeviceOption.execution(gpu, kernels.execution(weightPrecision.precision())));
        }
    }

    private Integer run(RecurrentExecution execution) throws IOException {
        CellMode modeHint = null;
        if (mode != null) {
            try {
                modeHint = CellMode.parse(mode);
            } catch (IllegalArgumentException e) {
                throw new UserError("--mode '" + mode + "' is unknown: expected lstm, gru, rnn_tanh or rnn_relu");
            }
        }
        SafeTensorsFile wf = SafeTensorsFile.read(weights);
        SafeTensorsFile in = SafeTensorsFile.read(input);
        SafeTensorsFile dy = gradOutput == null ? null : SafeTensorsFile.read(gradOutput);
        try (Recurrent model = RecurrentStateDict.load(wf, "", modeHint, batchFirst);
             Graph g = dy == null ? Graph.inference(kernels.kernels()) : Graph.training(kernels.kernels())) {
            RecurrentConfig c = model.config();
            boolean lstm = c.mode() == CellMode.LSTM;
            int layersDirs = c.numLayers() * c.directions();

            onlyKeys(in, lstm ? Set.of("input", "lengths", "h0", "c0") : Set.of("input", "lengths", "h0"));
            int[] x = floatShape(in, "input");
            if (x.length != 3 || x[2] != c.inputSize()) {
                throw in.error("input", "has shape " + Arrays.toString(x) + ", expected "
                        + (c.batchFirst() ? "[B,T," : "[T,B,") + c.inputSize() + "] (input_size " + c.inputSize() + ")");
            }
            int steps = c.batchFirst() ? x[1] : x[0], batch = c.batchFirst() ? x[0] : x[1];
            int[] lengths = in.contains("lengths") ? readLengths(in, batch, steps) : null;
            if (in.contains("h0")) requireShape(in, "h0", layersDirs, batch, c.outputSize());
            if (in.contains("c0")) requireShape(in, "c0", layersDirs, batch, c.hiddenSize());
            int[] outShape = c.batchFirst() ? new int[]{batch, steps, c.directions() * c.outputSize()}
                    : new int[]{steps, batch, c.directions() * c.outputSize()};
            if (dy != null) {
                onlyKeys(dy, lstm ? Set.of("output", "h_n", "c_n") : Set.of("output", "h_n"));
                if (!dy.contains("output")) throw dy.error("output", "is missing: the gradient of the output is required");
                requireShape(dy, "output", outShape);
                if (dy.contains("h_n")) requireShape(dy, "h_n", layersDirs, batch, c.outputSize());
                if (dy.contains("c_n")) requireShape(dy, "c_n", layersDirs, batch, c.hiddenSize());
            }

            SafeTensorsWriter writer = new SafeTensorsWriter()
                    .metadata("mode", c.mode().id())
                    .metadata("batch_first", Boolean.toString(c.batchFirst()));
            run(g, model, execution, in, dy, lengths, writer);
            writer.write(output);
        }
        return 0;
    }

    /** An ONNX model or a checkpoint of recur train on the CPU ({@link InferenceModel}): inputs and outputs by name. */
    private Integer runModel() throws IOException {
        String notApplicable = mode != null ? "--mode" : batchFirst ? "--batch-first" : gradOutput != null ? "--grad-output"
                : device.isCuda() ? "--device cuda" : null;
        if (notApplicable != null) {
            throw new UserError(notApplicable + " does not apply to --model: the model declares its own shapes, and "
                    + "Recur runs it for inference on the CPU");
        }
        if (weightPrecision.precision() != WeightPrecision.FP32) {
            throw new UserError("--weight-precision " + weightPrecision.precision() + " is not supported with --model yet");
        }
        DataFileException.requireFile(model, "model");
        if (!model.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") && !InferenceModel.isCheckpoint(model)) {
            throw new UserError(model + ": expected an ONNX model (.onnx) or a checkpoint of recur train; a PyTorch "
                    + "state_dict goes in --weights");
        }
        try (InferenceModel loaded = InferenceModel.load(model, kernels.kernels())) {
            Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(input);
            OnnxTensorFiles.write(loaded.run(inputs), output);
        }
        return 0;
    }

    /** The stack through the autodiff graph (forward; backward with --grad-output), its layers run by {@code execution}. */
    private static void run(Graph g, Recurrent model, RecurrentExecution execution, SafeTensorsFile in,
                            SafeTensorsFile dy, int[] lengths, SafeTensorsWriter writer) throws IOException {
        Var xs = g.variable(in.readFloat("input", g.arena()));
        Var h0 = in.contains("h0") ? g.variable(in.readFloat("h0", g.arena())) : null;
        Var c0 = in.contains("c0") ? g.variable(in.readFloat("c0", g.arena())) : null;
        Recurrent.Output out = model.forward(g, xs, lengths, h0, c0, execution);

        writer.put("output", out.output().value()).put("h_n", out.hN().value());
        if (out.cN() != null) writer.put("c_n", out.cN().value());
        if (dy != null) {
            List<Var> outs = new ArrayList<>(List.of(out.output()));
            List<Tensor> seeds = new ArrayList<>(List.of(dy.readFloat("output", g.arena())));
            if (dy.contains("h_n")) {
                outs.add(out.hN());
                seeds.add(dy.readFloat("h_n", g.arena()));
            }
            if (dy.contains("c_n")) {
                outs.add(out.cN());
                seeds.add(dy.readFloat("c_n", g.arena()));
            }
            model.zeroGrad();
            g.backward(outs.toArray(Var[]::new), seeds.toArray(Tensor[]::new));
            writer.put("grad.input", xs.grad());
            if (h0 != null) writer.put("grad.h0", h0.grad());
            if (c0 != null) writer.put("grad.c0", c0.grad());
            for (Parameter p : model.parameters()) writer.put("grad." + p.name(), p.grad());
        }
    }

    private static void onlyKeys(SafeTensorsFile f, Set<String> allowed) throws IOException {
        for (String name : f.names()) {
            if (!allowed.contains(name)) {
                throw f.error(name, "is unexpected: expected only " + allowed.stream().sorted().toList());
            }
        }
    }

    private static int[] floatShape(SafeTensorsFile f, String key) throws IOException {
        f.requireFloat(key);
        return f.shape(key);
    }

    private static void requireShape(SafeTensorsFile f, String key, int... shape) throws IOException {
        f.requireFloat(key);
        f.requireShape(key, shape);
    }

    private static int[] readLengths(SafeTensorsFile f, int batch, int steps) throws IOException {
        f.requireInteger("lengths");
        f.requireShape("lengths", batch);
        long[] values = f.readLongs("lengths");
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            if (values[b] < 1 || values[b] > steps) {
                throw f.error("lengths", "has lengths[" + b + "] = " + values[b] + ", expected 1.." + steps);
            }
            lengths[b] = (int) values[b];
        }
        return lengths;
    }
}
