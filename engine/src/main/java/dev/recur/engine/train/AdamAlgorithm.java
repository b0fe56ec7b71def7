package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static dev.recur.engine.tensor.Tensor.FLOAT;

/**
 * The update that {@link Adam} and {@link AdamW} share, torch's {@code _single_tensor_adam}
 * (their javadoc gives the pseudo-code): element by element in float32, the bias corrections in
 * double as torch computes them in Python, each coefficient then rounded to float32 as ATen does
 * with a Python scalar on a float32 tensor.
 */
abstract class AdamAlgorithm extends Optimizer {
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";
    static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean amsgrad;
    private final boolean decoupledWeightDecay;

    AdamAlgorithm(String kind, List<Parameter> parameters, double lr, double beta1, double beta2, double eps,
                  double weightDecay, boolean amsgrad, boolean decoupledWeightDecay) {
        super(kind, parameters, lr);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.amsgrad = amsgrad;
        this.decoupledWeightDecay = decoupledWeightDecay;
    }

    @Override
    final List<String> stateKeys() {
        return amsgrad ? List.of(STEP, EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ) : List.of(STEP, EXP_AVG, EXP_AVG_SQ);
    }

    @Override
    final void update(Parameter parameter, ParameterState state, boolean firstStep) {
        double step = state.incrementStep();
        double lr = learningRate();
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        float negativeStepSize = (float) -(lr / biasCorrection1);
        float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
        float decayFactor = (float) (1 - lr * weightDecay);
        float weightDecayF = (float) weightDecay;
        float oneMinusBeta1 = (float) (1 - beta1);
        float beta2F = (float) beta2;
        float oneMinusBeta2 = (float) (1 - beta2);
        float epsF = (float) eps;
        MemorySegment param = parameter.value().data();
        MemorySegment grad = parameter.grad().data();
        MemorySegment expAvg = state.tensor(EXP_AVG).data();
        MemorySegment expAvgSq = state.tensor(EXP_AVG_SQ).data();
        MemorySegment maxExpAvgSq = amsgrad ? state.tensor(MAX_EXP_AVG_SQ).data() : null;
        long n = parameter.value().size();
        for (long i = 0; i < n; i++) {
            float p = param.getAtIndex(FLOAT, i);
            float g = grad.getAtIndex(FLOAT, i);
            if (weightDecay != 0) {
                if (decoupledWeightDecay) {
                    p = p * decayFactor;                                        // param.mul_(1 - lr * weight_decay)
                } else {
                    g = TorchOps.add(g, p, weightDecayF);                       // grad.add(param, alpha=weight_decay)
                }
            }
            float m = TorchOps.lerp(expAvg.getAtIndex(FLOAT, i), g, oneMinusBeta1);
            expAvg.setAtIndex(FLOAT, i, m);                                     // exp_avg.lerp_(grad, 1 - beta1)
            float v = TorchOps.addcmul(expAvgSq.getAtIndex(FLOAT, i) * beta2F, g, g, oneMinusBeta2);
            expAvgSq.setAtIndex(FLOAT, i, v);                                   // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            if (amsgrad) {
                v = Math.max(maxExpAvgSq.getAtIndex(FLOAT, i), v);              // torch.maximum (NaN propagates, as here)
                maxExpAvgSq.setAtIndex(FLOAT, i, v);
            }
            float denominator = (float) Math.sqrt(v) / biasCorrection2Sqrt + epsF; // (v.sqrt() / bias_correction2_sqrt).add_(eps)
            param.setAtIndex(FLOAT, i, TorchOps.addcdiv(p, m, denominator, negativeStepSize)); // param.addcdiv_(exp_avg, denom, value=-step_size)
        }
    }
}
