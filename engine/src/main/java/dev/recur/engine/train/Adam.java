package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Adam (Kingma and Ba 2015), optionally AMSGrad, with L2 weight decay added to the gradient: the
 * update of {@code torch.optim.Adam} (maximize=False), element by element in float32:
 * <pre>
 *   step = step + 1
 *   g = grad + weight_decay * param                          if weight_decay != 0
 *   exp_avg = lerp(exp_avg, g, 1 - beta1)
 *   exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g²
 *   max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq)         if amsgrad
 *   denom = sqrt(amsgrad ? max_exp_avg_sq : exp_avg_sq) / sqrt(1 - beta2^step) + eps
 *   param = param - lr / (1 - beta1^step) * exp_avg / denom
 * </pre>
 * With {@code decoupledWeightDecay} (torch's {@code decoupled_weight_decay}) the decay is applied
 * as {@link AdamW} does it. State, in torch's order: {@code step}, {@code exp_avg},
 * {@code exp_avg_sq}, {@code max_exp_avg_sq} (amsgrad), all zero before the first step.
 */
public final class Adam extends AdamAlgorithm {
    static final String KIND = "Adam";

    /**
     * torch.optim.Adam's arguments, in its order (its {@code betas} pair as beta1, beta2);
     * {@link #defaults()} are torch's. lr, eps and weightDecay are finite and >= 0, the betas in [0, 1).
     */
    public record Options(double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad,
                          boolean decoupledWeightDecay) {
        public Options {
            Arguments.nonNegative("lr", lr);
            Arguments.inUnitInterval("beta1", beta1);
            Arguments.inUnitInterval("beta2", beta2);
            Arguments.nonNegative("eps", eps);
            Arguments.nonNegative("weightDecay", weightDecay);
        }

        /** lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0, no AMSGrad, weight decay not decoupled. */
        public static Options defaults() {
            return new Options(1e-3, 0.9, 0.999, 1e-8, 0, false, false);
        }

        public Options withLr(double lr) {
            return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        }

        public Options withBetas(double beta1, double beta2) {
            return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        }

        public Options withEps(double eps) {
            return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        }

        public Options withWeightDecay(double weightDecay) {
            return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        }

        public Options withAmsgrad(boolean amsgrad) {
            return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        }

        public Options withDecoupledWeightDecay(boolean decoupledWeightDecay) {
            return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, decoupledWeightDecay);
        }

        SequencedMap<String, Object> asMap() {
            SequencedMap<String, Object> out = new LinkedHashMap<>();
            out.put("lr", lr);
            out.put("beta1", beta1);
            out.put("beta2", beta2);
            out.put("eps", eps);
            out.put("weightDecay", weightDecay);
            out.put("amsgrad", amsgrad);
            out.put("decoupledWeightDecay", decoupledWeightDecay);
            return Collections.unmodifiableSequencedMap(out);
        }

        static Options from(Map<String, ?> hyperParameters) {
            HyperParameters h = new HyperParameters(KIND, hyperParameters, defaults().asMap().keySet());
            return new Options(h.number("lr"), h.number("beta1"), h.number("beta2"), h.number("eps"),
                    h.number("weightDecay"), h.flag("amsgrad"), h.flag("decoupledWeightDecay"));
        }
    }

    private final Options options;

    public Adam(List<Parameter> parameters, Options options) {
        super(KIND, parameters, options.lr(), options.beta1(), options.beta2(), options.eps(),
                options.weightDecay(), options.amsgrad(), options.decoupledWeightDecay());
        this.options = options;
    }

    /** The options, with lr the current {@link #learningRate()}. */
    public Options options() {
        return options.withLr(learningRate());
    }

    @Override
    public SequencedMap<String, Object> hyperParameters() {
        return options().asMap();
    }
}
