package dev.recur.engine.train;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * An optimizer's hyper-parameters read back for {@link Optimizer#create}: each value as
 * {@link Optimizer#hyperParameters()} gives it (a Double or a Boolean) or as its text, which is how
 * a checkpoint's metadata holds it. The map must hold exactly the kind's names; a failure is an
 * {@link IllegalArgumentException} naming the kind and the hyper-parameter.
 */
final class HyperParameters {
    private final String kind;
    private final Map<String, ?> values;

    /** {@code names}: the kind's hyper-parameters, e.g. its defaults' {@code asMap().keySet()}. */
    HyperParameters(String kind, Map<String, ?> values, Set<String> names) {
        this.kind = kind;
        this.values = Objects.requireNonNull(values, "hyperParameters");
        Set<String> missing = new TreeSet<>(names);
        missing.removeAll(values.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(kind + ": hyper-parameters lack " + missing);
        }
        Set<String> unexpected = new TreeSet<>(values.keySet());
        unexpected.removeAll(names);
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(kind + ": unexpected hyper-parameters " + unexpected + "; expected exactly "
                    + new TreeSet<>(names));
        }
    }

    double number(String name) {
        return switch (values.get(name)) {
            case Number n -> n.doubleValue();
            case String text -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw invalid(name, "a number");
                }
            }
            case null, default -> throw invalid(name, "a number");
        };
    }

    boolean flag(String name) {
        return switch (values.get(name)) {
            case Boolean b -> b;
            case String text when text.equals("true") || text.equals("false") -> Boolean.parseBoolean(text);
            case null, default -> throw invalid(name, "true or false");
        };
    }

    private IllegalArgumentException invalid(String name, String expected) {
        return new IllegalArgumentException(kind + ": hyper-parameter '" + name + "' is " + values.get(name)
                + ", expected " + expected);
    }
}
