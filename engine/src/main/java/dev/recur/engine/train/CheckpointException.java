package dev.recur.engine.train;

import dev.recur.engine.io.SafeTensorsException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A checkpoint that cannot be read or does not fit what it is restored into (another
 * architecture, another optimizer, a missing or extra tensor). The message is one line,
 * {@code <file>: <problem>} or {@code <file>: key '<name>' <problem>}, saying what was expected;
 * it is an {@link IOException}, which the CLI reports with exit code 2.
 */
public final class CheckpointException extends IOException {
    private final transient Path file;
    private final String key;

    CheckpointException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    CheckpointException(Path file, String key, String problem, Throwable cause) {
        super(SafeTensorsException.oneLine(file + ": " + (key == null ? "" : "key '" + key + "' ") + problem), cause);
        this.file = file;
        this.key = key;
    }

    /** The checkpoint file, as the caller named it. */
    public Path file() {
        return file;
    }

    /** The tensor name or metadata key the problem concerns, if it concerns one. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }
}
