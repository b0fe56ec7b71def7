package dev.recur.engine.onnx;

import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.tensor.Tensor;

import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * The arithmetic operators of ONNX on {@link OnnxTensor}s, written for reading, not speed: they run
 * around the recurrent layers (a classifier's head, an exporter's unrolled RNN at batch sizes of a
 * service), where the recurrence dominates. Broadcasting is ONNX's (numpy's) multidirectional rule.
 */
final class OnnxTensorMath {
    private OnnxTensorMath() {
    }

    /** For each element of {@code out}, the index of the element of a tensor of shape {@code in} it broadcasts from. */
    static int[] broadcastIndex(int[] in, int[] out) {
        int n = (int) OnnxTensor.elements(out);
        int[] index = new int[n];
        int rank = out.length, offset = rank - in.length;
        int[] strides = new int[rank];
        for (int i = rank - 1, s = 1; i >= offset; i--) {
            strides[i] = in[i - offset] == 1 ? 0 : s;
            s *= in[i - offset];
        }
        int[] position = new int[rank];
        for (int flat = 0; flat < n; flat++) {
            int at = 0;
            for (int i = 0; i < rank; i++) at += position[i] * strides[i];
            index[flat] = at;
            for (int i = rank - 1; i >= 0; i--) {
                if (++position[i] < out[i]) break;
                position[i] = 0;
            }
        }
        return index;
    }

    interface FloatBinary {
        float apply(float a, float b);
    }

    /** a op b with broadcasting; both float32, or both integer (longs through {@code integers}). */
    static OnnxTensor binary(String op, OnnxTensor a, OnnxTensor b, FloatBinary floats, LongBinaryOperator integers) {
        if (a.type() != b.type()) {
            throw new IllegalArgumentException(op + " of " + a.describe() + " and " + b.describe() + ": the types differ");
        }
        int[] shape = Tensor.broadcastShape(a.shape(), b.shape());
        int[] ia = broadcastIndex(a.shape(), shape), ib = broadcastIndex(b.shape(), shape);
        if (a.type() == OnnxTensor.Type.FLOAT) {
            float[] x = a.floats(), y = b.floats(), out = new float[ia.length];
            for (int i = 0; i < out.length; i++) out[i] = floats.apply(x[ia[i]], y[ib[i]]);
            return OnnxTensor.ofFloats(out, shape);
        }
        if (integers == null) throw new IllegalArgumentException(op + " of " + a.describe() + ": float32 only");
        long[] x = a.integers(), y = b.integers(), out = new long[ia.length];
        for (int i = 0; i < out.length; i++) out[i] = integers.applyAsLong(x[ia[i]], y[ib[i]]);
        if (a.type() == OnnxTensor.Type.INT32) {
            for (int i = 0; i < out.length; i++) out[i] = (int) out[i];   // int32 arithmetic wraps
        }
        return new OnnxTensor(a.type(), shape, null, out);
    }

    /** a == b with broadcasting, as bool; both of one type (any). */
    static OnnxTensor equal(OnnxTensor a, OnnxTensor b) {
        if (a.type() != b.type()) throw new IllegalArgumentException("Equal of " + a.describe() + " and " + b.describe() + ": the types differ");
        int[] shape = Tensor.broadcastShape(a.shape(), b.shape());
        int[] ia = broadcastIndex(a.shape(), shape), ib = broadcastIndex(b.shape(), shape);
        long[] out = new long[ia.length];
        for (int i = 0; i < out.length; i++) {
            boolean same = a.type() == OnnxTensor.Type.FLOAT ? a.floats()[ia[i]] == b.floats()[ib[i]]
                    : a.integers()[ia[i]] == b.integers()[ib[i]];
            out[i] = same ? 1 : 0;
        }
        return new OnnxTensor(OnnxTensor.Type.BOOL, shape, null, out);
    }

    /** condition ? x : y, element by element with broadcasting of all three; x and y of one type. */
    static OnnxTensor where(OnnxTensor condition, OnnxTensor x, OnnxTensor y) {
        if (condition.type() != OnnxTensor.Type.BOOL) throw new IllegalArgumentException("Where's condition is " + condition.describe() + ", expected bool");
        if (x.type() != y.type()) throw new IllegalArgumentException("Where of " + x.describe() + " and " + y.describe() + ": the types differ");
        int[] shape = Tensor.broadcastShape(condition.shape(), Tensor.broadcastShape(x.shape(), y.shape()));
        int[] ic = broadcastIndex(condition.shape(), shape), ix = broadcastIndex(x.shape(), shape), iy = broadcastIndex(y.shape(), shape);
        if (x.type() == OnnxTensor.Type.FLOAT) {
            float[] out = new float[ic.length];
            for (int i = 0; i < out.length; i++) out[i] = condition.integers()[ic[i]] != 0 ? x.floats()[ix[i]] : y.floats()[iy[i]];
            return OnnxTensor.ofFloats(out, shape);
        }
        long[] out = new long[ic.length];
        for (int i = 0; i < out.length; i++) out[i] = condition.integers()[ic[i]] != 0 ? x.integers()[ix[i]] : y.integers()[iy[i]];
        return new OnnxTensor(x.type(), shape, null, out);
    }

    /** A float32 function applied element by element (in double, rounded once). */
    static OnnxTensor unary(String op, OnnxTensor a, DoubleUnaryOperator f) {
        if (a.type() != OnnxTensor.Type.FLOAT) throw new IllegalArgumentException(op + " of " + a.describe() + ": float32 only");
        float[] x = a.floats(), out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) f.applyAsDouble(x[i]);
        return OnnxTensor.ofFloats(out, a.shape());
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /**
     * numpy's matmul: 2-D is the matrix product; N-D is a batch of them over the leading axes
     * (broadcast); a 1-D left operand gains a leading 1 and a 1-D right one a trailing 1, both
     * removed from the result. Float32, summed in double.
     */
    static OnnxTensor matMul(OnnxTensor a, OnnxTensor b) {
        if (a.type() != OnnxTensor.Type.FLOAT || b.type() != OnnxTensor.Type.FLOAT) {
            throw new IllegalArgumentException("MatMul of " + a.describe() + " and " + b.describe() + ": float32 only");
        }
        int[] sa = a.shape(), sb = b.shape();
        boolean vectorA = sa.length == 1, vectorB = sb.length == 1;
        if (vectorA) sa = new int[]{1, sa[0]};
        if (vectorB) sb = new int[]{sb[0], 1};
        int m = sa[sa.length - 2], k = sa[sa.length - 1], n = sb[sb.length - 1];
        if (sb[sb.length - 2] != k) {
            throw new IllegalArgumentException("MatMul of " + a.describe() + " and " + b.describe() + ": inner dimensions differ");
        }
        int[] batchA = java.util.Arrays.copyOf(sa, sa.length - 2), batchB = java.util.Arrays.copyOf(sb, sb.length - 2);
        int[] batch = Tensor.broadcastShape(batchA, batchB);
        int[] ia = broadcastIndex(batchA, batch), ib = broadcastIndex(batchB, batch);
        float[] x = a.floats(), y = b.floats(), out = new float[ia.length * m * n];
        for (int p = 0; p < ia.length; p++) {
            int xa = ia[p] * m * k, yb = ib[p] * k * n, o = p * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int q = 0; q < k; q++) sum += (double) x[xa + i * k + q] * y[yb + q * n + j];
                    out[o + i * n + j] = (float) sum;
                }
            }
        }
        int[] shape = new int[batch.length + (vectorA ? 0 : 1) + (vectorB ? 0 : 1)];
        System.arraycopy(batch, 0, shape, 0, batch.length);
        int at = batch.length;
        if (!vectorA) shape[at++] = m;
        if (!vectorB) shape[at] = n;
        return OnnxTensor.ofFloats(out, shape);
    }

    /** ONNX Gemm: alpha·op(A)·op(B) + beta·C, A and B 2-D, C broadcast to [M, N] or absent. */
    static OnnxTensor gemm(OnnxTensor a, OnnxTensor b, OnnxTensor c, boolean transA, boolean transB, float alpha, float beta) {
        if (a.rank() != 2 || b.rank() != 2 || a.type() != OnnxTensor.Type.FLOAT || b.type() != OnnxTensor.Type.FLOAT) {
            throw new IllegalArgumentException("Gemm of " + a.describe() + " and " + b.describe() + ": 2-D float32 only");
        }
        int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
        if (k != kb) throw new IllegalArgumentException("Gemm of " + a.describe() + " and " + b.describe() + ": inner dimensions differ");
        float[] x = a.floats(), y = b.floats(), out = new float[m * n];
        int[] ic = c == null ? null : broadcastIndex(c.shape(), new int[]{m, n});
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int q = 0; q < k; q++) {
                    sum += (double) x[transA ? q * m + i : i * k + q] * y[transB ? j * k + q : q * n + j];
                }
                double value = alpha * sum;
                if (c != null) value += (double) beta * c.floats()[ic[i * n + j]];
                out[i * n + j] = (float) value;
            }
        }
        return OnnxTensor.ofFloats(out, m, n);
    }

    /** Softmax (or its log) along {@code axis} (opset 13 and later: that axis alone). */
    static OnnxTensor softmax(OnnxTensor a, int axis, boolean log) {
        if (a.type() != OnnxTensor.Type.FLOAT) throw new IllegalArgumentException("Softmax of " + a.describe() + ": float32 only");
        int[] shape = a.shape();
        int outer = 1, inner = 1, width = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        float[] x = a.floats(), out = new float[x.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * width * inner + in;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int w = 0; w < width; w++) max = Math.max(max, x[base + w * inner]);
                for (int w = 0; w < width; w++) sum += Math.exp(x[base + w * inner] - max);
                for (int w = 0; w < width; w++) {
                    double shifted = x[base + w * inner] - max;
                    out[base + w * inner] = (float) (log ? shifted - Math.log(sum) : Math.exp(shifted) / sum);
                }
            }
        }
        return OnnxTensor.ofFloats(out, shape);
    }
}
