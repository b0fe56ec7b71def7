package dev.recur.engine.autodiff;

import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/** Picks one time step per sample out of a time-major batch. */
public final class Gather {
    private Gather() {
    }

    /**
     * x [T, B, F] and steps [B] (each in 0..T-1) -> [B, F] with row b = x[steps[b], b, :]. Nothing
     * else of x is read, so padded steps (garbage included) never reach the result; the backward
     * adds row b of the gradient into x's gradient at (steps[b], b) only.
     */
    public static Var stepPerSample(Var x, int[] steps) {
        Graph g = x.graph();
        if (x.value().rank() != 3) {
            throw new IllegalArgumentException("stepPerSample needs x [T, B, F], got " + x);
        }
        int t = x.dim(0), batch = x.dim(1), features = x.dim(2);
        if (steps.length != batch) {
            throw new IllegalArgumentException(steps.length + " steps for batch " + batch + " of " + x);
        }
        int[] at = steps.clone();
        for (int b = 0; b < batch; b++) {
            if (at[b] < 0 || at[b] >= t) {
                throw new IllegalArgumentException("step " + at[b] + " of sample " + b + " is out of range [0, " + t + ")");
            }
        }
        Tensor y = g.arena().empty(batch, features);
        long rowBytes = (long) features * Float.BYTES;
        MemorySegment src = x.value().data(), dst = y.data();
        for (int b = 0; b < batch; b++) {
            MemorySegment.copy(src, ((long) at[b] * batch + b) * rowBytes, dst, b * rowBytes, rowBytes);
        }
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("stepPerSample", () -> {
                for (int b = 0; b < batch; b++) {
                    g.kernels().axpy(features, 1f, out.grad().data(), (long) b * features,
                            x.grad().data(), ((long) at[b] * batch + b) * features);
                }
            });
        }
        return out;
    }
}
