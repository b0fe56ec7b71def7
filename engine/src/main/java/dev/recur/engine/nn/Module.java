package dev.recur.engine.nn;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Something with named parameters: a layer, a head or a whole model. Names are unique within a
 * model and stable (a checkpoint's keys): a recurrent stack keeps PyTorch's names under its
 * prefix ({@code rnn.weight_ih_l0}), a head has its own ({@code head.weight}).
 */
public interface Module extends AutoCloseable {

    /** Every parameter, in a fixed order (the order of a state_dict). */
    List<Parameter> parameters();

    default void zeroGrad() {
        parameters().forEach(Parameter::zeroGrad);
    }

    /** The parameter called {@code name}. */
    default Parameter parameter(String name) {
        for (Parameter p : parameters()) {
            if (p.name().equals(name)) return p;
        }
        throw new IllegalArgumentException("no parameter '" + name + "' in " + getClass().getSimpleName()
                + "; it has " + parameters().stream().map(Parameter::name).toList());
    }

    /**
     * How this module's recurrent layers run from now on ({@link RecurrentExecution#FUSED} until
     * set); a module without recurrent layers has nothing to change.
     */
    default void setRecurrentExecution(RecurrentExecution execution) {
    }

    @Override
    void close();

    /**
     * The same parameters (same value and gradient memory) named {@code prefix + name}; an empty
     * prefix keeps the names. Used to place a module inside a model: "rnn." + "weight_ih_l0".
     */
    static List<Parameter> prefixed(String prefix, Collection<Parameter> parameters) {
        List<Parameter> out = new ArrayList<>(parameters.size());
        for (Parameter p : parameters) {
            out.add(prefix.isEmpty() ? p : new Parameter(prefix + p.name(), p.value(), p.grad()));
        }
        return out;
    }

    /** Concatenation of parameter lists that refuses a repeated name. */
    @SafeVarargs
    static List<Parameter> concat(List<Parameter>... lists) {
        List<Parameter> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (List<Parameter> list : lists) {
            for (Parameter p : list) {
                if (!seen.add(p.name())) throw new IllegalStateException("duplicate parameter name '" + p.name() + "'");
                out.add(p);
            }
        }
        return List.copyOf(out);
    }
}
