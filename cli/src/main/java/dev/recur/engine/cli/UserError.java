package dev.recur.engine.cli;

/** A problem with what the user asked for; printed as one line, exit code 2. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    /** A flag that must be at least 1: its value, or {@code fallback} when it was not given. */
    public static int positive(String flag, Integer value, int fallback) {
        if (value == null) return fallback;
        if (value < 1) throw new UserError(flag + " must be at least 1, got " + value);
        return value;
    }
}
