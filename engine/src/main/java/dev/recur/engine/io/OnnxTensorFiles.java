package dev.recur.engine.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ONNX model's inputs and outputs as a safetensors file, one tensor per name, each in the
 * dtype it has: F32 for float32, I32 for int32, I64 for int64.
 */
public final class OnnxTensorFiles {
    private OnnxTensorFiles() {
    }

    /** Every tensor of {@code path} by name, in the file's order. */
    public static Map<String, OnnxTensor> read(Path path) throws IOException {
        SafeTensorsFile file = SafeTensorsFile.read(path);
        Map<String, OnnxTensor> out = new LinkedHashMap<>();
        for (String name : file.names()) {
            int[] shape = file.shape(name);
            OnnxTensor value = switch (file.dtype(name)) {
                case "F32" -> {
                    double[] wide = file.readDoubles(name);
                    float[] values = new float[wide.length];
                    for (int i = 0; i < values.length; i++) values[i] = (float) wide[i];   // exact: F32 widened
                    yield OnnxTensor.ofFloats(values, shape);
                }
                case "I32" -> new OnnxTensor(OnnxTensor.Type.INT32, shape, null, file.readLongs(name));
                case "I64" -> new OnnxTensor(OnnxTensor.Type.INT64, shape, null, file.readLongs(name));
                default -> throw file.error(name, "is " + file.dtype(name)
                        + "; an ONNX model's tensors are read as F32 (float32), I32 (int32) or I64 (int64)");
            };
            out.put(name, value);
        }
        return out;
    }

    /** Writes {@code tensors} to {@code target} (through a temporary file, then a rename). */
    public static Path write(Map<String, OnnxTensor> tensors, Path target) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter();
        for (Map.Entry<String, OnnxTensor> e : tensors.entrySet()) {
            OnnxTensor t = e.getValue();
            switch (t.type()) {
                case FLOAT -> writer.putF32(e.getKey(), t.floats(), t.shape());
                case INT32 -> writer.putI32(e.getKey(), Arrays.stream(t.integers()).mapToInt(Math::toIntExact).toArray(), t.shape());
                case INT64 -> writer.putI64(e.getKey(), t.integers(), t.shape());
                case BOOL -> throw new DataFileException(target, "output '" + e.getKey() + "' is bool; Recur writes "
                        + "F32, I32 and I64 tensors (cast it in the model)");
            }
        }
        return writer.write(target);
    }
}
