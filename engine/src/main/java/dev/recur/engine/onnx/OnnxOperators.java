package dev.recur.engine.onnx;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxModelFile;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.onnx.OnnxProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Binds the ONNX operators other than the recurrent ones: each node's attributes are read once, at
 * load, into a function from its input values to its output values ({@link OnnxTensorMath},
 * {@link OnnxShapeOps}); a node whose inputs are all constants is evaluated there and then (constant
 * folding: an exporter's shape arithmetic on weights, for example) and leaves no step behind.
 */
final class OnnxOperators {
    /** The operators bound here (the recurrent ones are {@link OnnxRecurrentNode}'s). */
    static final Set<String> SUPPORTED = Set.of("Identity", "Constant", "Add", "Sub", "Mul", "Div", "Relu", "Tanh",
            "Sigmoid", "MatMul", "Gemm", "Softmax", "LogSoftmax", "Shape", "Reshape", "Squeeze", "Unsqueeze", "Concat",
            "Slice", "Transpose", "Gather", "ConstantOfShape", "Cast", "Expand", "Split", "Equal", "Where", "Not");

    private OnnxOperators() {
    }

    /** A node's function: values of its inputs (null where an optional input is absent) to values of its outputs. */
    private interface Kernel extends Function<List<OnnxTensor>, List<OnnxTensor>> {
    }

    /**
     * Binds {@code node}: adds its outputs to {@code constants} when every input is constant,
     * otherwise returns the step that computes them on each call.
     */
    static OnnxStep bind(OnnxModelFile file, OnnxProto.NodeProto node, Map<String, OnnxTensor> constants) throws DataFileException {
        OnnxNodeAttributes attrs = new OnnxNodeAttributes(file, node);
        Kernel kernel = kernel(file, node, attrs);
        attrs.requireAllRead();
        List<String> inputs = node.getInputList(), outputs = node.getOutputList();
        String where = file.path() + ": " + attrs.where();
        boolean constant = inputs.stream().allMatch(in -> in.isEmpty() || constants.containsKey(in));
        if (constant) {
            List<OnnxTensor> values = compute(where, kernel, inputs, constants, outputs.size());
            for (int i = 0; i < outputs.size(); i++) {
                if (!outputs.get(i).isEmpty()) constants.put(outputs.get(i), values.get(i));
            }
            return null;
        }
        return (Map<String, OnnxTensor> values, Kernels kernels) -> {
            List<OnnxTensor> out = compute(where, kernel, inputs, values, outputs.size());
            for (int i = 0; i < outputs.size(); i++) {
                if (!outputs.get(i).isEmpty()) values.put(outputs.get(i), out.get(i));
            }
        };
    }

    private static List<OnnxTensor> compute(String where, Kernel kernel, List<String> inputs, Map<String, OnnxTensor> values,
                                            int outputs) {
        List<OnnxTensor> in = new ArrayList<>(inputs.size());
        for (String name : inputs) in.add(name.isEmpty() ? null : values.get(name));
        List<OnnxTensor> out;
        try {
            out = kernel.apply(in);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        if (out.size() < outputs) throw new IllegalArgumentException(where + ": computes " + out.size() + " outputs, the node names " + outputs);
        return out;
    }

    private static Kernel kernel(OnnxModelFile file, OnnxProto.NodeProto node, OnnxNodeAttributes attrs) throws DataFileException {
        long opset = file.opset();
        String op = node.getOpType();
        return switch (op) {
            case "Identity" -> in -> List.of(in.get(0));
            case "Constant" -> {
                OnnxTensor value = constant(file, attrs);
                yield in -> List.of(value);
            }
            case "Add" -> in -> List.of(OnnxTensorMath.binary(op, in.get(0), in.get(1), Float::sum, Long::sum));
            case "Sub" -> in -> List.of(OnnxTensorMath.binary(op, in.get(0), in.get(1), (a, b) -> a - b, (a, b) -> a - b));
            case "Mul" -> in -> List.of(OnnxTensorMath.binary(op, in.get(0), in.get(1), (a, b) -> a * b, (a, b) -> a * b));
            case "Div" -> in -> List.of(OnnxTensorMath.binary(op, in.get(0), in.get(1), (a, b) -> a / b, (a, b) -> {
                if (b == 0) throw new IllegalArgumentException("integer division by zero");
                return a / b;
            }));
            case "Equal" -> in -> List.of(OnnxTensorMath.equal(in.get(0), in.get(1)));
            case "Where" -> in -> List.of(OnnxTensorMath.where(in.get(0), in.get(1), in.get(2)));
            case "Not" -> in -> {
                OnnxTensor x = in.get(0);
                if (x.type() != OnnxTensor.Type.BOOL) throw new IllegalArgumentException("Not of " + x.describe() + ": bool only");
                long[] out = new long[x.size()];
                for (int i = 0; i < out.length; i++) out[i] = 1 - x.integers()[i];
                return List.of(new OnnxTensor(OnnxTensor.Type.BOOL, x.shape(), null, out));
            };
            case "Relu" -> in -> List.of(OnnxTensorMath.unary(op, in.get(0), x -> x > 0 ? x : 0));
            case "Tanh" -> in -> List.of(OnnxTensorMath.unary(op, in.get(0), Math::tanh));
            case "Sigmoid" -> in -> List.of(OnnxTensorMath.unary(op, in.get(0), OnnxTensorMath::sigmoid));
            case "MatMul" -> in -> List.of(OnnxTensorMath.matMul(in.get(0), in.get(1)));
            case "Gemm" -> {
                boolean transA = attrs.integer("transA", 0) != 0, transB = attrs.integer("transB", 0) != 0;
                float alpha = attrs.real("alpha", 1f), beta = attrs.real("beta", 1f);
                yield in -> List.of(OnnxTensorMath.gemm(in.get(0), in.get(1), in.size() > 2 ? in.get(2) : null, transA, transB, alpha, beta));
            }
            case "Softmax", "LogSoftmax" -> {
                boolean log = op.equals("LogSoftmax");
                long axis = attrs.integer("axis", opset >= 13 ? -1 : 1);
                yield in -> {
                    OnnxTensor x = in.get(0);
                    int ax = OnnxShapeOps.axis(axis, x.rank(), op);
                    if (opset >= 13) return List.of(OnnxTensorMath.softmax(x, ax, log));
                    // Before opset 13: the input as a 2-D [prod(dims before axis), prod(the rest)], softmax over each row.
                    int outer = 1;
                    for (int i = 0; i < ax; i++) outer *= x.dim(i);
                    OnnxTensor flat = OnnxShapeOps.withShape(x, new int[]{outer, x.size() / Math.max(1, outer)});
                    return List.of(OnnxShapeOps.withShape(OnnxTensorMath.softmax(flat, 1, log), x.shape()));
                };
            }
            case "Shape" -> {
                long start = attrs.integer("start", 0), end = attrs.integer("end", Long.MAX_VALUE);
                yield in -> List.of(OnnxShapeOps.shape(in.get(0), start, end));
            }
            case "Reshape" -> {
                boolean allowZero = attrs.integer("allowzero", 0) != 0;
                yield in -> List.of(OnnxShapeOps.reshape(in.get(0), OnnxShapeOps.integers(in.get(1), "Reshape's shape"), allowZero));
            }
            case "Unsqueeze" -> {
                if (opset < 13) {
                    long[] axes = ints(attrs, "axes");
                    yield in -> List.of(OnnxShapeOps.unsqueeze(in.get(0), axes));
                }
                yield in -> List.of(OnnxShapeOps.unsqueeze(in.get(0), OnnxShapeOps.integers(in.get(1), "Unsqueeze's axes")));
            }
            case "Squeeze" -> {
                if (opset < 13) {
                    long[] axes = attrs.has("axes") ? ints(attrs, "axes") : null;
                    yield in -> List.of(OnnxShapeOps.squeeze(in.get(0), axes));
                }
                yield in -> List.of(OnnxShapeOps.squeeze(in.get(0),
                        in.size() > 1 && in.get(1) != null ? OnnxShapeOps.integers(in.get(1), "Squeeze's axes") : null));
            }
            case "Concat" -> {
                long axis = attrs.integer("axis", Long.MIN_VALUE);
                if (axis == Long.MIN_VALUE) throw attrs.error("attribute 'axis' is required");
                yield in -> List.of(OnnxShapeOps.concat(in, axis));
            }
            case "Slice" -> {
                if (opset < 10) throw attrs.error("Slice before opset 10 (starts and ends as attributes) is not supported");
                yield in -> List.of(OnnxShapeOps.slice(in.get(0), OnnxShapeOps.integers(in.get(1), "Slice's starts"),
                        OnnxShapeOps.integers(in.get(2), "Slice's ends"), optionalInts(in, 3, "Slice's axes"),
                        optionalInts(in, 4, "Slice's steps")));
            }
            case "Transpose" -> {
                long[] perm = attrs.has("perm") ? ints(attrs, "perm") : null;
                yield in -> List.of(OnnxShapeOps.transpose(in.get(0), perm));
            }
            case "Gather" -> {
                long axis = attrs.integer("axis", 0);
                yield in -> List.of(OnnxShapeOps.gather(in.get(0), in.get(1), axis));
            }
            case "ConstantOfShape" -> {
                OnnxProto.AttributeProto given = attrs.tensor("value");
                OnnxTensor value = given == null ? null : file.tensor(given.getT());
                yield in -> List.of(OnnxShapeOps.constantOfShape(OnnxShapeOps.integers(in.get(0), "ConstantOfShape's shape"), value));
            }
            case "Cast" -> {
                long to = attrs.integer("to", -1);
                OnnxTensor.Type type = OnnxTensor.Type.ofCode((int) to);
                if (type == null) {
                    throw attrs.error("Cast to " + OnnxTensor.Type.onnxName((int) to) + " is not supported; Recur casts to float32, int32, int64 and bool");
                }
                attrs.integer("saturate", 1);   // for float8 targets only
                yield in -> List.of(OnnxShapeOps.cast(in.get(0), type));
            }
            case "Expand" -> in -> {
                OnnxTensor x = in.get(0);
                long[] requested = OnnxShapeOps.integers(in.get(1), "Expand's shape");
                int[] target = Arrays.stream(requested).mapToInt(Math::toIntExact).toArray();
                int[] shape = dev.recur.engine.tensor.Tensor.broadcastShape(x.shape(), target);
                return List.of(OnnxShapeOps.take(x, OnnxTensorMath.broadcastIndex(x.shape(), shape), shape));
            };
            case "Split" -> {
                long axis = attrs.integer("axis", 0);
                long[] fixed = opset < 13 && attrs.has("split") ? ints(attrs, "split") : null;
                long parts = attrs.integer("num_outputs", node.getOutputCount());
                yield in -> {
                    OnnxTensor x = in.get(0);
                    int ax = OnnxShapeOps.axis(axis, x.rank(), "Split");
                    long[] sizes = fixed != null ? fixed : in.size() > 1 && in.get(1) != null
                            ? OnnxShapeOps.integers(in.get(1), "Split's split") : evenSplit(x.dim(ax), (int) parts);
                    List<OnnxTensor> out = new ArrayList<>();
                    long start = 0;
                    for (long size : sizes) {
                        out.add(OnnxShapeOps.slice(x, new long[]{start}, new long[]{start + size}, new long[]{ax}, null));
                        start += size;
                    }
                    if (start != x.dim(ax)) throw new IllegalArgumentException("Split sizes " + Arrays.toString(sizes) + " do not add up to " + x.dim(ax));
                    return out;
                };
            }
            default -> throw attrs.error("operator " + op + " is not supported yet");
        };
    }

    /** Split's even rule: ceil(dim / parts) each, the last one what is left. */
    private static long[] evenSplit(int dim, int parts) {
        long each = (dim + parts - 1) / parts;
        long[] sizes = new long[parts];
        for (int i = 0; i < parts; i++) sizes[i] = Math.max(0, Math.min(each, dim - i * each));
        return sizes;
    }

    private static long[] optionalInts(List<OnnxTensor> in, int i, String what) {
        return in.size() > i && in.get(i) != null ? OnnxShapeOps.integers(in.get(i), what) : null;
    }

    private static long[] ints(OnnxNodeAttributes attrs, String name) throws DataFileException {
        OnnxProto.AttributeProto a = attrs.ints(name);
        return a == null ? new long[0] : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** Constant's value, from whichever of its forms the node uses (tensor, float(s), int(s)). */
    private static OnnxTensor constant(OnnxModelFile file, OnnxNodeAttributes attrs) throws DataFileException {
        OnnxProto.AttributeProto tensor = attrs.tensor("value");
        if (tensor != null) return file.tensor(tensor.getT());
        if (attrs.has("value_float")) return OnnxTensor.ofFloats(new float[]{attrs.real("value_float", 0f)});
        if (attrs.has("value_int")) return OnnxTensor.ofInt64(new long[]{attrs.integer("value_int", 0)});
        if (attrs.has("value_floats")) {
            List<Float> values = attrs.reals("value_floats");
            float[] out = new float[values.size()];
            for (int i = 0; i < out.length; i++) out[i] = values.get(i);
            return OnnxTensor.ofFloats(out, out.length);
        }
        if (attrs.has("value_ints")) {
            long[] values = ints(attrs, "value_ints");
            return OnnxTensor.ofInt64(values, values.length);
        }
        throw attrs.error("a Constant with no value Recur reads (value, value_float(s), value_int(s))");
    }
}
