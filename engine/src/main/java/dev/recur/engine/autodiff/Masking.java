package dev.recur.engine.autodiff;

import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Zeroes the padded steps of a time-major batch [T, B, F] (step t of sample b is padded when
 * t >= lengths[b]). It selects rather than multiplies, so garbage in the padding (NaN included)
 * never reaches anything downstream; the gradient of padded steps is zero.
 */
public final class Masking {
    private Masking() {
    }

    public static Var zeroPadded(Var x, int[] lengths) {
        Graph g = x.graph();
        int steps = x.dim(0), batch = x.dim(1);
        long features = x.value().size() / Math.max(1, (long) steps * batch);
        Tensor y = g.arena().empty(x.shape());
        long rowBytes = features * Float.BYTES;
        MemorySegment src = x.value().data(), dst = y.data();
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                long at = ((long) t * batch + b) * rowBytes;
                if (t < lengths[b]) {
                    MemorySegment.copy(src, at, dst, at, rowBytes);
                } else {
                    dst.asSlice(at, rowBytes).fill((byte) 0);
                }
            }
        }
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("zeroPadded", () -> {
                for (int t = 0; t < steps; t++) {
                    for (int b = 0; b < batch; b++) {
                        if (t < lengths[b]) {
                            long at = ((long) t * batch + b) * features;
                            g.kernels().axpy((int) features, 1f, out.grad().data(), at, x.grad().data(), at);
                        }
                    }
                }
            });
        }
        return out;
    }
}
