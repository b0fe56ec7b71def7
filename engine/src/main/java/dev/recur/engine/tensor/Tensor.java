package dev.recur.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A dense row-major float32 tensor whose data lives off-heap in a {@link MemorySegment} owned by a
 * {@link TensorArena}. Views ({@link #reshape}, {@link #rows}) share the owner's memory.
 */
public final class Tensor {
    /** Native-order, 4-byte aligned float: the layout of every tensor element. */
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private final TensorArena owner;
    private final MemorySegment data;
    private final int[] shape;
    private final long size;

    Tensor(TensorArena owner, MemorySegment data, int[] shape) {
        this.owner = owner;
        this.shape = shape.clone();
        this.size = checkedSize(shape);
        if (data.byteSize() < size * Float.BYTES) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes cannot hold shape "
                    + shapeString(shape));
        }
        this.data = data.byteSize() == size * Float.BYTES ? data : data.asSlice(0, size * Float.BYTES);
    }

    static long checkedSize(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + shapeString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static String shapeString(int[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * The shape a and b broadcast to (numpy's and ONNX's multidirectional rule: aligned from the
     * right, a dimension of 1 stretches to the other's, 0 included), or an error naming both.
     */
    public static int[] broadcastShape(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
            int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + shapeString(a) + " and " + shapeString(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    public MemorySegment data() {
        return data;
    }

    public TensorArena owner() {
        return owner;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public long size() {
        return size;
    }

    /** Element {@code i} of the flattened tensor. For tests and I/O, not for hot loops. */
    public float get(long i) {
        return data.getAtIndex(FLOAT, i);
    }

    public void set(long i, float v) {
        data.setAtIndex(FLOAT, i, v);
    }

    /** Element at a multi-index (row-major). */
    public float at(int... index) {
        return get(flatIndex(index));
    }

    private long flatIndex(int[] index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for shape " + shapeString(shape));
        }
        long flat = 0;
        for (int a = 0; a < shape.length; a++) {
            if (index[a] < 0 || index[a] >= shape[a]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of shape " + shapeString(shape));
            }
            flat = flat * shape[a] + index[a];
        }
        return flat;
    }

    /** A view with a new shape of the same size. */
    public Tensor reshape(int... newShape) {
        if (checkedSize(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + shapeString(shape) + " to " + shapeString(newShape));
        }
        return new Tensor(owner, data, newShape);
    }

    /** A view of rows {@code [from, to)} along axis 0. */
    public Tensor rows(int from, int to) {
        if (from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of shape " + shapeString(shape));
        }
        long rowSize = shape[0] == 0 ? 0 : size / shape[0];
        int[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(owner, data.asSlice(from * rowSize * Float.BYTES, (to - from) * rowSize * Float.BYTES), s);
    }

    /** A heap copy of the elements. For tests, I/O and printing only. */
    public float[] toArray() {
        return data.toArray(FLOAT);
    }

    public void fill(float v) {
        if (v == 0f) {
            data.fill((byte) 0);
        } else {
            for (long i = 0; i < size; i++) {
                data.setAtIndex(FLOAT, i, v);
            }
        }
    }

    public void copyFrom(Tensor source) {
        if (source.size != size) {
            throw new IllegalArgumentException("copy of " + shapeString(source.shape) + " into " + shapeString(shape));
        }
        MemorySegment.copy(source.data, 0, data, 0, size * Float.BYTES);
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString(shape);
    }
}
