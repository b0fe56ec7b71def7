package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.random.RandomGenerator;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/** Inverted dropout: kept elements are scaled by 1/(1-p) so that inference needs no rescaling. */
public final class Dropout {
    private Dropout() {
    }

    /**
     * Zeroes each element with probability {@code p} and scales the rest by 1/(1-p). Returns
     * {@code x} itself when {@code !training} or {@code p == 0}. The mask is drawn once here (one
     * {@code rng.nextFloat()} per element, in row-major order) and reused by the backward.
     */
    public static Var apply(Var x, float p, boolean training, RandomGenerator rng) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (!training || p == 0f) {
            return x;
        }
        Objects.requireNonNull(rng, "dropout in training needs a random generator");
        Graph g = x.graph();
        Kernels k = g.kernels();
        int n = (int) x.value().size();
        float keep = 1f / (1f - p);
        Tensor mask = g.arena().empty(x.shape());
        MemorySegment m = mask.data();
        for (int i = 0; i < n; i++) m.setAtIndex(JAVA_FLOAT, i, rng.nextFloat() < p ? 0f : keep);
        Tensor y = g.arena().empty(x.shape());
        k.mul(n, x.value().data(), 0, m, 0, y.data(), 0);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("dropout", () -> k.mulAccumulate(n, out.grad().data(), 0, m, 0, x.grad().data(), 0));
        }
        return out;
    }
}
