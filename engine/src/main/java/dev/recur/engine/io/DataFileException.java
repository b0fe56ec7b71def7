package dev.recur.engine.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A data file (IDX, CSV, text corpus, tensors data set) that is missing, malformed, or does not hold
 * what the caller asked for.
 *
 * <p>The message is one line, {@code <file>: <problem>}, with control characters escaped, so that the
 * CLI can print it as is (it is an {@link IOException}: exit code 2).
 */
public final class DataFileException extends IOException {
    private final transient Path file;

    public DataFileException(Path file, String problem) {
        this(file, problem, null);
    }

    public DataFileException(Path file, String problem, Throwable cause) {
        super(SafeTensorsException.oneLine(file + ": " + problem), cause);
        this.file = file;
    }

    /** The file (or folder) the problem concerns, as the caller named it. */
    public Path file() {
        return file;
    }

    /** Throws a one-line error unless {@code path} exists; {@code hint} (may be null) ends the message. */
    public static void requireExists(Path path, String what, String hint) throws DataFileException {
        if (!java.nio.file.Files.exists(path)) {
            throw new DataFileException(path, what + " does not exist" + (hint == null ? "" : "; " + hint));
        }
    }

    /** Throws a one-line error unless {@code path} exists and is a file, not a folder. */
    public static void requireFile(Path path, String what) throws DataFileException {
        requireExists(path, what, null);
        if (java.nio.file.Files.isDirectory(path)) {
            throw new DataFileException(path, "is a folder, expected a file (" + what + ")");
        }
    }
}
