package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;

import java.util.List;
import java.util.SplittableRandom;

/**
 * torch.nn.Dropout as a module: active in training mode ({@link #train()}, the default) on a
 * recording graph, the identity in {@link #eval()} mode or on an inference graph. Its mask stream
 * comes from its own seeded generator, so runs are reproducible. No parameters.
 */
public final class Dropout implements Module {
    private final float p;
    private final SplittableRandom rng;
    private boolean training = true;

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.rng = new SplittableRandom(seed);
    }

    public Dropout train() {
        training = true;
        return this;
    }

    public Dropout eval() {
        training = false;
        return this;
    }

    public boolean training() {
        return training;
    }

    public float p() {
        return p;
    }

    public Var forward(Graph g, Var x) {
        return dev.recur.engine.autodiff.Dropout.apply(x, p, training && g.recording(), rng);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public void close() {
    }
}
