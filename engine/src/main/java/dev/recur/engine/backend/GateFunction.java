package dev.recur.engine.backend;

/**
 * The gate functions of ONNX's recurrent operators beyond sigmoid, tanh and relu (which have
 * kernels of their own), each with its alpha and beta as ONNX defines them; {@link #apply} is the
 * scalar definition the kernels ({@link Kernels#gateFunction}) are held to.
 */
public enum GateFunction {
    /** alpha·x + beta */
    AFFINE,
    /** x for x >= 0, else alpha·x */
    LEAKY_RELU,
    /** x for x >= alpha, else 0 */
    THRESHOLDED_RELU,
    /** alpha·tanh(beta·x) */
    SCALED_TANH,
    /** min(max(alpha·x + beta, 0), 1) */
    HARD_SIGMOID,
    /** x for x >= 0, else alpha·(e^x - 1) */
    ELU,
    /** x / (1 + |x|) */
    SOFTSIGN,
    /** log(1 + e^x), as max(x, 0) + log(1 + e^-|x|) so that a large x does not overflow */
    SOFTPLUS;

    public float apply(float x, float alpha, float beta) {
        return switch (this) {
            case AFFINE -> alpha * x + beta;
            case LEAKY_RELU -> x >= 0 ? x : alpha * x;
            case THRESHOLDED_RELU -> x >= alpha ? x : 0f;
            case SCALED_TANH -> alpha * (float) Math.tanh(beta * x);
            case HARD_SIGMOID -> Math.min(Math.max(alpha * x + beta, 0f), 1f);
            case ELU -> x >= 0 ? x : alpha * (float) Math.expm1(x);
            case SOFTSIGN -> x / (1f + Math.abs(x));
            case SOFTPLUS -> Math.max(x, 0f) + (float) Math.log1p(Math.exp(-Math.abs(x)));
        };
    }
}
