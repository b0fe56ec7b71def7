package dev.recur.engine.io;

import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor value of an ONNX model, on the Java heap: an initializer, a graph input or output.
 * Floats for {@link Type#FLOAT}, longs for the integer types (an int32 value is widened; its type
 * still says int32) and for {@link Type#BOOL} (0 or 1). Row-major; a scalar has shape []. The
 * arrays are the caller's: nothing else keeps them.
 */
public record OnnxTensor(Type type, int[] shape, float[] floats, long[] integers) {

    /** The element types Recur reads and writes, with their ONNX TensorProto.DataType codes. */
    public enum Type {
        FLOAT(1, "float32"), INT32(6, "int32"), INT64(7, "int64"), BOOL(9, "bool");

        private final int code;
        private final String label;

        Type(int code, String label) {
            this.code = code;
            this.label = label;
        }

        /** The ONNX TensorProto.DataType code. */
        public int code() {
            return code;
        }

        /** The dtype's usual name (float32, int32, int64), as safetensors and errors write it. */
        public String label() {
            return label;
        }

        /** The type of an ONNX data-type code, or null when Recur does not run it. */
        public static Type ofCode(int code) {
            for (Type t : values()) {
                if (t.code == code) return t;
            }
            return null;
        }

        /** The name ONNX gives a data-type code (for errors naming a type Recur does not run). */
        public static String onnxName(int code) {
            String[] names = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
                    "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
            return code >= 0 && code < names.length ? names[code] : "data type " + code;
        }
    }

    public OnnxTensor {
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
        long size = elements(shape);
        if (type == Type.FLOAT ? floats == null || integers != null || floats.length != size
                : integers == null || floats != null || integers.length != size) {
            throw new IllegalArgumentException(type.label() + " tensor of shape " + Tensor.shapeString(shape)
                    + " needs " + size + (type == Type.FLOAT ? " floats" : " integers") + " and nothing else");
        }
    }

    public static OnnxTensor ofFloats(float[] values, int... shape) {
        return new OnnxTensor(Type.FLOAT, shape, values, null);
    }

    /** A float32 copy of a Recur tensor (off-heap) on the heap, with its shape. */
    public static OnnxTensor of(Tensor tensor) {
        return ofFloats(tensor.toArray(), tensor.shape());
    }

    /** A float32 value as a Recur tensor of {@code arena}: a copy, freed with the arena. */
    public Tensor toTensor(TensorArena arena) {
        if (type != Type.FLOAT) throw new IllegalArgumentException("the value is " + describe() + "; a Recur tensor holds float32");
        return arena.of(floats, shape);
    }

    public static OnnxTensor ofInt32(int[] values, int... shape) {
        return new OnnxTensor(Type.INT32, shape, null, Arrays.stream(values).asLongStream().toArray());
    }

    public static OnnxTensor ofInt64(long[] values, int... shape) {
        return new OnnxTensor(Type.INT64, shape, null, values);
    }

    public static OnnxTensor ofBooleans(boolean[] values, int... shape) {
        long[] bits = new long[values.length];
        for (int i = 0; i < bits.length; i++) bits[i] = values[i] ? 1 : 0;
        return new OnnxTensor(Type.BOOL, shape, null, bits);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int size() {
        return (int) elements(shape);
    }

    /** Elements of a shape; dimensions must be >= 0 and the count must fit a Java array. */
    public static long elements(int[] shape) {
        long size = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Tensor.shapeString(shape));
            size *= d;
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + Tensor.shapeString(shape) + " holds more elements than a Java array can");
            }
        }
        return size;
    }

    /** "float32 [2, 3]". */
    public String describe() {
        return type.label() + " " + Tensor.shapeString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxTensor t && type == t.type && Arrays.equals(shape, t.shape)
                && Arrays.equals(floats, t.floats) && Arrays.equals(integers, t.integers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(shape), Arrays.hashCode(floats), Arrays.hashCode(integers));
    }

    @Override
    public String toString() {
        return "OnnxTensor[" + describe() + "]";
    }
}
