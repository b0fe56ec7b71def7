package dev.recur.engine.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.recur.engine.io.onnx.OnnxProto;
import dev.recur.engine.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An ONNX model file ({@code .onnx}), parsed with the classes protoc generates from ONNX's own
 * {@code onnx.proto} (see engine/src/main/proto), and its tensors read into {@link OnnxTensor}s,
 * including tensors stored as external data (a side file named relative to the model's folder).
 *
 * <p>Every problem is one line naming the file: not a protobuf, truncated, no graph, an opset
 * missing, a tensor of a type Recur does not read, external data that is missing, too short, or
 * outside the model's folder (refused, whatever the file system holds there).
 */
public final class OnnxModelFile {
    /** Protobuf's own limit on one message. */
    private static final int MAX_MESSAGE_BYTES = Integer.MAX_VALUE;

    private final Path path;
    private final OnnxProto.ModelProto model;
    private final long opset;

    private OnnxModelFile(Path path, OnnxProto.ModelProto model, long opset) {
        this.path = path;
        this.model = model;
        this.opset = opset;
    }

    /**
     * Reads and parses {@code path}.
     *
     * @throws DataFileException if it is missing, a folder, not an ONNX model, or truncated
     */
    public static OnnxModelFile read(Path path) throws IOException {
        DataFileException.requireFile(path, "ONNX model");
        OnnxProto.ModelProto model;
        try (InputStream in = Files.newInputStream(path)) {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(MAX_MESSAGE_BYTES);
            coded.setRecursionLimit(256);
            model = OnnxProto.ModelProto.parseFrom(coded);
        } catch (InvalidProtocolBufferException e) {
            throw new DataFileException(path, "not an ONNX model, or truncated: " + e.getMessage(), e);
        }
        if (!model.hasGraph() || model.getIrVersion() <= 0) {
            throw new DataFileException(path, "not an ONNX model: " + (model.hasGraph() ? "no ir_version" : "no graph"));
        }
        long opset = -1;
        for (OnnxProto.OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) opset = id.getVersion();
        }
        if (opset < 0) {
            throw new DataFileException(path, "imports no opset of the default ONNX domain (opset_import)");
        }
        return new OnnxModelFile(path, model, opset);
    }

    public Path path() {
        return path;
    }

    public OnnxProto.ModelProto model() {
        return model;
    }

    public OnnxProto.GraphProto graph() {
        return model.getGraph();
    }

    /** The version of the default ONNX operator set the model imports. */
    public long opset() {
        return opset;
    }

    /** A one-line error about this file. */
    public DataFileException error(String problem) {
        return new DataFileException(path, problem);
    }

    /**
     * The value of a tensor stored in the model (an initializer, a Constant's value attribute):
     * float32, int32 or int64, from its typed fields, raw_data or external data.
     */
    public OnnxTensor tensor(OnnxProto.TensorProto t) throws DataFileException {
        String name = t.getName().isEmpty() ? "(unnamed)" : t.getName();
        OnnxTensor.Type type = OnnxTensor.Type.ofCode(t.getDataType());
        if (type == null) {
            throw error("tensor '" + name + "' is " + OnnxTensor.Type.onnxName(t.getDataType())
                    + "; Recur reads float32, int32, int64 and bool tensors");
        }
        int[] shape = new int[t.getDimsCount()];
        for (int i = 0; i < shape.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw error("tensor '" + name + "' has dimension " + d);
            shape[i] = (int) d;
        }
        long count;
        try {
            count = OnnxTensor.elements(shape);
        } catch (IllegalArgumentException e) {
            throw error("tensor '" + name + "': " + e.getMessage());
        }
        int n = (int) count;
        int elementBytes = switch (type) {
            case INT64 -> 8;
            case BOOL -> 1;
            default -> 4;
        };
        ByteBuffer raw = null;
        if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
            raw = externalData(t, name, (long) n * elementBytes);
        } else if (t.hasRawData()) {
            ByteString bytes = t.getRawData();
            if (bytes.size() != (long) n * elementBytes) {
                throw error("tensor '" + name + "' has " + bytes.size() + " bytes of raw_data, expected "
                        + (long) n * elementBytes + " for " + type.label() + " " + Tensor.shapeString(shape));
            }
            raw = bytes.asReadOnlyByteBuffer();
        }
        if (raw != null) {
            raw.order(ByteOrder.LITTLE_ENDIAN);
            if (type == OnnxTensor.Type.FLOAT) {
                float[] values = new float[n];
                raw.asFloatBuffer().get(values);
                return new OnnxTensor(type, shape, values, null);
            }
            long[] values = new long[n];
            for (int i = 0; i < n; i++) {
                values[i] = switch (type) {
                    case INT64 -> raw.getLong(i * 8);
                    case BOOL -> raw.get(i) != 0 ? 1 : 0;
                    default -> raw.getInt(i * 4);
                };
            }
            return new OnnxTensor(type, shape, null, values);
        }
        int stored = switch (type) {
            case FLOAT -> t.getFloatDataCount();
            case INT32, BOOL -> t.getInt32DataCount();   // ONNX keeps bools in int32_data
            case INT64 -> t.getInt64DataCount();
        };
        if (stored != n) {
            throw error("tensor '" + name + "' holds " + stored + " values, expected " + n + " for "
                    + type.label() + " " + Tensor.shapeString(shape));
        }
        if (type == OnnxTensor.Type.FLOAT) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) values[i] = t.getFloatData(i);
            return new OnnxTensor(type, shape, values, null);
        }
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (type) {
                case INT64 -> t.getInt64Data(i);
                case BOOL -> t.getInt32Data(i) != 0 ? 1 : 0;
                default -> t.getInt32Data(i);
            };
        }
        return new OnnxTensor(type, shape, null, values);
    }

    /**
     * The bytes of an external-data tensor: {@code location} relative to the model's folder (an
     * absolute path, or one that leaves the folder, is refused), {@code offset} and {@code length}.
     */
    private ByteBuffer externalData(OnnxProto.TensorProto t, String name, long expectedBytes) throws DataFileException {
        String location = null;
        long offset = 0, length = -1;
        for (OnnxProto.StringStringEntryProto entry : t.getExternalDataList()) {
            switch (entry.getKey()) {
                case "location" -> location = entry.getValue();
                case "offset" -> offset = parseLong(name, "offset", entry.getValue());
                case "length" -> length = parseLong(name, "length", entry.getValue());
                default -> { }   // "checksum" and future keys: not needed to read the bytes
            }
        }
        if (location == null || location.isEmpty()) {
            throw error("tensor '" + name + "' is stored as external data but names no location");
        }
        Path folder = path.toAbsolutePath().normalize().getParent();
        Path given = Path.of(location);
        Path file = folder.resolve(given).normalize();
        if (given.isAbsolute() || !file.startsWith(folder)) {
            throw error("tensor '" + name + "': external data location '" + location
                    + "' is outside the model's folder " + folder + " (refused)");
        }
        if (length >= 0 && length != expectedBytes) {
            throw error("tensor '" + name + "': external data length " + length + ", expected " + expectedBytes);
        }
        if (!Files.isRegularFile(file)) {
            throw error("tensor '" + name + "': external data file " + file + " does not exist");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (offset < 0 || offset + expectedBytes > channel.size()) {
                throw error("tensor '" + name + "': external data file " + file + " holds " + channel.size()
                        + " bytes, too few for " + expectedBytes + " at offset " + offset);
            }
            if (expectedBytes > Integer.MAX_VALUE - 8) {
                throw error("tensor '" + name + "' is larger than Recur reads into one Java array (" + expectedBytes + " bytes)");
            }
            ByteBuffer bytes = ByteBuffer.allocate((int) expectedBytes);
            while (bytes.hasRemaining()) {
                if (channel.read(bytes, offset + bytes.position()) < 0) break;
            }
            if (bytes.hasRemaining()) throw error("tensor '" + name + "': external data file " + file + " ended early");
            return bytes.flip();
        } catch (DataFileException e) {
            throw e;
        } catch (IOException e) {
            throw new DataFileException(path, "tensor '" + name + "': cannot read external data " + file + ": " + e.getMessage(), e);
        }
    }

    private long parseLong(String tensor, String key, String value) throws DataFileException {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw error("tensor '" + tensor + "': external data " + key + " '" + value + "' is not a number");
        }
    }
}
