package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

import static dev.recur.engine.tensor.Tensor.FLOAT;

/** Gradient clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_} does it. */
public final class GradientClipping {
    /** Added to the norm before dividing, as torch does, so that a zero norm divides nothing by zero. */
    static final double NORM_EPSILON = 1e-6;

    private GradientClipping() {
    }

    /**
     * Scales every gradient in place by {@code min(maxNorm / (total + 1e-6), 1)}, where total is the
     * L2 norm of all gradients taken together, and returns total (before clipping): torch's
     * {@code clip_grad_norm_(parameters, max_norm)} with norm_type 2 and error_if_nonfinite False,
     * so a NaN or infinite norm is returned, and spreads into the gradients, as in torch.
     *
     * @param maxNorm the largest total norm kept, >= 0; infinity disables clipping (torch takes a
     *                negative one too and flips the gradients' signs; here it is refused)
     */
    public static double clipGradNorm(List<Parameter> parameters, double maxNorm) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("maxNorm must be >= 0, got " + maxNorm);
        }
        double total = totalNorm(parameters);
        double coefficient = Math.min(maxNorm / (total + NORM_EPSILON), 1.0); // Math.min keeps a NaN, as torch.clamp does
        float scale = (float) coefficient;
        if (scale != 1f) { // multiplying by exactly 1 changes no float; torch does it anyway
            for (Parameter p : parameters) {
                MemorySegment grad = p.grad().data();
                long n = p.grad().size();
                for (long i = 0; i < n; i++) {
                    grad.setAtIndex(FLOAT, i, grad.getAtIndex(FLOAT, i) * scale);
                }
            }
        }
        return total;
    }

    /**
     * The L2 norm of all gradients taken together (torch's {@code get_total_norm}), accumulated in
     * double: float32 squares cannot overflow it, and it is at least as accurate as torch's.
     */
    public static double totalNorm(List<Parameter> parameters) {
        Objects.requireNonNull(parameters, "parameters");
        double sumOfSquares = 0;
        for (Parameter p : parameters) {
            MemorySegment grad = p.grad().data();
            long n = p.grad().size();
            for (long i = 0; i < n; i++) {
                double g = grad.getAtIndex(FLOAT, i);
                sumOfSquares += g * g;
            }
        }
        return Math.sqrt(sumOfSquares);
    }
}
