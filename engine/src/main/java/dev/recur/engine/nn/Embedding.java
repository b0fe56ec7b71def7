package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.List;
import java.util.SplittableRandom;

/**
 * torch.nn.Embedding: a table weight [V, E] initialised N(0, 1) as PyTorch does; name
 * {@code prefix + "weight"}.
 */
public final class Embedding implements Module {
    private final TensorArena arena;
    private final Parameter weight;

    public Embedding(String prefix, int numEmbeddings, int embeddingDim, long seed) {
        if (numEmbeddings < 1 || embeddingDim < 1) {
            throw new IllegalArgumentException("Embedding needs V, E >= 1, got " + numEmbeddings + ", " + embeddingDim);
        }
        this.arena = TensorArena.open("embedding " + prefix);
        this.weight = new Parameter(prefix + "weight", arena.zeros(numEmbeddings, embeddingDim), arena.zeros(numEmbeddings, embeddingDim));
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor w = weight.value();
        for (long i = 0; i < w.size(); i++) w.set(i, (float) gaussian(rng));
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public int numEmbeddings() {
        return weight.shape()[0];
    }

    public int embeddingDim() {
        return weight.shape()[1];
    }

    public Parameter weight() {
        return weight;
    }

    /** ids (N of them) -> [N, E], or {@code shape + [E]} (e.g. [T, B] for time-major tokens). */
    public Var forward(Graph g, int[] ids, int... shape) {
        return dev.recur.engine.autodiff.Embedding.lookup(weight.in(g), ids, shape);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight);
    }

    @Override
    public void close() {
        arena.close();
    }
}
