package dev.recur.engine.onnx;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxModelFile;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.onnx.OnnxProto;
import dev.recur.engine.nn.WarmUp;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An ONNX model loaded for inference: its graph turned into an execution plan once, at load
 * (initializers and Constant nodes become constants, each node a bound step, recurrent weights
 * reordered into the model's own off-heap tensors), then {@link #run} from any number of threads
 * at once: a call keeps its values to itself and shares only the model's read-only weights.
 *
 * <pre>{@code
 * try (OnnxModel model = OnnxModel.load(Path.of("lstm.onnx"))) {
 *     Map<String, OnnxTensor> out = model.run(Map.of("X", OnnxTensor.ofFloats(x, 5, 3, 4)));
 *     float[] y = out.get("Y").floats();
 * }
 * }</pre>
 *
 * Operators run so far: LSTM, GRU, RNN (see {@link OnnxRecurrentNode} for their attributes) and
 * those of {@link OnnxOperators#SUPPORTED}. Anything else is refused at load with one line naming
 * the node, its operator and the model's opset.
 */
public final class OnnxModel implements AutoCloseable {

    /**
     * A graph input or output: its name, element type and declared dimensions (a number, a symbol
     * such as "batch", or "?"), null when the graph declares no shape.
     */
    public record Port(String name, OnnxTensor.Type type, List<String> dims) {
        /** "float32 [T, 3, 4]", or "float32 (shape not declared)" when dims is null. */
        public String describe() {
            return type.label() + (dims == null ? " (shape not declared)" : " [" + String.join(", ", dims) + "]");
        }
    }

    private final Path file;
    private final List<Port> inputs, outputs;
    private final Map<String, OnnxTensor> constants;
    private final List<OnnxStep> steps;
    private final TensorArena weights;
    private final Kernels kernels;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OnnxModel(Path file, List<Port> inputs, List<Port> outputs, Map<String, OnnxTensor> constants,
                      List<OnnxStep> steps, TensorArena weights, Kernels kernels) {
        this.file = file;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.constants = Collections.unmodifiableMap(constants);
        this.steps = List.copyOf(steps);
        this.weights = weights;
        this.kernels = kernels;
    }

    /**
     * Loads {@code file} and builds its plan.
     *
     * @throws DataFileException (one line) if the file is not a readable ONNX model, or the model
     *                           uses an operator, attribute or type Recur does not run
     */
    public static OnnxModel load(Path file) throws IOException {
        return load(file, KernelProvider.defaultKernels());
    }

    /**
     * As {@link #load(Path)}, running on {@code kernels}: the vector kernels, or the naive twins,
     * the reference configuration (recurrent nodes the fused layer does not run then follow the
     * spec's equations step by step, {@code OnnxStepwiseRecurrence}).
     */
    public static OnnxModel load(Path file, Kernels kernels) throws IOException {
        OnnxModelFile model = OnnxModelFile.read(file);
        OnnxProto.GraphProto graph = model.graph();
        Map<String, OnnxTensor> constants = new HashMap<>();
        for (OnnxProto.TensorProto init : graph.getInitializerList()) {
            constants.put(init.getName(), model.tensor(init));
        }
        List<Port> inputs = new ArrayList<>();
        Map<String, int[]> declaredShapes = new HashMap<>();
        Set<String> known = new HashSet<>(constants.keySet());
        for (OnnxProto.ValueInfoProto info : graph.getInputList()) {
            if (constants.containsKey(info.getName())) continue;   // an initializer listed as an input: a default
            Port port = port(model, info, "input");
            inputs.add(port);
            known.add(port.name());
            int[] shape = staticShape(port.dims());
            if (shape != null) declaredShapes.put(port.name(), shape);
        }
        TensorArena weights = TensorArena.open("ONNX model " + file.getFileName());
        try {
            List<OnnxStep> steps = new ArrayList<>();
            Map<String, Integer> uses = useCounts(graph);
            Map<String, BatchTimeSwap> swaps = new HashMap<>();   // by output name
            for (OnnxProto.NodeProto node : graph.getNodeList()) {
                String where = OnnxNodeAttributes.where(model, node);
                if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
                    throw model.error(where + ": operator domain '" + node.getDomain() + "' is not supported");
                }
                for (String in : node.getInputList()) {
                    if (!in.isEmpty() && !known.contains(in)) {
                        throw model.error(where + ": input '" + in + "' is not produced by any earlier node, initializer or graph input");
                    }
                }
                String op = node.getOpType();
                if (OnnxRecurrentNode.handles(op)) {
                    OnnxRecurrentNode recurrent = OnnxRecurrentNode.bind(model, node, constants, declaredShapes, weights);
                    BatchTimeSwap swap = swaps.get(recurrent.inputName());
                    if (swap != null && recurrent.readsTimeMajor() && uses.get(recurrent.inputName()) == 1) {
                        steps.set(swap.step(), null);
                        recurrent = recurrent.readingBatchMajor(swap.source());
                    }
                    steps.add(recurrent);
                } else if (OnnxOperators.SUPPORTED.contains(op)) {
                    OnnxStep step = OnnxOperators.bind(model, node, constants);   // null: folded into constants
                    if (step != null) {
                        steps.add(step);
                        if (swapsBatchAndTime(node)) swaps.put(node.getOutput(0), new BatchTimeSwap(node.getInput(0), steps.size() - 1));
                    }
                } else {
                    throw model.error(where + ": operator " + op + " is not supported yet");
                }
                for (String out : node.getOutputList()) {
                    if (!out.isEmpty()) known.add(out);
                }
            }
            List<Port> outputs = new ArrayList<>();
            for (OnnxProto.ValueInfoProto info : graph.getOutputList()) {
                if (!known.contains(info.getName())) {
                    throw model.error("graph output '" + info.getName() + "' is produced by no node");
                }
                outputs.add(port(model, info, "output"));
            }
            steps.removeIf(Objects::isNull);
            return new OnnxModel(file, inputs, outputs, constants, steps, weights, kernels);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** A {@code Transpose(perm = [1, 0, 2])} of {@code source}, bound as {@code steps[step]}. */
    private record BatchTimeSwap(String source, int step) {
    }

    private static boolean swapsBatchAndTime(OnnxProto.NodeProto node) {
        if (!node.getOpType().equals("Transpose") || node.getInputCount() != 1 || node.getOutputCount() != 1) return false;
        for (OnnxProto.AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals("perm")) return a.getIntsList().equals(List.of(1L, 0L, 2L));
        }
        return false;
    }

    /** How many node inputs and graph outputs name each value. */
    private static Map<String, Integer> useCounts(OnnxProto.GraphProto graph) {
        Map<String, Integer> uses = new HashMap<>();
        for (OnnxProto.NodeProto node : graph.getNodeList()) {
            for (String in : node.getInputList()) uses.merge(in, 1, Integer::sum);
        }
        for (OnnxProto.ValueInfoProto out : graph.getOutputList()) uses.merge(out.getName(), 1, Integer::sum);
        return uses;
    }

    private static Port port(OnnxModelFile model, OnnxProto.ValueInfoProto info, String what) throws DataFileException {
        OnnxProto.TypeProto.Tensor tensorType = info.getType().getTensorType();
        OnnxTensor.Type type = OnnxTensor.Type.ofCode(tensorType.getElemType());
        if (!info.getType().hasTensorType() || type == null) {
            throw model.error("graph " + what + " '" + info.getName() + "' is "
                    + (info.getType().hasTensorType() ? OnnxTensor.Type.onnxName(tensorType.getElemType()) : "not a tensor")
                    + "; Recur reads and writes float32, int32, int64 and bool tensors");
        }
        List<String> dims = new ArrayList<>();
        if (tensorType.hasShape()) {
            for (OnnxProto.TensorShapeProto.Dimension d : tensorType.getShape().getDimList()) {
                dims.add(d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : "?");
            }
        } else {
            dims = null;
        }
        return new Port(info.getName(), type, dims == null ? null : List.copyOf(dims));
    }

    /** The dimensions, when every one is a number; else null. */
    private static int[] staticShape(List<String> dims) {
        if (dims == null) return null;
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            try {
                shape[i] = Integer.parseInt(dims.get(i));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return shape;
    }

    /** The inputs a call must give (graph inputs that are not initializers), in the graph's order. */
    public List<Port> inputs() {
        return inputs;
    }

    /** What a call returns, in the graph's order. */
    public List<Port> outputs() {
        return outputs;
    }

    /** How many steps the plan runs per call (constant nodes folded, Transposes folded into recurrent nodes). */
    int stepCount() {
        return steps.size();
    }

    public Path file() {
        return file;
    }

    /**
     * Runs the model on {@code given} (one value per input, by name) and returns every graph output
     * by name, in the graph's order; the returned arrays are the caller's.
     *
     * @throws IllegalArgumentException (one line) for an input that is missing, unknown, or of the
     *                                  wrong type or shape
     * @throws IllegalStateException    after {@link #close()}
     */
    public Map<String, OnnxTensor> run(Map<String, OnnxTensor> given) {
        if (closed.get()) throw new IllegalStateException("ONNX model " + file + " is closed");
        Map<String, OnnxTensor> values = new HashMap<>(constants);
        for (String name : given.keySet()) {
            if (inputs.stream().noneMatch(p -> p.name().equals(name))) {
                throw new IllegalArgumentException(file + ": '" + name + "' is not an input of the model; its inputs: "
                        + String.join(", ", inputs.stream().map(Port::name).toList()));
            }
        }
        for (Port port : inputs) {
            OnnxTensor value = given.get(port.name());
            if (value == null) {
                throw new IllegalArgumentException(file + ": input '" + port.name() + "' (" + port.describe() + ") is missing");
            }
            check(port, value);
            values.put(port.name(), value);
        }
        for (OnnxStep step : steps) {
            step.run(values, kernels);
        }
        // Reshape, Squeeze, Identity and the like pass arrays through: an output that is a constant
        // of the model or an array of the caller's inputs is copied, so that what returns is the caller's.
        Set<Object> shared = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (OnnxTensor t : constants.values()) shared.add(t.type() == OnnxTensor.Type.FLOAT ? t.floats() : t.integers());
        for (OnnxTensor t : given.values()) shared.add(t.type() == OnnxTensor.Type.FLOAT ? t.floats() : t.integers());
        Map<String, OnnxTensor> result = new LinkedHashMap<>();
        for (Port port : outputs) {
            OnnxTensor out = values.get(port.name());
            boolean floats = out.type() == OnnxTensor.Type.FLOAT;
            if (shared.contains(floats ? out.floats() : out.integers())) {
                out = new OnnxTensor(out.type(), out.shape(), floats ? out.floats().clone() : null,
                        floats ? null : out.integers().clone());
            }
            result.put(port.name(), out);
        }
        return result;
    }

    private void check(Port port, OnnxTensor value) {
        boolean rankOk = port.dims() == null || port.dims().size() == value.rank();
        boolean dimsOk = rankOk;
        for (int i = 0; dimsOk && port.dims() != null && i < port.dims().size(); i++) {
            String d = port.dims().get(i);
            if (!d.isEmpty() && Character.isDigit(d.charAt(0)) && Integer.parseInt(d) != value.dim(i)) dimsOk = false;
        }
        if (value.type() != port.type() || !dimsOk) {
            throw new IllegalArgumentException(file + ": input '" + port.name() + "' is " + value.type().label() + " "
                    + Tensor.shapeString(value.shape()) + ", the model declares " + port.describe());
        }
    }

    /**
     * Runs the model on {@code example} (inputs of the shapes a service expects) until the JIT has
     * compiled what those calls need, or until {@code budget} has passed ({@link WarmUp#run} says
     * when the calls count as settled). A service calls this before it takes traffic.
     */
    public WarmUp warmUp(Map<String, OnnxTensor> example, java.time.Duration budget) {
        return WarmUp.run(() -> run(example), budget);
    }

    /** Frees the model's weights; a later {@link #run} fails. Closing twice is allowed. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) weights.close();
    }
}
