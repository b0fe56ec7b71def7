package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Finite-difference gradient checks for autodiff ops, one line per op:
 * <pre>{@code
 * GradCheck.check(kernels, v -> Elementwise.mul(v[0], v[1]), GradCheck.uniform(rng, 4, 3), GradCheck.uniform(rng, 4, 1));
 * }</pre>
 * The op receives one {@link Var} per input (leaves created with {@link Graph#variable}), and its
 * output is reduced to L = sum(out * W) for a fixed random W (seeded, same shape as out). The
 * analytic gradients come from {@link Graph#backward} seeded with W (dL/dout = W, which keeps the
 * check independent of the mul and sum ops); the numerical ones from central differences
 * (L(x + h) - L(x - h)) / 2h with L accumulated in double.
 *
 * <p>Precision: the values are float32, so each forward evaluation carries rounding noise of about
 * 6e-8 relative to the outputs, which the difference quotient amplifies by |L| / (2h |dL/dx|);
 * the truncation error of central differences is O(h^2 f''') = about 1e-4 relative for h = 1e-2
 * and smooth O(1) inputs (a smaller h trades truncation error for more float noise).
 * Measured on this suite: median 6e-7, 90th percentile 1e-5, worst 3.3e-5. The
 * tolerance on the relative L2 error (||analytic - numeric|| / max(||analytic||, ||numeric||)),
 * {@value #DEFAULT_TOLERANCE}, sits well above that noise and well below what a wrong gradient
 * gives: a missing term, a transposed index or a wrong sign gives O(1), and even a 1% scale error
 * is caught ({@code GradientCheckTest.checkerCatchesASlightlyWrongGradient}). Ops with kinks (relu) need
 * inputs farther than h from the kink: see {@link #awayFromZero}.
 */
public final class GradCheck {
    public static final double DEFAULT_STEP = 1e-2;
    public static final double DEFAULT_TOLERANCE = 2e-3;
    /** Seed of the W that weighs the op's output. */
    public static final long WEIGHT_SEED = 0x5EED_0F_3L;

    private GradCheck() {
    }

    /** One input of the op under test: row-major values and a shape. */
    public record Input(float[] values, int[] shape) {
        public Input {
            values = values.clone();
            shape = shape.clone();
            long n = 1;
            for (int d : shape) n *= d;
            if (n != values.length) {
                throw new IllegalArgumentException(values.length + " values for shape " + Arrays.toString(shape));
            }
        }

        @Override
        public String toString() {
            return "Input" + Arrays.toString(shape);
        }
    }

    /** Per-input relative L2 errors, plus the worst element of each, for messages and logs. */
    public record Result(double[] relativeErrors, String report) {
    }

    public static Input input(float[] values, int... shape) {
        return new Input(values, shape);
    }

    /** Uniform values in [-1, 1). */
    public static Input uniform(RandomGenerator rng, int... shape) {
        return uniform(rng, -1f, 1f, shape);
    }

    public static Input uniform(RandomGenerator rng, float lo, float hi, int... shape) {
        float[] v = new float[size(shape)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
        return new Input(v, shape);
    }

    /** Values with |v| in [margin, 1], random sign: safe for kinks at 0 when margin > step. */
    public static Input awayFromZero(RandomGenerator rng, float margin, int... shape) {
        float[] v = new float[size(shape)];
        for (int i = 0; i < v.length; i++) {
            float m = margin + (1f - margin) * rng.nextFloat();
            v[i] = rng.nextBoolean() ? m : -m;
        }
        return new Input(v, shape);
    }

    /** {@link #check(Kernels, double, double, Function, Input...)} with the default step and tolerance. */
    public static Result check(Kernels kernels, Function<Var[], Var> op, Input... inputs) {
        return check(kernels, DEFAULT_STEP, DEFAULT_TOLERANCE, op, inputs);
    }

    /**
     * Checks every input's gradient of L = sum(op(inputs) * W); throws {@link AssertionError}
     * naming the input, its error and its worst element when a relative L2 error exceeds
     * {@code tolerance}. The op must be deterministic (draw random masks from a generator seeded
     * inside the lambda), since it runs 2 * (total input size) + 1 times.
     */
    public static Result check(Kernels kernels, double step, double tolerance, Function<Var[], Var> op,
                               Input... inputs) {
        float[][] analytic = new float[inputs.length][];
        float[] weights;
        int[] outShape;
        try (Graph g = Graph.training(kernels)) {
            Var[] vars = new Var[inputs.length];
            for (int i = 0; i < inputs.length; i++) vars[i] = g.variable(g.arena().of(inputs[i].values(), inputs[i].shape()));
            Var out = op.apply(vars);
            outShape = out.shape();
            weights = weights(size(outShape));
            if (out.requiresGrad()) {
                g.backward(new Var[]{out}, new Tensor[]{g.arena().of(weights, outShape)});
            }
            for (int i = 0; i < inputs.length; i++) {
                analytic[i] = vars[i].requiresGrad() && vars[i].hasGrad() ? vars[i].grad().toArray()
                        : new float[inputs[i].values().length];
            }
        }

        double[] errors = new double[inputs.length];
        StringBuilder report = new StringBuilder();
        boolean failed = false;
        // One graph for every perturbed evaluation: each call builds fresh Vars over the same tensors.
        try (Graph g = Graph.training(kernels)) {
            Tensor[] values = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) values[i] = g.arena().of(inputs[i].values(), inputs[i].shape());
            for (int i = 0; i < inputs.length; i++) {
                float[] numeric = new float[inputs[i].values().length];
                for (int e = 0; e < numeric.length; e++) {
                    float x0 = values[i].get(e);
                    // Difference over the steps actually representable in float, not the nominal h.
                    float xp = (float) (x0 + step), xm = (float) (x0 - step);
                    values[i].set(e, xp);
                    double lp = evaluate(g, op, values, weights);
                    values[i].set(e, xm);
                    double lm = evaluate(g, op, values, weights);
                    values[i].set(e, x0);
                    numeric[e] = (float) ((lp - lm) / ((double) xp - xm));
                }
                errors[i] = relativeL2(analytic[i], numeric);
                int worst = worst(analytic[i], numeric);
                String line = String.format("input %d %s: relative L2 error %.3g (tolerance %.1g)%s", i, inputs[i],
                        errors[i], tolerance, worst < 0 ? "" : String.format("; worst element %d analytic %.6g numeric %.6g",
                                worst, analytic[i][worst], numeric[worst]));
                report.append(line).append('\n');
                if (!(errors[i] <= tolerance)) failed = true;
            }
        }
        if (Boolean.getBoolean("gradcheck.verbose")) {
            System.out.print("[gradcheck " + kernels.name() + " out " + Arrays.toString(outShape) + "]\n" + report);
        }
        if (failed) {
            throw new AssertionError("gradient check failed (" + kernels.name() + " kernels, output "
                    + Arrays.toString(outShape) + ", step " + step + "):\n" + report);
        }
        return new Result(errors, report.toString());
    }

    private static double evaluate(Graph g, Function<Var[], Var> op, Tensor[] values, float[] weights) {
        Var[] vars = new Var[values.length];
        for (int i = 0; i < values.length; i++) vars[i] = g.variable(values[i]);
        Tensor out = op.apply(vars).value();
        double l = 0;
        for (int j = 0; j < weights.length; j++) l += (double) out.get(j) * weights[j];
        return l;
    }

    private static float[] weights(int n) {
        SplittableRandom rng = new SplittableRandom(WEIGHT_SEED);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (rng.nextDouble() * 2 - 1);
        return w;
    }

    /** ||a - b|| / max(||a||, ||b||) in double; 0 when both are zero. */
    public static double relativeL2(float[] a, float[] b) {
        double diff = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            diff += d * d;
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        double denom = Math.sqrt(Math.max(na, nb));
        return denom == 0 ? 0 : Math.sqrt(diff) / denom;
    }

    private static int worst(float[] a, float[] b) {
        int w = -1;
        double best = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (d > best || Double.isNaN(d)) {
                best = d;
                w = i;
            }
        }
        return w;
    }

    private static int size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return Math.toIntExact(n);
    }
}
