package dev.recur.engine.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A safetensors file that is malformed, or that does not hold what the caller asked for.
 *
 * <p>The message is always a single line of the form {@code <file>: <problem>} or
 * {@code <file>: key '<name>' <problem>}, so that it can go straight into a log line or a CLI error.
 * Control characters coming from the file (a tensor name may contain a newline) are escaped.
 */
public final class SafeTensorsException extends IOException {
    private final transient Path file;
    private final String key;

    SafeTensorsException(Path file, String key, String problem) {
        this(file, key, problem, null);
    }

    SafeTensorsException(Path file, String key, String problem, Throwable cause) {
        super(oneLine(file + ": " + (key == null ? "" : "key '" + key + "' ") + problem), cause);
        this.file = file;
        this.key = key;
    }

    /** The file the problem was found in, as the caller named it. */
    public Path file() {
        return file;
    }

    /** The tensor name (or {@code __metadata__}) the problem concerns, if it concerns one. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /** Escapes line breaks and other control characters so the text prints as one line. */
    public static String oneLine(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // C0/C1 controls and the Unicode line/paragraph separators would break the line too.
                    if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
