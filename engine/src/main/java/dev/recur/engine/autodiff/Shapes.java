package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/** Ops that move data without arithmetic: reshape, slice, concat, swap of the two leading axes. */
public final class Shapes {
    private Shapes() {
    }

    /** Same elements, new shape (a copy, so the result owns its gradient). */
    public static Var reshape(Var x, int... shape) {
        Graph g = x.graph();
        Tensor y = g.arena().copyOf(x.value()).reshape(shape);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            int n = (int) y.size();
            g.record("reshape", () -> g.kernels().axpy(n, 1f, out.grad().data(), 0, x.grad().data(), 0));
        }
        return out;
    }

    /** Rows of a tensor seen as [outer, axisLen * inner]: the geometry of slicing along one axis. */
    private record AxisView(long outer, int axisLen, long inner) {
        static AxisView of(int[] shape, int axis) {
            long outer = 1, inner = 1;
            for (int i = 0; i < axis; i++) outer *= shape[i];
            for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
            return new AxisView(outer, shape[axis], inner);
        }
    }

    private static int normAxis(int axis, int rank) {
        int a = axis < 0 ? rank + axis : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " out of rank " + rank);
        return a;
    }

    /** x[..., from:to, ...] along {@code axis}. */
    public static Var slice(Var x, int axis, int from, int to) {
        Graph g = x.graph();
        int[] shape = x.shape();
        int ax = normAxis(axis, shape.length);
        if (from < 0 || to > shape[ax] || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of axis " + ax + " of " + x);
        }
        AxisView v = AxisView.of(shape, ax);
        int[] os = shape.clone();
        os[ax] = to - from;
        Tensor y = g.arena().empty(os);
        long chunk = (to - from) * v.inner() * Float.BYTES;
        for (long o = 0; o < v.outer(); o++) {
            MemorySegment.copy(x.value().data(), (o * v.axisLen() + from) * v.inner() * Float.BYTES,
                    y.data(), o * chunk, chunk);
        }
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            Kernels k = g.kernels();
            int width = (int) ((to - from) * v.inner());
            g.record("slice", () -> {
                for (long o = 0; o < v.outer(); o++) {
                    k.axpy(width, 1f, out.grad().data(), o * width, x.grad().data(), (o * v.axisLen() + from) * v.inner());
                }
            });
        }
        return out;
    }

    /** Concatenation along {@code axis}; all other axes must agree. */
    public static Var concat(int axis, Var... parts) {
        Graph g = parts[0].graph();
        int[] shape = parts[0].shape();
        int ax = normAxis(axis, shape.length);
        int totalLen = 0;
        for (Var p : parts) {
            int[] s = p.shape();
            for (int i = 0; i < shape.length; i++) {
                if (i != ax && s[i] != shape[i]) {
                    throw new IllegalArgumentException("concat along axis " + ax + " of " + p + " and " + parts[0]);
                }
            }
            totalLen += s[ax];
        }
        final int total = totalLen;
        int[] os = shape.clone();
        os[ax] = total;
        Tensor y = g.arena().empty(os);
        AxisView ov = AxisView.of(os, ax);
        int start = 0;
        for (Var p : parts) {
            int len = p.dim(ax);
            long chunk = len * ov.inner() * Float.BYTES;
            for (long o = 0; o < ov.outer(); o++) {
                MemorySegment.copy(p.value().data(), o * chunk, y.data(), (o * total + start) * ov.inner() * Float.BYTES, chunk);
            }
            start += len;
        }
        Var out = g.result(y, parts);
        if (out.requiresGrad()) {
            Kernels k = g.kernels();
            g.record("concat", () -> {
                int s0 = 0;
                for (Var p : parts) {
                    int len = p.dim(ax);
                    int width = (int) (len * ov.inner());
                    if (p.requiresGrad()) {
                        for (long o = 0; o < ov.outer(); o++) {
                            k.axpy(width, 1f, out.grad().data(), (o * total + s0) * ov.inner(), p.grad().data(), o * width);
                        }
                    }
                    s0 += len;
                }
            });
        }
        return out;
    }

    /** [A, B, ...] -> [B, A, ...]: batch-first to time-major and back. */
    public static Var swapLeadingAxes(Var x) {
        Graph g = x.graph();
        int[] s = x.shape();
        int[] os = s.clone();
        os[0] = s[1];
        os[1] = s[0];
        Tensor y = g.arena().empty(os);
        long inner = s[0] == 0 || s[1] == 0 ? 0 : x.value().size() / ((long) s[0] * s[1]);
        swapInto(x.value().data(), y.data(), s[0], s[1], inner);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            Kernels k = g.kernels();
            g.record("swapLeadingAxes", () -> {
                for (int i = 0; i < s[0]; i++) {
                    for (int j = 0; j < s[1]; j++) {
                        k.axpy((int) inner, 1f, out.grad().data(), ((long) j * s[0] + i) * inner,
                                x.grad().data(), ((long) i * s[1] + j) * inner);
                    }
                }
            });
        }
        return out;
    }

    /** src [a, b, inner] -> dst [b, a, inner]. */
    public static void swapInto(MemorySegment src, MemorySegment dst, int a, int b, long inner) {
        long bytes = inner * Float.BYTES;
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                MemorySegment.copy(src, ((long) i * b + j) * bytes, dst, ((long) j * a + i) * bytes, bytes);
            }
        }
    }
}
