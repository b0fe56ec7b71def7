package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Central differences over every element of every parameter of a small model against the
 * gradients its backward leaves in {@link Parameter#grad()}; relative L2 per parameter (same
 * precision budget as autodiff's GradCheck: float32 loss, h = 1e-2, tolerance 2e-3; see
 * {@link #NORM_FLOOR} for parameters with tiny gradients).
 */
final class ModelGradCheck {
    static final double STEP = 1e-2, TOLERANCE = 2e-3;
    /**
     * The float32 loss carries noise of about 1e-7, which a central difference turns into about
     * 5e-6 per element: a parameter whose whole gradient is ~1e-3 (a deep recurrent weight) would
     * show relative errors of 1e-2 from noise alone. Below this gradient norm the error is taken
     * relative to the floor instead, i.e. an absolute bound of TOLERANCE * NORM_FLOOR = 4e-5,
     * still far below what a wrong gradient of that size gives.
     */
    static final double NORM_FLOOR = 2e-2;

    private ModelGradCheck() {
    }

    /** Returns the worst relative error; fails on any parameter above the tolerance. */
    static double check(Module model, Kernels kernels, Function<Graph, Var> loss) {
        return check(model, kernels, loss, m -> { });
    }

    /** As above; {@code tamper} may alter the analytic gradients first (to show the check catches a wrong one). */
    static double check(Module model, Kernels kernels, Function<Graph, Var> loss, java.util.function.Consumer<Module> tamper) {
        model.zeroGrad();
        try (Graph g = Graph.training(kernels)) {
            g.backward(loss.apply(g));
        }
        tamper.accept(model);
        double worst = 0;
        for (Parameter p : model.parameters()) {
            float[] analytic = p.grad().toArray();
            double[] numeric = new double[analytic.length];
            Tensor v = p.value();
            for (int i = 0; i < analytic.length; i++) {
                float x = v.get(i);
                v.set(i, (float) (x + STEP));
                double plus = evaluate(kernels, loss);
                v.set(i, (float) (x - STEP));
                double minus = evaluate(kernels, loss);
                v.set(i, x);
                numeric[i] = (plus - minus) / (2 * STEP);
            }
            double diff = 0, na = 0, nn = 0;
            for (int i = 0; i < analytic.length; i++) {
                diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
                na += (double) analytic[i] * analytic[i];
                nn += numeric[i] * numeric[i];
            }
            double err = Math.sqrt(diff) / Math.max(Math.sqrt(Math.max(na, nn)), NORM_FLOOR);
            assertThat(err).as("gradient of %s", p.name()).isLessThan(TOLERANCE);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    private static double evaluate(Kernels kernels, Function<Graph, Var> loss) {
        try (Graph g = Graph.inference(kernels)) {
            return loss.apply(g).value().get(0);
        }
    }
}
