package dev.recur.engine.onnx;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxModelFile;
import dev.recur.engine.io.onnx.OnnxProto;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node's attributes by name, read with the types ONNX declares for them; every problem is a
 * one-line error naming the model file, the node, its operator and the opset. Tracks which
 * attributes were read, so that a node carrying one Recur does not know is refused, not ignored.
 */
final class OnnxNodeAttributes {
    private final OnnxModelFile file;
    private final OnnxProto.NodeProto node;
    private final Map<String, OnnxProto.AttributeProto> byName = new HashMap<>();
    private final Set<String> read = new HashSet<>();

    OnnxNodeAttributes(OnnxModelFile file, OnnxProto.NodeProto node) {
        this.file = file;
        this.node = node;
        for (OnnxProto.AttributeProto a : node.getAttributeList()) byName.put(a.getName(), a);
    }

    /** "node 'lstm_1' (LSTM, opset 14)". */
    String where() {
        return where(file, node);
    }

    static String where(OnnxModelFile file, OnnxProto.NodeProto node) {
        String name = node.getName().isEmpty() ? "(unnamed, output " + (node.getOutputCount() > 0 ? node.getOutput(0) : "none") + ")"
                : "'" + node.getName() + "'";
        return "node " + name + " (" + node.getOpType() + ", opset " + file.opset() + ")";
    }

    DataFileException error(String problem) {
        return file.error(where() + ": " + problem);
    }

    boolean has(String name) {
        read.add(name);
        return byName.containsKey(name);
    }

    long integer(String name, long fallback) throws DataFileException {
        OnnxProto.AttributeProto a = get(name, OnnxProto.AttributeProto.AttributeType.INT);
        return a == null ? fallback : a.getI();
    }

    float real(String name, float fallback) throws DataFileException {
        OnnxProto.AttributeProto a = get(name, OnnxProto.AttributeProto.AttributeType.FLOAT);
        return a == null ? fallback : a.getF();
    }

    String string(String name, String fallback) throws DataFileException {
        OnnxProto.AttributeProto a = get(name, OnnxProto.AttributeProto.AttributeType.STRING);
        return a == null ? fallback : a.getS().toStringUtf8();
    }

    List<String> strings(String name) throws DataFileException {
        OnnxProto.AttributeProto a = get(name, OnnxProto.AttributeProto.AttributeType.STRINGS);
        return a == null ? List.of() : a.getStringsList().stream().map(s -> s.toStringUtf8()).toList();
    }

    /** The INTS attribute, or null when absent. */
    OnnxProto.AttributeProto ints(String name) throws DataFileException {
        return get(name, OnnxProto.AttributeProto.AttributeType.INTS);
    }

    /** The TENSOR attribute, or null when absent. */
    OnnxProto.AttributeProto tensor(String name) throws DataFileException {
        return get(name, OnnxProto.AttributeProto.AttributeType.TENSOR);
    }

    List<Float> reals(String name) throws DataFileException {
        OnnxProto.AttributeProto a = get(name, OnnxProto.AttributeProto.AttributeType.FLOATS);
        return a == null ? List.of() : a.getFloatsList();
    }

    /** Refuses any attribute no getter asked for: Recur does not know what it would change. */
    void requireAllRead() throws DataFileException {
        for (String name : byName.keySet()) {
            if (!read.contains(name)) throw error("attribute '" + name + "' is not supported");
        }
    }

    private OnnxProto.AttributeProto get(String name, OnnxProto.AttributeProto.AttributeType type) throws DataFileException {
        read.add(name);
        OnnxProto.AttributeProto a = byName.get(name);
        if (a == null) return null;
        if (a.hasType() && a.getType() != type) {
            throw error("attribute '" + name + "' is " + a.getType() + ", expected " + type);
        }
        return a;
    }
}
