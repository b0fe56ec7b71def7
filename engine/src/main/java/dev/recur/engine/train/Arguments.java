package dev.recur.engine.train;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Argument checks shared by the optimizers and schedules: each failure names the argument. */
final class Arguments {
    private Arguments() {
    }

    /** A finite number >= 0 (NaN and infinity are refused). */
    static double nonNegative(String name, double value) {
        if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(name + " must be a finite number >= 0, got " + value);
        }
        return value;
    }

    static double finite(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be a finite number, got " + value);
        }
        return value;
    }

    /** A number in [0, 1), as torch.optim requires of Adam's betas. */
    static double inUnitInterval(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
        return value;
    }

    static int nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
        return value;
    }

    static int positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
        return value;
    }

    /** Throws unless {@code state} holds exactly {@code keys}: {@code owner} names whose state it is. */
    static void requireExactKeys(String owner, Map<String, Double> state, Set<String> keys) {
        Set<String> missing = new TreeSet<>(keys);
        missing.removeAll(state.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(owner + " state lacks " + missing);
        }
        Set<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(keys);
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(owner + " state has unexpected entries " + unexpected
                    + "; expected exactly " + new TreeSet<>(keys));
        }
        state.forEach((key, value) -> {
            if (value == null) {
                throw new IllegalArgumentException(owner + " state entry '" + key + "' is null");
            }
        });
    }

    /** A state entry that must hold a whole number >= 0 (an epoch or a counter). */
    static int count(String owner, Map<String, Double> state, String key) {
        double value = state.get(key);
        if (!(value >= 0 && value <= Integer.MAX_VALUE && value == Math.rint(value))) {
            throw new IllegalArgumentException(owner + " state entry '" + key + "' must be a whole number >= 0, got " + value);
        }
        return (int) value;
    }
}
