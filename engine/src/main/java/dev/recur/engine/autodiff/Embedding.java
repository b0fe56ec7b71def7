package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Row lookup in an embedding table; the backward scatter-adds into the looked-up rows. */
public final class Embedding {
    private Embedding() {
    }

    /**
     * table [V, E] and N ids -> [N, E], or {@code outShape + [E]} when an output shape is given
     * (its size must be N, e.g. [T, B] for time-major token ids). Repeated ids accumulate.
     */
    public static Var lookup(Var table, int[] ids, int... outShape) {
        Graph g = table.graph();
        Kernels k = g.kernels();
        if (table.value().rank() != 2) {
            throw new IllegalArgumentException("embedding table must be [V, E], got " + table);
        }
        int vocab = table.dim(0), width = table.dim(1);
        int[] rows = ids.clone();
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= vocab) {
                throw new IllegalArgumentException("embedding id " + rows[i] + " at position " + i
                        + " is out of range [0, " + vocab + ") of table " + table);
            }
        }
        int[] shape;
        if (outShape.length == 0) {
            shape = new int[]{rows.length, width};
        } else {
            if (product(outShape) != rows.length) {
                throw new IllegalArgumentException("output shape " + Arrays.toString(outShape) + " does not hold "
                        + rows.length + " ids");
            }
            shape = Arrays.copyOf(outShape, outShape.length + 1);
            shape[outShape.length] = width;
        }
        Tensor y = g.arena().empty(shape);
        MemorySegment tv = table.value().data(), yv = y.data();
        long rowBytes = (long) width * Float.BYTES;
        for (int i = 0; i < rows.length; i++) {
            MemorySegment.copy(tv, rows[i] * rowBytes, yv, i * rowBytes, rowBytes);
        }
        Var out = g.result(y, table);
        if (out.requiresGrad()) {
            g.record("embedding", () -> {
                MemorySegment dy = out.grad().data(), dt = table.grad().data();
                for (int i = 0; i < rows.length; i++) {
                    k.axpy(width, 1f, dy, (long) i * width, dt, (long) rows[i] * width);
                }
            });
        }
        return out;
    }

    private static long product(int[] shape) {
        long p = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            p *= d;
        }
        return p;
    }
}
