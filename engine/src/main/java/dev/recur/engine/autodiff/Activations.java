package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

/** Pointwise nonlinearities; each backward uses the saved output. */
public final class Activations {
    private Activations() {
    }

    public static Var sigmoid(Var x) {
        Graph g = x.graph();
        Kernels k = g.kernels();
        int n = (int) x.value().size();
        Tensor y = g.arena().empty(x.shape());
        k.sigmoid(n, x.value().data(), 0, y.data(), 0);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("sigmoid", () -> k.sigmoidBackward(n, out.grad().data(), 0, y.data(), 0, x.grad().data(), 0));
        }
        return out;
    }

    public static Var tanh(Var x) {
        Graph g = x.graph();
        Kernels k = g.kernels();
        int n = (int) x.value().size();
        Tensor y = g.arena().empty(x.shape());
        k.tanh(n, x.value().data(), 0, y.data(), 0);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("tanh", () -> k.tanhBackward(n, out.grad().data(), 0, y.data(), 0, x.grad().data(), 0));
        }
        return out;
    }

    public static Var relu(Var x) {
        Graph g = x.graph();
        Kernels k = g.kernels();
        int n = (int) x.value().size();
        Tensor y = g.arena().empty(x.shape());
        k.relu(n, x.value().data(), 0, y.data(), 0);
        Var out = g.result(y, x);
        if (out.requiresGrad()) {
            g.record("relu", () -> k.reluBackward(n, out.grad().data(), 0, y.data(), 0, x.grad().data(), 0));
        }
        return out;
    }
}
