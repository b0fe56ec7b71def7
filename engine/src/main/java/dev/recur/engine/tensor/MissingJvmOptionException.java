package dev.recur.engine.tensor;

/**
 * The JVM runs without an option the engine needs. The message is one line naming each missing
 * option exactly as it goes on the java command line; see {@link JvmOptions}.
 */
public final class MissingJvmOptionException extends IllegalStateException {
    MissingJvmOptionException(String message) {
        super(message);
    }
}
