package dev.recur.engine.onnx;

import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX's operators that move or describe elements without arithmetic (Shape, Reshape, Squeeze,
 * Unsqueeze, Concat, Slice, Transpose, Gather, ConstantOfShape, Cast), on {@link OnnxTensor}s of
 * any supported type. Transpose, Slice and Gather copy runs of consecutive elements (a row of the
 * last axis where it stays last and in order), not one element at a time.
 */
final class OnnxShapeOps {
    private OnnxShapeOps() {
    }

    /** A tensor of src's type with shape {@code shape}, element i = src element index[i]. */
    static OnnxTensor take(OnnxTensor src, int[] index, int[] shape) {
        if (src.type() == OnnxTensor.Type.FLOAT) {
            float[] from = src.floats(), out = new float[index.length];
            for (int i = 0; i < out.length; i++) out[i] = from[index[i]];
            return OnnxTensor.ofFloats(out, shape);
        }
        long[] from = src.integers(), out = new long[index.length];
        for (int i = 0; i < out.length; i++) out[i] = from[index[i]];
        return new OnnxTensor(src.type(), shape, null, out);
    }

    /** The same elements under another shape (no copy of the arrays' meaning, a new tensor). */
    static OnnxTensor withShape(OnnxTensor src, int[] shape) {
        if (OnnxTensor.elements(shape) != src.size()) {
            throw new IllegalArgumentException("cannot view " + src.describe() + " as " + Tensor.shapeString(shape));
        }
        return new OnnxTensor(src.type(), shape, src.floats(), src.integers());
    }

    /** An axis in [-rank, rank) as [0, rank). */
    static int axis(long axis, int rank, String what) {
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException(what + " axis " + axis + " is outside [" + -rank + ", " + rank + ")");
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    static long[] integers(OnnxTensor t, String what) {
        if (t.type() == OnnxTensor.Type.FLOAT) throw new IllegalArgumentException(what + " is " + t.describe() + ", expected integers");
        return t.integers();
    }

    static OnnxTensor shape(OnnxTensor t, long start, long end) {
        int rank = t.rank();
        int from = (int) Math.clamp(start < 0 ? start + rank : start, 0, rank);
        int to = (int) Math.clamp(end < 0 ? end + rank : end, 0, rank);
        long[] dims = new long[Math.max(0, to - from)];
        for (int i = 0; i < dims.length; i++) dims[i] = t.dim(from + i);
        return OnnxTensor.ofInt64(dims, dims.length);
    }

    /** Reshape: 0 copies the input's dimension (unless allowZero), -1 is inferred. */
    static OnnxTensor reshape(OnnxTensor data, long[] requested, boolean allowZero) {
        int[] shape = new int[requested.length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = requested[i];
            if (d == -1) {
                if (inferred >= 0) throw new IllegalArgumentException("Reshape to " + Arrays.toString(requested) + ": two -1s");
                inferred = i;
                continue;
            }
            if (d == 0 && !allowZero) {
                if (i >= data.rank()) throw new IllegalArgumentException("Reshape to " + Arrays.toString(requested) + ": 0 past the input's rank");
                d = data.dim(i);
            }
            if (d < 0) throw new IllegalArgumentException("Reshape to " + Arrays.toString(requested) + ": negative dimension");
            shape[i] = (int) d;
            known *= d;
        }
        if (inferred >= 0) {
            if (known == 0 || data.size() % known != 0) {
                throw new IllegalArgumentException("Reshape of " + data.describe() + " to " + Arrays.toString(requested) + ": sizes do not divide");
            }
            shape[inferred] = (int) (data.size() / known);
        }
        return withShape(data, shape);
    }

    static OnnxTensor unsqueeze(OnnxTensor data, long[] axes) {
        int rank = data.rank() + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            int ax = axis(a, rank, "Unsqueeze");
            if (inserted[ax]) throw new IllegalArgumentException("Unsqueeze axes " + Arrays.toString(axes) + " repeat an axis");
            inserted[ax] = true;
        }
        int[] shape = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) shape[i] = inserted[i] ? 1 : data.dim(j++);
        return withShape(data, shape);
    }

    /** Squeeze the given axes (each must be 1), or every axis of size 1 when axes is null. */
    static OnnxTensor squeeze(OnnxTensor data, long[] axes) {
        boolean[] drop = new boolean[data.rank()];
        if (axes == null) {
            for (int i = 0; i < drop.length; i++) drop[i] = data.dim(i) == 1;
        } else {
            for (long a : axes) {
                int ax = axis(a, data.rank(), "Squeeze");
                if (data.dim(ax) != 1) {
                    throw new IllegalArgumentException("Squeeze axis " + a + " of " + data.describe() + ": its size is not 1");
                }
                drop[ax] = true;
            }
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < drop.length; i++) if (!drop[i]) kept.add(data.dim(i));
        return withShape(data, kept.stream().mapToInt(Integer::intValue).toArray());
    }

    static OnnxTensor concat(List<OnnxTensor> parts, long axisAttr) {
        OnnxTensor first = parts.get(0);
        int ax = axis(axisAttr, first.rank(), "Concat");
        int[] shape = first.shape();
        int total = 0;
        for (OnnxTensor p : parts) {
            if (p.type() != first.type() || p.rank() != first.rank()) {
                throw new IllegalArgumentException("Concat of " + first.describe() + " and " + p.describe() + ": types or ranks differ");
            }
            for (int i = 0; i < shape.length; i++) {
                if (i != ax && p.dim(i) != shape[i]) {
                    throw new IllegalArgumentException("Concat of " + first.describe() + " and " + p.describe() + " on axis " + ax);
                }
            }
            total += p.dim(ax);
        }
        shape[ax] = total;
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < shape.length; i++) inner *= shape[i];
        boolean floats = first.type() == OnnxTensor.Type.FLOAT;
        int n = (int) OnnxTensor.elements(shape);
        float[] fo = floats ? new float[n] : null;
        long[] lo = floats ? null : new long[n];
        int rowOut = total * inner, offset = 0;
        for (OnnxTensor p : parts) {
            int chunk = p.dim(ax) * inner;
            for (int o = 0; o < outer; o++) {
                if (floats) System.arraycopy(p.floats(), o * chunk, fo, o * rowOut + offset, chunk);
                else System.arraycopy(p.integers(), o * chunk, lo, o * rowOut + offset, chunk);
            }
            offset += chunk;
        }
        return new OnnxTensor(first.type(), shape, fo, lo);
    }

    /** Slice (opset 10+): per listed axis, start:end:step with the spec's clamping of out-of-range values. */
    static OnnxTensor slice(OnnxTensor data, long[] starts, long[] ends, long[] axes, long[] steps) {
        int rank = data.rank();
        int[] from = new int[rank], step = new int[rank], count = data.shape();
        Arrays.fill(step, 1);
        if (starts.length != ends.length || (axes != null && axes.length != starts.length) || (steps != null && steps.length != starts.length)) {
            throw new IllegalArgumentException("Slice: starts, ends, axes and steps differ in length");
        }
        for (int i = 0; i < starts.length; i++) {
            int ax = axis(axes == null ? i : axes[i], rank, "Slice");
            long st = steps == null ? 1 : steps[i];
            if (st == 0) throw new IllegalArgumentException("Slice: step 0");
            long dim = data.dim(ax), s = starts[i], e = ends[i];
            if (s < 0) s += dim;
            if (e < 0) e += dim;
            if (st > 0) {
                s = Math.clamp(s, 0, dim);
                e = Math.clamp(e, 0, dim);
            } else {
                s = Math.clamp(s, -1, dim - 1);
                e = Math.clamp(e, -1, dim - 1);
            }
            long n = st > 0 ? Math.max(0, (e - s + st - 1) / st) : Math.max(0, (s - e + (-st) - 1) / (-st));
            from[ax] = (int) s;
            step[ax] = (int) st;
            count[ax] = (int) n;
        }
        int[] inStrides = strides(data.shape()), stepOf = new int[rank];
        int start = 0;
        for (int i = 0; i < rank; i++) {
            stepOf[i] = step[i] * inStrides[i];
            start += from[i] * inStrides[i];
        }
        // A last axis taken in order (step 1) is one run per row.
        boolean runs = rank > 0 && step[rank - 1] == 1 && count[rank - 1] > 0;
        return copyRuns(data, count, runs ? rank - 1 : rank, count, stepOf, start, runs ? count[rank - 1] : 1);
    }

    static OnnxTensor transpose(OnnxTensor data, long[] perm) {
        int rank = data.rank();
        int[] p = new int[rank];
        boolean[] seen = new boolean[rank];
        if (perm != null && perm.length != rank) {
            throw new IllegalArgumentException("Transpose perm " + Arrays.toString(perm) + " for " + data.describe());
        }
        for (int i = 0; i < rank; i++) {
            p[i] = perm == null ? rank - 1 - i : axis(perm[i], rank, "Transpose");
            if (seen[p[i]]) throw new IllegalArgumentException("Transpose perm " + Arrays.toString(perm) + " is not a permutation");
            seen[p[i]] = true;
        }
        int[] inStrides = strides(data.shape()), shape = new int[rank], step = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = data.dim(p[i]);
            step[i] = inStrides[p[i]];
        }
        if (keepsElementOrder(data.shape(), p)) return withShape(data, shape);
        // The last output axis, when it is also the input's last, is a contiguous run in both.
        int run = rank > 0 && p[rank - 1] == rank - 1 ? shape[rank - 1] : 1;
        int outer = run > 1 ? rank - 1 : rank;
        return copyRuns(data, shape, outer, shape, step, 0, run);
    }

    /**
     * Whether the permutation moves only axes of size 1 (as in [T, 1, B, H] -> [T, B, 1, H], which
     * the dynamo exporter writes after every one-direction LSTM): then every element keeps its
     * place and a transpose is a reshape.
     */
    private static boolean keepsElementOrder(int[] shape, int[] perm) {
        int last = -1;
        for (int axis : perm) {
            if (shape[axis] == 1) continue;
            if (axis < last) return false;
            last = axis;
        }
        return true;
    }

    /**
     * A tensor of {@code shape} whose runs of {@code run} consecutive elements come from src, the
     * run at odometer position (i_0, ..., i_{axes-1}) over {@code counts} starting at
     * {@code start + sum(i_k * step[k])}: transposes, slices and gathers without an index per element.
     */
    private static OnnxTensor copyRuns(OnnxTensor src, int[] shape, int axes, int[] counts, int[] step, int start, int run) {
        int total = (int) OnnxTensor.elements(shape);
        boolean floats = src.type() == OnnxTensor.Type.FLOAT;
        float[] fo = floats ? new float[total] : null;
        long[] lo = floats ? null : new long[total];
        if (total == 0) return new OnnxTensor(src.type(), shape, fo, lo);
        int[] position = new int[axes];
        int at = start;
        for (int out = 0; out < total; out += run) {
            if (floats) System.arraycopy(src.floats(), at, fo, out, run);
            else System.arraycopy(src.integers(), at, lo, out, run);
            for (int i = axes - 1; i >= 0; i--) {
                at += step[i];
                if (++position[i] < counts[i]) break;
                at -= counts[i] * step[i];
                position[i] = 0;
            }
        }
        return new OnnxTensor(src.type(), shape, fo, lo);
    }

    /** Gather along {@code axis}: shape data[:axis] + indices + data[axis+1:]; negative indices count from the end. */
    static OnnxTensor gather(OnnxTensor data, OnnxTensor indices, long axisAttr) {
        int ax = axis(axisAttr, data.rank(), "Gather");
        long[] idx = integers(indices, "Gather's indices");
        int dim = data.dim(ax);
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= data.dim(i);
        for (int i = ax + 1; i < data.rank(); i++) inner *= data.dim(i);
        int[] shape = new int[data.rank() - 1 + indices.rank()];
        int at = 0;
        for (int i = 0; i < ax; i++) shape[at++] = data.dim(i);
        for (int i = 0; i < indices.rank(); i++) shape[at++] = indices.dim(i);
        for (int i = ax + 1; i < data.rank(); i++) shape[at++] = data.dim(i);
        int[] rows = new int[idx.length];
        for (int k = 0; k < idx.length; k++) {
            long raw = idx[k];
            if (raw < -dim || raw >= dim) {
                throw new IllegalArgumentException("Gather index " + raw + " is outside [" + -dim + ", " + dim + ")");
            }
            rows[k] = (int) (raw < 0 ? raw + dim : raw);
        }
        boolean floats = data.type() == OnnxTensor.Type.FLOAT;
        int total = outer * idx.length * inner;
        float[] fo = floats ? new float[total] : null;
        long[] lo = floats ? null : new long[total];
        int out = 0;
        for (int o = 0; o < outer; o++) {
            for (int row : rows) {
                int from = (o * dim + row) * inner;
                if (floats) System.arraycopy(data.floats(), from, fo, out, inner);
                else System.arraycopy(data.integers(), from, lo, out, inner);
                out += inner;
            }
        }
        return new OnnxTensor(data.type(), shape, fo, lo);
    }

    static OnnxTensor constantOfShape(long[] dims, OnnxTensor value) {
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("ConstantOfShape: dimension " + dims[i]);
            shape[i] = (int) dims[i];
        }
        int n = (int) OnnxTensor.elements(shape);
        if (value == null || value.type() == OnnxTensor.Type.FLOAT) {
            float[] out = new float[n];
            if (value != null) Arrays.fill(out, value.floats()[0]);
            return OnnxTensor.ofFloats(out, shape);
        }
        long[] out = new long[n];
        Arrays.fill(out, value.integers()[0]);
        return new OnnxTensor(value.type(), shape, null, out);
    }

    /**
     * Cast between float32, int32, int64 and bool: float to integer truncates toward zero (as C
     * casts do), anything to bool is "not zero", bool to a number is 0 or 1.
     */
    static OnnxTensor cast(OnnxTensor data, OnnxTensor.Type to) {
        if (data.type() == to) return data;
        if (to == OnnxTensor.Type.FLOAT) {
            long[] from = data.integers();
            float[] out = new float[from.length];
            for (int i = 0; i < out.length; i++) out[i] = from[i];
            return OnnxTensor.ofFloats(out, data.shape());
        }
        long[] out = new long[data.size()];
        for (int i = 0; i < out.length; i++) {
            boolean fromFloat = data.type() == OnnxTensor.Type.FLOAT;
            if (to == OnnxTensor.Type.BOOL) {
                out[i] = (fromFloat ? data.floats()[i] != 0 : data.integers()[i] != 0) ? 1 : 0;
                continue;
            }
            long v = fromFloat ? (long) data.floats()[i] : data.integers()[i];
            out[i] = to == OnnxTensor.Type.INT32 ? (int) v : v;
        }
        return new OnnxTensor(to, data.shape(), null, out);
    }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        for (int i = shape.length - 1, acc = 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }
}
