package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * add, sub, mul with NumPy/PyTorch broadcasting. Equal shapes and a trailing row vector (a bias
 * [N] against [..., N]) run on the kernels; any other broadcast runs an index loop, and its
 * backward reduces the gradient over the broadcast axes.
 */
public final class Elementwise {
    private Elementwise() {
    }

    private enum Kind { ADD, SUB, MUL }

    public static Var add(Var a, Var b) {
        return apply(Kind.ADD, a, b);
    }

    public static Var sub(Var a, Var b) {
        return apply(Kind.SUB, a, b);
    }

    public static Var mul(Var a, Var b) {
        return apply(Kind.MUL, a, b);
    }

    /** x [..., N] + bias [N]. */
    public static Var addBias(Var x, Var bias) {
        if (bias.value().rank() != 1 || bias.dim(0) != x.dim(-1)) {
            throw new IllegalArgumentException("bias " + bias + " does not match the last axis of " + x);
        }
        return apply(Kind.ADD, x, bias);
    }

    /** Multiplies every element by a constant. */
    public static Var scale(Var x, float alpha) {
        Graph g = x.graph();
        Kernels k = g.kernels();
        int n = (int) x.value().size();
        Tensor y = g.arena().copyOf(x.value());
        k.scale(n, alpha, y.data(), 0);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("scale", () -> k.axpy(n, alpha, out.grad().data(), 0, x.grad().data(), 0));
        }
        return out;
    }

    /** Element strides of {@code shape} seen through the broadcast {@code outShape} (0 on broadcast axes). */
    private static long[] broadcastStrides(int[] shape, int[] outShape) {
        long[] strides = new long[outShape.length];
        long s = 1;
        for (int i = outShape.length - 1; i >= 0; i--) {
            int src = i - (outShape.length - shape.length);
            if (src >= 0 && shape[src] != 1) {
                strides[i] = s;
            }
            if (src >= 0) {
                s *= shape[src];
            }
        }
        return strides;
    }

    /** True when {@code small} equals the trailing axes of {@code big}: a row vector repeated. */
    private static boolean isTrailing(int[] small, int[] big) {
        if (small.length > big.length) return false;
        for (int i = 0; i < small.length; i++) {
            if (small[small.length - 1 - i] != big[big.length - 1 - i]) return false;
        }
        return true;
    }

    private static Var apply(Kind kind, Var a, Var b) {
        Graph g = a.graph();
        Kernels k = g.kernels();
        int[] sa = a.shape(), sb = b.shape();
        int[] so = Tensor.broadcastShape(sa, sb);
        Tensor out = g.arena().empty(so);
        int n = (int) out.size();
        MemorySegment av = a.value().data(), bv = b.value().data(), ov = out.data();
        boolean same = Arrays.equals(sa, so) && Arrays.equals(sb, so);
        boolean bRow = !same && Arrays.equals(sa, so) && isTrailing(sb, so);
        if (same) {
            switch (kind) {
                case ADD -> k.add(n, av, 0, bv, 0, ov, 0);
                case SUB -> k.sub(n, av, 0, bv, 0, ov, 0);
                case MUL -> k.mul(n, av, 0, bv, 0, ov, 0);
            }
        } else if (bRow) {
            int cols = (int) b.value().size();
            int rows = cols == 0 ? 0 : n / cols;
            for (int r = 0; r < rows; r++) {
                long off = (long) r * cols;
                switch (kind) {
                    case ADD -> k.add(cols, av, off, bv, 0, ov, off);
                    case SUB -> k.sub(cols, av, off, bv, 0, ov, off);
                    case MUL -> k.mul(cols, av, off, bv, 0, ov, off);
                }
            }
        } else {
            broadcastLoop(kind, so, a.value(), b.value(), out);
        }
        Var result = g.result(out, a, b);
        if (result.requiresGrad()) {
            g.record(kind.name().toLowerCase(), () -> {
                MemorySegment d = result.grad().data();
                if (same) {
                    if (a.requiresGrad()) {
                        if (kind == Kind.MUL) k.mulAccumulate(n, d, 0, bv, 0, a.grad().data(), 0);
                        else k.axpy(n, 1f, d, 0, a.grad().data(), 0);
                    }
                    if (b.requiresGrad()) {
                        if (kind == Kind.MUL) k.mulAccumulate(n, d, 0, av, 0, b.grad().data(), 0);
                        else k.axpy(n, kind == Kind.SUB ? -1f : 1f, d, 0, b.grad().data(), 0);
                    }
                } else if (bRow && kind != Kind.MUL) {
                    int cols = (int) b.value().size();
                    int rows = cols == 0 ? 0 : n / cols;
                    if (a.requiresGrad()) k.axpy(n, 1f, d, 0, a.grad().data(), 0);
                    if (b.requiresGrad()) {
                        if (kind == Kind.ADD) {
                            k.sumRows(rows, cols, d, 0, cols, b.grad().data(), 0);
                        } else {
                            Tensor tmp = g.arena().zeros(b.shape());
                            k.sumRows(rows, cols, d, 0, cols, tmp.data(), 0);
                            k.axpy(cols, -1f, tmp.data(), 0, b.grad().data(), 0);
                        }
                    }
                } else {
                    broadcastBackward(kind, so, a, b, result.grad());
                }
            });
        }
        return result;
    }

    private static float combine(Kind kind, float x, float y) {
        return switch (kind) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
        };
    }

    /**
     * Walks every index of the broadcast output shape in row-major order, carrying the matching
     * flat offsets {@code a} and {@code b} into the two operands (stride 0 on broadcast axes).
     */
    private static final class BroadcastCursor {
        private final int[] shape;
        private final long[] strideA, strideB;
        private final int[] idx;
        long a, b;

        BroadcastCursor(int[] outShape, int[] shapeA, int[] shapeB) {
            shape = outShape;
            strideA = broadcastStrides(shapeA, outShape);
            strideB = broadcastStrides(shapeB, outShape);
            idx = new int[outShape.length];
        }

        void advance() {
            for (int ax = shape.length - 1; ax >= 0; ax--) {
                idx[ax]++;
                a += strideA[ax];
                b += strideB[ax];
                if (idx[ax] < shape[ax]) return;
                a -= strideA[ax] * shape[ax];
                b -= strideB[ax] * shape[ax];
                idx[ax] = 0;
            }
        }
    }

    private static void broadcastLoop(Kind kind, int[] so, Tensor a, Tensor b, Tensor out) {
        BroadcastCursor at = new BroadcastCursor(so, a.shape(), b.shape());
        for (long o = 0; o < out.size(); o++, at.advance()) {
            out.data().setAtIndex(JAVA_FLOAT, o,
                    combine(kind, a.data().getAtIndex(JAVA_FLOAT, at.a), b.data().getAtIndex(JAVA_FLOAT, at.b)));
        }
    }

    private static void broadcastBackward(Kind kind, int[] so, Var a, Var b, Tensor d) {
        MemorySegment av = a.value().data(), bv = b.value().data();
        MemorySegment da = a.requiresGrad() ? a.grad().data() : null;
        MemorySegment db = b.requiresGrad() ? b.grad().data() : null;
        BroadcastCursor at = new BroadcastCursor(so, a.shape(), b.shape());
        for (long o = 0; o < d.size(); o++, at.advance()) {
            float g = d.data().getAtIndex(JAVA_FLOAT, o);
            float ga = kind == Kind.MUL ? g * bv.getAtIndex(JAVA_FLOAT, at.b) : g;
            float gb = switch (kind) {
                case ADD -> g;
                case SUB -> -g;
                case MUL -> g * av.getAtIndex(JAVA_FLOAT, at.a);
            };
            if (da != null) da.setAtIndex(JAVA_FLOAT, at.a, da.getAtIndex(JAVA_FLOAT, at.a) + ga);
            if (db != null) db.setAtIndex(JAVA_FLOAT, at.b, db.getAtIndex(JAVA_FLOAT, at.b) + gb);
        }
    }
}
