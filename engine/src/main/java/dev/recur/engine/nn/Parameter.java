package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.tensor.Tensor;

import java.util.Arrays;
import java.util.Objects;

/** A named model parameter: its value and its gradient, both owned by the model's arena. */
public final class Parameter {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

    /**
     * A parameter over existing tensors (modules create theirs in their own arena; optimizers and
     * tests may build one over any pair). {@code grad} must have the shape of {@code value}.
     */
    public Parameter(String name, Tensor value, Tensor grad) {
        this.name = Objects.requireNonNull(name, "name");
        this.value = Objects.requireNonNull(value, "value");
        this.grad = Objects.requireNonNull(grad, "grad");
        if (!Arrays.equals(value.shape(), grad.shape())) {
            throw new IllegalArgumentException("parameter '" + name + "': gradient shape " + Tensor.shapeString(grad.shape())
                    + " differs from value shape " + Tensor.shapeString(value.shape()));
        }
    }

    /** PyTorch's state_dict key, e.g. {@code weight_hh_l1_reverse}. */
    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor grad() {
        return grad;
    }

    public int[] shape() {
        return value.shape();
    }

    /** This parameter as a leaf of {@code graph}; its gradient accumulates into {@link #grad()}. */
    public Var in(Graph graph) {
        return graph.parameter(value, graph.recording() ? grad : null);
    }

    public void zeroGrad() {
        grad.fill(0f);
    }

    @Override
    public String toString() {
        return name + Tensor.shapeString(value.shape());
    }
}
