package dev.recur.engine.onnx;

import dev.recur.engine.backend.GateFunction;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * One of the activation functions ONNX's LSTM, GRU and RNN accept, with its alpha and beta.
 * {@link #parse} takes them as ONNX Runtime does: each function that uses alpha (or beta) takes the
 * next value of {@code activation_alpha} ({@code activation_beta}), or its ONNX default when the
 * list has run out.
 */
record OnnxActivation(Kind kind, float alpha, float beta) {

    enum Kind {
        RELU(false, false, 0, 0), TANH(false, false, 0, 0), SIGMOID(false, false, 0, 0),
        AFFINE(true, true, 1f, 0f), LEAKYRELU(true, false, 0.01f, 0), THRESHOLDEDRELU(true, false, 1f, 0),
        SCALEDTANH(true, true, 1f, 1f), HARDSIGMOID(true, true, 0.2f, 0.5f), ELU(true, false, 1f, 0),
        SOFTSIGN(false, false, 0, 0), SOFTPLUS(false, false, 0, 0);

        final boolean usesAlpha, usesBeta;
        final float defaultAlpha, defaultBeta;

        Kind(boolean usesAlpha, boolean usesBeta, float defaultAlpha, float defaultBeta) {
            this.usesAlpha = usesAlpha;
            this.usesBeta = usesBeta;
            this.defaultAlpha = defaultAlpha;
            this.defaultBeta = defaultBeta;
        }
    }

    static final OnnxActivation SIGMOID = new OnnxActivation(Kind.SIGMOID, 0, 0);
    static final OnnxActivation TANH = new OnnxActivation(Kind.TANH, 0, 0);
    static final OnnxActivation RELU = new OnnxActivation(Kind.RELU, 0, 0);

    /** The functions named in {@code names} (case-insensitive), their alphas and betas drawn in order. */
    static OnnxActivation[] parse(List<String> names, List<Float> alphas, List<Float> betas) {
        Iterator<Float> alpha = alphas.iterator(), beta = betas.iterator();
        OnnxActivation[] out = new OnnxActivation[names.size()];
        for (int i = 0; i < out.length; i++) {
            Kind kind;
            try {
                kind = Kind.valueOf(names.get(i).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("activation '" + names.get(i) + "' is not one of ONNX's: Relu, Tanh, Sigmoid, "
                        + "Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus");
            }
            float a = kind.usesAlpha ? (alpha.hasNext() ? alpha.next() : kind.defaultAlpha) : 0;
            float b = kind.usesBeta ? (beta.hasNext() ? beta.next() : kind.defaultBeta) : 0;
            out[i] = new OnnxActivation(kind, a, b);
        }
        return out;
    }

    /** The engine's kernel for this function beyond sigmoid, tanh and relu (which have their own): null for those three. */
    GateFunction gateFunction() {
        return switch (kind) {
            case RELU, TANH, SIGMOID -> null;
            case AFFINE -> GateFunction.AFFINE;
            case LEAKYRELU -> GateFunction.LEAKY_RELU;
            case THRESHOLDEDRELU -> GateFunction.THRESHOLDED_RELU;
            case SCALEDTANH -> GateFunction.SCALED_TANH;
            case HARDSIGMOID -> GateFunction.HARD_SIGMOID;
            case ELU -> GateFunction.ELU;
            case SOFTSIGN -> GateFunction.SOFTSIGN;
            case SOFTPLUS -> GateFunction.SOFTPLUS;
        };
    }

    double apply(double x) {
        return switch (kind) {
            case RELU -> Math.max(0, x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case AFFINE -> alpha * x + beta;
            case LEAKYRELU -> x >= 0 ? x : alpha * x;
            case THRESHOLDEDRELU -> x >= alpha ? x : 0;
            case SCALEDTANH -> alpha * Math.tanh(beta * x);
            case HARDSIGMOID -> Math.min(Math.max(alpha * x + beta, 0), 1);
            case ELU -> x >= 0 ? x : alpha * (Math.exp(x) - 1);
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case SOFTPLUS -> x > 30 ? x : Math.log1p(Math.exp(x));
        };
    }

    /** The name ONNX writes. */
    String onnxName() {
        return switch (kind) {
            case RELU -> "Relu";
            case TANH -> "Tanh";
            case SIGMOID -> "Sigmoid";
            case AFFINE -> "Affine";
            case LEAKYRELU -> "LeakyRelu";
            case THRESHOLDEDRELU -> "ThresholdedRelu";
            case SCALEDTANH -> "ScaledTanh";
            case HARDSIGMOID -> "HardSigmoid";
            case ELU -> "Elu";
            case SOFTSIGN -> "Softsign";
            case SOFTPLUS -> "Softplus";
        };
    }
}
