package dev.recur.engine.autodiff;

import dev.recur.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/** Reductions to a scalar (a rank-0 tensor, shape {@code []}). */
public final class Reductions {
    private Reductions() {
    }

    /** The sum of every element, accumulated in double. */
    public static Var sum(Var x) {
        Graph g = x.graph();
        MemorySegment xv = x.value().data();
        long n = x.value().size();
        double s = 0;
        for (long i = 0; i < n; i++) s += xv.getAtIndex(JAVA_FLOAT, i);
        Tensor y = g.arena().of(new float[]{(float) s});
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("sum", () -> {
                float d = out.grad().get(0);
                MemorySegment dx = x.grad().data();
                for (long i = 0; i < n; i++) dx.setAtIndex(JAVA_FLOAT, i, dx.getAtIndex(JAVA_FLOAT, i) + d);
            });
        }
        return out;
    }
}
