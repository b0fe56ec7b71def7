package dev.recur.engine.autodiff;

import dev.recur.engine.tensor.Tensor;

/**
 * A value in a {@link Graph}: its tensor, and (when it needs one) its gradient, allocated lazily
 * and accumulated by the backward pass. Parameters' gradients live with the model, so that a
 * graph's close frees activations but keeps what the optimizer needs.
 */
public final class Var {
    private final Graph graph;
    private final Tensor value;
    private final boolean requiresGrad;
    private Tensor grad;

    Var(Graph graph, Tensor value, boolean requiresGrad, Tensor gradStorage) {
        this.graph = graph;
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.grad = gradStorage;
    }

    public Tensor value() {
        return value;
    }

    public int[] shape() {
        return value.shape();
    }

    public int dim(int axis) {
        return value.dim(axis);
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public Graph graph() {
        return graph;
    }

    /** The gradient, zero-filled on first use; null when this value needs none. */
    public Tensor grad() {
        if (!requiresGrad) {
            return null;
        }
        if (grad == null) {
            grad = graph.arena().zeros(value.shape());
        }
        return grad;
    }

    /** True once something has been accumulated (or storage was given). */
    public boolean hasGrad() {
        return grad != null;
    }

    @Override
    public String toString() {
        return "Var" + Tensor.shapeString(value.shape()) + (requiresGrad ? " (grad)" : "");
    }
}
