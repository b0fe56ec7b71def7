package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A {@code torch.optim} optimizer over one parameter group: every parameter shares the
 * hyperparameters, and {@link #step()} updates each one from its {@link Parameter#grad()} with the
 * subclass's rule ({@link SGD}, {@link RMSprop}, {@link Adam}, {@link AdamW}).
 *
 * <p>State. Each parameter's state (momentum buffers, moment estimates, the step count) is
 * float32 and off-heap, in an arena the optimizer owns and {@link #close()} frees. As in torch it
 * is created by a parameter's first step, zero-filled except where the rule says otherwise.
 * {@link #stateDict()} exposes it under PyTorch-like names, {@code state.<parameter name>.<key>}
 * with torch's keys ({@code step}, {@code exp_avg}, {@code exp_avg_sq}, {@code max_exp_avg_sq},
 * {@code square_avg}, {@code grad_avg}, {@code momentum_buffer}); the step count is a 0-dim float32
 * tensor as in torch. {@link #loadStateDict} takes the same map back.
 *
 * <p>What a checkpoint must save to resume bit for bit: the parameters, {@link #stateDict()}, and
 * {@link #learningRate()} (a double, torch's {@code param_groups[0]["lr"]}, which schedules
 * change), plus the schedule's own state dict. To resume, build the optimizer (and schedule) as
 * before, or from its {@link #kind()} and {@link #hyperParameters()} with {@link #create}, then
 * {@link #loadStateDict}, {@link #setLearningRate} and the schedule's {@code loadStateDict}.
 *
 * <p>Not thread-safe: one thread steps an optimizer. Unlike torch, a parameter always has a
 * gradient tensor, so every parameter is updated at every step (a zero gradient still moves a
 * parameter through momentum or weight decay, as it does in torch when the gradient is zero
 * rather than {@code None}). torch's {@code maximize}, {@code foreach}, {@code fused},
 * {@code capturable} and {@code differentiable} flags have no counterpart.
 */
public abstract class Optimizer implements AutoCloseable {
    /** The state key of the step count. */
    static final String STEP = "step";

    private final String kind;
    private final List<Parameter> parameters;
    private final List<ParameterState> states;
    private final TensorArena stateArena;
    private double learningRate;

    Optimizer(String kind, List<Parameter> parameters, double learningRate) {
        this.kind = kind;
        this.parameters = checkedParameters(kind, parameters);
        this.learningRate = Arguments.nonNegative("lr", learningRate);
        this.states = new ArrayList<>();
        for (int i = 0; i < this.parameters.size(); i++) {
            states.add(new ParameterState());
        }
        this.stateArena = TensorArena.open(kind + " optimizer state");
    }

    private static List<Parameter> checkedParameters(String kind, List<Parameter> parameters) {
        Objects.requireNonNull(parameters, "parameters");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException(kind + ": parameters is empty");
        }
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<String> names = new HashSet<>();
        for (Parameter p : parameters) {
            Objects.requireNonNull(p, "parameters holds null");
            if (!seen.add(p)) {
                throw new IllegalArgumentException(kind + ": parameters holds '" + p.name() + "' twice");
            }
            // State is named after parameters, so two with one name would share a checkpoint entry.
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(kind + ": parameters holds two parameters named '" + p.name() + "'");
            }
        }
        return List.copyOf(parameters);
    }

    /** The state keys a parameter carries once stepped, in torch's order (they depend on the options). */
    abstract List<String> stateKeys();

    /**
     * Updates {@code parameter} in place from its gradient. {@code state} holds {@link #stateKeys()}
     * (zero-filled before the first step, when {@code firstStep} is true).
     */
    abstract void update(Parameter parameter, ParameterState state, boolean firstStep);

    /** One optimisation step over every parameter (torch's {@code optimizer.step()}). */
    public final void step() {
        ensureOpen();
        List<String> keys = stateKeys();
        for (int i = 0; i < parameters.size(); i++) {
            Parameter parameter = parameters.get(i);
            ParameterState state = states.get(i);
            boolean firstStep = !state.initialised();
            if (firstStep) {
                state.initialiseZeros(stateArena, keys, parameter.shape());
            }
            update(parameter, state, firstStep);
        }
    }

    /** Zeroes every parameter's gradient (torch's {@code zero_grad(set_to_none=False)}). */
    public final void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    public final List<Parameter> parameters() {
        return parameters;
    }

    /** The current learning rate: the option given at construction until a schedule (or anyone) sets another. */
    public final double learningRate() {
        return learningRate;
    }

    public final void setLearningRate(double lr) {
        this.learningRate = Arguments.nonNegative("lr", lr);
    }

    /** torch's class name: {@code SGD}, {@code RMSprop}, {@code Adam}, {@code AdamW}. */
    public final String kind() {
        return kind;
    }

    /**
     * What defines this optimizer besides its {@link #kind()}: {@code lr} (the current
     * {@link #learningRate()}), then the kind's other hyper-parameters in torch's argument order,
     * named as its options record names them (torch's names in camelCase, {@code betas} as
     * {@code beta1} and {@code beta2}), each a Double or a Boolean. {@link #create} takes them back.
     */
    public abstract SequencedMap<String, Object> hyperParameters();

    /**
     * A new optimizer of {@code kind} over {@code parameters}, from hyper-parameters as
     * {@link #hyperParameters()} gives them or as their text (a checkpoint's metadata): exactly the
     * kind's names, each checked as the kind's options are. An unknown kind, a missing or unexpected
     * name or a bad value throws {@link IllegalArgumentException} naming it.
     */
    public static Optimizer create(String kind, List<Parameter> parameters, Map<String, ?> hyperParameters) {
        Objects.requireNonNull(kind, "kind");
        return switch (kind) {
            case SGD.KIND -> new SGD(parameters, SGD.Options.from(hyperParameters));
            case RMSprop.KIND -> new RMSprop(parameters, RMSprop.Options.from(hyperParameters));
            case Adam.KIND -> new Adam(parameters, Adam.Options.from(hyperParameters));
            case AdamW.KIND -> new AdamW(parameters, AdamW.Options.from(hyperParameters));
            default -> throw new IllegalArgumentException("unknown optimizer kind '" + kind + "', expected one of "
                    + List.of(SGD.KIND, RMSprop.KIND, Adam.KIND, AdamW.KIND));
        };
    }

    /** {@code state.<parameter name>.<key>}: the name of one state tensor in {@link #stateDict()}. */
    public static String stateName(String parameterName, String key) {
        return "state." + parameterName + "." + key;
    }

    /**
     * The optimizer's state as named tensors, in parameter order then torch's key order; a
     * parameter not yet stepped has no entries (as in torch). The tensors are the optimizer's own,
     * not copies (as torch's {@code state_dict()} returns references): write them out before the
     * next {@link #step()}; they are valid until {@link #close()}.
     */
    public final SequencedMap<String, Tensor> stateDict() {
        ensureOpen();
        SequencedMap<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            if (states.get(i).initialised()) {
                String name = parameters.get(i).name();
                states.get(i).tensors().forEach((key, tensor) -> out.put(stateName(name, key), tensor));
            }
        }
        return Collections.unmodifiableSequencedMap(out);
    }

    /**
     * Replaces the state with copies of {@code state}'s tensors, in the form {@link #stateDict()}
     * gives it (the map may hold tensors of any arena). A parameter with no entries starts afresh
     * at its next step; a parameter with entries needs all of {@link #stateKeys()}. Everything is
     * checked before anything changes: an entry that names no parameter or key of this optimizer,
     * a parameter with only some of its keys, a shape other than the parameter's (a 0-dim tensor
     * for {@code step}) or a step count that is not a whole number >= 0 throws
     * {@link IllegalArgumentException} naming the entry, and the state stays as it was. The
     * learning rate is not part of it: see {@link #setLearningRate}.
     */
    public final void loadStateDict(Map<String, Tensor> state) {
        ensureOpen();
        Objects.requireNonNull(state, "state");
        List<String> keys = stateKeys();
        Map<String, Integer> ownerOfName = new HashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            for (String key : keys) {
                ownerOfName.put(stateName(parameters.get(i).name(), key), i);
            }
        }
        for (Map.Entry<String, Tensor> entry : state.entrySet()) {
            if (!ownerOfName.containsKey(entry.getKey())) {
                throw new IllegalArgumentException(kind + ": unexpected state entry '" + entry.getKey() + "'; "
                        + (keys.isEmpty() ? "this configuration keeps no state"
                        : "expected state.<parameter>." + keys + " for parameters " + parameterNames()));
            }
            if (entry.getValue() == null) {
                throw new IllegalArgumentException(kind + ": state entry '" + entry.getKey() + "' is null");
            }
        }
        boolean[] present = new boolean[parameters.size()];
        for (int i = 0; i < parameters.size(); i++) {
            present[i] = checkParameterState(parameters.get(i), keys, state);
        }
        for (int i = 0; i < parameters.size(); i++) {
            Parameter parameter = parameters.get(i);
            ParameterState target = states.get(i);
            if (!present[i]) {
                target.reset();
                continue;
            }
            for (String key : keys) {
                target.allocate(stateArena, key, parameter.shape()).copyFrom(state.get(stateName(parameter.name(), key)));
            }
            target.markInitialised();
        }
    }

    /** Whether {@code state} holds this parameter's state; throws if it holds part of it or a bad entry. */
    private boolean checkParameterState(Parameter parameter, List<String> keys, Map<String, Tensor> state) {
        List<String> missing = new ArrayList<>();
        for (String key : keys) {
            String name = stateName(parameter.name(), key);
            Tensor tensor = state.get(name);
            if (tensor == null) {
                missing.add(key);
                continue;
            }
            int[] expected = ParameterState.shapeOf(key, parameter.shape());
            if (!Arrays.equals(tensor.shape(), expected)) {
                throw new IllegalArgumentException(kind + ": state entry '" + name + "' has shape "
                        + Tensor.shapeString(tensor.shape()) + ", expected " + Tensor.shapeString(expected));
            }
            if (key.equals(STEP)) {
                float step = tensor.get(0);
                if (!(step >= 0 && step == Math.rint(step) && Float.isFinite(step))) {
                    throw new IllegalArgumentException(kind + ": state entry '" + name
                            + "' must be a whole number >= 0, got " + step);
                }
            }
        }
        if (missing.isEmpty() || missing.size() == keys.size()) {
            return missing.isEmpty() && !keys.isEmpty();
        }
        throw new IllegalArgumentException(kind + ": state of parameter '" + parameter.name() + "' lacks "
                + missing.stream().map(k -> stateName(parameter.name(), k)).toList());
    }

    private List<String> parameterNames() {
        return parameters.stream().map(Parameter::name).toList();
    }

    private void ensureOpen() {
        if (!stateArena.isOpen()) {
            throw new IllegalStateException(kind + " optimizer is closed");
        }
    }

    /** Frees the state. The parameters are not the optimizer's and stay. A second close throws. */
    @Override
    public void close() {
        if (!stateArena.isOpen()) {
            throw new IllegalStateException(kind + " optimizer was already closed");
        }
        stateArena.close();
    }

    @Override
    public String toString() {
        return kind + "[lr=" + learningRate + ", " + parameters.size() + " parameters]";
    }
}
