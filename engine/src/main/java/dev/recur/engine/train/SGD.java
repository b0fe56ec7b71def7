package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import static dev.recur.engine.tensor.Tensor.FLOAT;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay: the update of {@code torch.optim.SGD} (maximize=False), element by element in float32:
 * <pre>
 *   g = grad + weight_decay * param                    if weight_decay != 0
 *   if momentum != 0:
 *       buf = g                                        at the first step
 *       buf = momentum * buf + (1 - dampening) * g     after it
 *       g = g + momentum * buf                         if nesterov, else g = buf
 *   param = param - lr * g
 * </pre>
 * State: {@code momentum_buffer}, only when momentum != 0.
 */
public final class SGD extends Optimizer {
    static final String KIND = "SGD";
    static final String MOMENTUM_BUFFER = "momentum_buffer";

    /**
     * torch.optim.SGD's arguments, in its order; {@link #defaults()} are torch's. Each value is
     * checked here (lr, momentum, weightDecay finite and >= 0; dampening finite); that Nesterov
     * needs momentum > 0 and dampening 0 is checked by the {@link SGD} constructor, so the
     * {@code with...} calls may come in any order.
     */
    public record Options(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        public Options {
            Arguments.nonNegative("lr", lr);
            Arguments.nonNegative("momentum", momentum);
            Arguments.finite("dampening", dampening);
            Arguments.nonNegative("weightDecay", weightDecay);
        }

        /** lr 1e-3, momentum 0, dampening 0, weight decay 0, no Nesterov. */
        public static Options defaults() {
            return new Options(1e-3, 0, 0, 0, false);
        }

        public Options withLr(double lr) {
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        public Options withMomentum(double momentum) {
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        public Options withDampening(double dampening) {
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        public Options withWeightDecay(double weightDecay) {
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        public Options withNesterov(boolean nesterov) {
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        SequencedMap<String, Object> asMap() {
            SequencedMap<String, Object> out = new LinkedHashMap<>();
            out.put("lr", lr);
            out.put("momentum", momentum);
            out.put("dampening", dampening);
            out.put("weightDecay", weightDecay);
            out.put("nesterov", nesterov);
            return Collections.unmodifiableSequencedMap(out);
        }

        static Options from(Map<String, ?> hyperParameters) {
            HyperParameters h = new HyperParameters(KIND, hyperParameters, defaults().asMap().keySet());
            return new Options(h.number("lr"), h.number("momentum"), h.number("dampening"), h.number("weightDecay"),
                    h.flag("nesterov"));
        }
    }

    private final Options options;

    public SGD(List<Parameter> parameters, Options options) {
        super(KIND, parameters, options.lr());
        if (options.nesterov() && (options.momentum() <= 0 || options.dampening() != 0)) {
            throw new IllegalArgumentException("nesterov requires momentum > 0 and dampening == 0, got momentum "
                    + options.momentum() + " and dampening " + options.dampening());
        }
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
        return options.momentum() != 0 ? List.of(MOMENTUM_BUFFER) : List.of();
    }

    @Override
    void update(Parameter parameter, ParameterState state, boolean firstStep) {
        // torch turns each Python float coefficient into a float32 scalar for float32 tensors.
        float lr = (float) learningRate();
        float weightDecay = (float) options.weightDecay();
        float momentum = (float) options.momentum();
        float keep = (float) (1 - options.dampening());
        boolean useMomentum = options.momentum() != 0;
        MemorySegment param = parameter.value().data();
        MemorySegment grad = parameter.grad().data();
        MemorySegment buffer = useMomentum ? state.tensor(MOMENTUM_BUFFER).data() : null;
        long n = parameter.value().size();
        for (long i = 0; i < n; i++) {
            float p = param.getAtIndex(FLOAT, i);
            float g = grad.getAtIndex(FLOAT, i);
            if (options.weightDecay() != 0) {
                g = TorchOps.add(g, p, weightDecay);                       // grad.add(param, alpha=weight_decay)
            }
            if (useMomentum) {
                float b;
                if (firstStep) {
                    b = g;                                                     // buf = clone(grad)
                } else {                                                       // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    b = TorchOps.add(buffer.getAtIndex(FLOAT, i) * momentum, g, keep);
                }
                buffer.setAtIndex(FLOAT, i, b);
                g = options.nesterov() ? TorchOps.add(g, b, momentum) : b;   // grad.add(buf, alpha=momentum)
            }
            param.setAtIndex(FLOAT, i, TorchOps.add(p, g, -lr));           // param.add_(grad, alpha=-lr)
        }
    }
}
