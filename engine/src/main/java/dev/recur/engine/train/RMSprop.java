package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import static dev.recur.engine.tensor.Tensor.FLOAT;

/**
 * RMSprop, optionally centered and with momentum: the update of {@code torch.optim.RMSprop}
 * (maximize=False), element by element in float32:
 * <pre>
 *   step = step + 1
 *   g = grad + weight_decay * param                          if weight_decay != 0
 *   square_avg = alpha * square_avg + (1 - alpha) * g²
 *   if centered:
 *       grad_avg = lerp(grad_avg, g, 1 - alpha)
 *       avg = sqrt(square_avg - grad_avg²) + eps
 *   else:
 *       avg = sqrt(square_avg) + eps
 *   if momentum > 0:
 *       momentum_buffer = momentum * momentum_buffer + g / avg
 *       param = param - lr * momentum_buffer
 *   else:
 *       param = param - lr * g / avg
 * </pre>
 * State, in torch's order: {@code step}, {@code square_avg}, {@code momentum_buffer} (momentum > 0),
 * {@code grad_avg} (centered), all zero before the first step.
 */
public final class RMSprop extends Optimizer {
    static final String KIND = "RMSprop";
    static final String SQUARE_AVG = "square_avg";
    static final String MOMENTUM_BUFFER = "momentum_buffer";
    static final String GRAD_AVG = "grad_avg";

    /** torch.optim.RMSprop's arguments, in its order; {@link #defaults()} are torch's. Each is finite and >= 0. */
    public record Options(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
        public Options {
            Arguments.nonNegative("lr", lr);
            Arguments.nonNegative("alpha", alpha);
            Arguments.nonNegative("eps", eps);
            Arguments.nonNegative("weightDecay", weightDecay);
            Arguments.nonNegative("momentum", momentum);
        }

        /** lr 1e-2, alpha 0.99, eps 1e-8, weight decay 0, momentum 0, not centered. */
        public static Options defaults() {
            return new Options(1e-2, 0.99, 1e-8, 0, 0, false);
        }

        public Options withLr(double lr) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        public Options withAlpha(double alpha) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        public Options withEps(double eps) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        public Options withWeightDecay(double weightDecay) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        public Options withMomentum(double momentum) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        public Options withCentered(boolean centered) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        SequencedMap<String, Object> asMap() {
            SequencedMap<String, Object> out = new LinkedHashMap<>();
            out.put("lr", lr);
            out.put("alpha", alpha);
            out.put("eps", eps);
            out.put("weightDecay", weightDecay);
            out.put("momentum", momentum);
            out.put("centered", centered);
            return Collections.unmodifiableSequencedMap(out);
        }

        static Options from(Map<String, ?> hyperParameters) {
            HyperParameters h = new HyperParameters(KIND, hyperParameters, defaults().asMap().keySet());
            return new Options(h.number("lr"), h.number("alpha"), h.number("eps"), h.number("weightDecay"),
                    h.number("momentum"), h.flag("centered"));
        }
    }

    private final Options options;

    public RMSprop(List<Parameter> parameters, Options options) {
        super(KIND, parameters, options.lr());
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

    @Override
    List<String> stateKeys() {
        List<String> keys = new ArrayList<>(List.of(STEP, SQUARE_AVG));
        if (options.momentum() > 0) {
            keys.add(MOMENTUM_BUFFER);
        }
        if (options.centered()) {
            keys.add(GRAD_AVG);
        }
        return List.copyOf(keys);
    }

    @Override
    void update(Parameter parameter, ParameterState state, boolean firstStep) {
        state.incrementStep(); // counted, as in torch, though the rule does not use it
        float lr = (float) learningRate();
        float weightDecay = (float) options.weightDecay();
        float alpha = (float) options.alpha();
        float oneMinusAlpha = (float) (1 - options.alpha());
        float eps = (float) options.eps();
        float momentum = (float) options.momentum();
        boolean useMomentum = options.momentum() > 0;
        MemorySegment param = parameter.value().data();
        MemorySegment grad = parameter.grad().data();
        MemorySegment squareAvg = state.tensor(SQUARE_AVG).data();
        MemorySegment gradAvg = options.centered() ? state.tensor(GRAD_AVG).data() : null;
        MemorySegment buffer = useMomentum ? state.tensor(MOMENTUM_BUFFER).data() : null;
        long n = parameter.value().size();
        for (long i = 0; i < n; i++) {
            float p = param.getAtIndex(FLOAT, i);
            float g = grad.getAtIndex(FLOAT, i);
            if (options.weightDecay() != 0) {
                g = TorchOps.add(g, p, weightDecay);                          // grad.add(param, alpha=weight_decay)
            }
            float sq = TorchOps.addcmul(squareAvg.getAtIndex(FLOAT, i) * alpha, g, g, oneMinusAlpha);
            squareAvg.setAtIndex(FLOAT, i, sq);                               // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            float avg;
            if (options.centered()) {
                float ga = TorchOps.lerp(gradAvg.getAtIndex(FLOAT, i), g, oneMinusAlpha);
                gradAvg.setAtIndex(FLOAT, i, ga);                             // grad_avg.lerp_(grad, 1 - alpha)
                avg = (float) Math.sqrt(TorchOps.addcmul(sq, ga, ga, -1f));   // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            } else {
                avg = (float) Math.sqrt(sq);                                  // square_avg.sqrt()
            }
            avg = avg + eps;                                                  // avg.add_(eps)
            if (useMomentum) {
                float b = TorchOps.addcdiv(buffer.getAtIndex(FLOAT, i) * momentum, g, avg, 1f);
                buffer.setAtIndex(FLOAT, i, b);                               // buf.mul_(momentum).addcdiv_(grad, avg)
                param.setAtIndex(FLOAT, i, TorchOps.add(p, b, -lr));          // param.add_(buf, alpha=-lr)
            } else {
                param.setAtIndex(FLOAT, i, TorchOps.addcdiv(p, g, avg, -lr)); // param.addcdiv_(grad, avg, value=-lr)
            }
        }
    }
}
