package dev.recur.bindings;

import java.lang.foreign.MemorySegment;

/** C strings handed back by the libraries. */
final class NativeStrings {
    /** Longest string read from a returned pointer: error names and texts are far shorter. */
    private static final long MAX_LENGTH = 4096;

    private NativeStrings() { }

    /** The NUL-terminated string at {@code pointer} (a zero-length segment from a downcall), or null for NULL. */
    static String read(MemorySegment pointer) {
        if (pointer.equals(MemorySegment.NULL)) return null;
        return pointer.reinterpret(MAX_LENGTH).getString(0);
    }
}
