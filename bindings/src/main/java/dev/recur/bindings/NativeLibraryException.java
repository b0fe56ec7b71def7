package dev.recur.bindings;

/** A native library, or a symbol in it, could not be loaded; the message is one line saying what was looked for and where. */
public final class NativeLibraryException extends RuntimeException {
    public NativeLibraryException(String message) {
        super(message);
    }
}
