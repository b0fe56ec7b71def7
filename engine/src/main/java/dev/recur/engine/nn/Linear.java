package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Elementwise;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.MatMul;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * torch.nn.Linear: y = x W^T + b, weight [out, in], bias [out], over x [..., in] (every leading
 * axis is a batch axis, so [T, B, F] gives a time-distributed layer). PyTorch's initialisation:
 * kaiming_uniform(a = sqrt 5) for the weight, which is uniform in ±1/sqrt(in), and the bias
 * uniform in ±1/sqrt(in). Names: {@code prefix + "weight"}, {@code prefix + "bias"}.
 */
public final class Linear implements Module {
    private final int inFeatures, outFeatures;
    private final TensorArena arena;
    private final Parameter weight, bias;

    public Linear(String prefix, int inFeatures, int outFeatures, boolean bias, long seed) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear needs in, out >= 1, got " + inFeatures + ", " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.arena = TensorArena.open("linear " + prefix);
        this.weight = new Parameter(prefix + "weight", arena.zeros(outFeatures, inFeatures), arena.zeros(outFeatures, inFeatures));
        this.bias = bias ? new Parameter(prefix + "bias", arena.zeros(outFeatures), arena.zeros(outFeatures)) : null;
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(inFeatures);
        uniform(weight.value(), bound, rng);
        if (this.bias != null) uniform(this.bias.value(), bound, rng);
    }

    public Linear(String prefix, int inFeatures, int outFeatures, long seed) {
        this(prefix, inFeatures, outFeatures, true, seed);
    }

    static void uniform(Tensor t, double bound, SplittableRandom rng) {
        for (long i = 0; i < t.size(); i++) t.set(i, (float) rng.nextDouble(-bound, bound));
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null without one. */
    public Parameter bias() {
        return bias;
    }

    /** x [..., in] -> [..., out]. */
    public Var forward(Graph g, Var x) {
        int[] shape = x.shape();
        if (shape.length == 0 || shape[shape.length - 1] != inFeatures) {
            throw new IllegalArgumentException("Linear " + weight.name() + " expects [..., " + inFeatures + "], got "
                    + Tensor.shapeString(shape));
        }
        int rows = (int) (x.value().size() / inFeatures);
        Var flat = shape.length == 2 ? x : Shapes.reshape(x, rows, inFeatures);
        Var y = MatMul.matmul(flat, weight.in(g), false, true);
        if (bias != null) y = Elementwise.addBias(y, bias.in(g));
        if (shape.length == 2) return y;
        int[] outShape = shape.clone();
        outShape[shape.length - 1] = outFeatures;
        return Shapes.reshape(y, outShape);
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>(2);
        out.add(weight);
        if (bias != null) out.add(bias);
        return List.copyOf(out);
    }

    @Override
    public void close() {
        arena.close();
    }
}
