package dev.recur.engine.io;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The element types Recur reads from and writes to safetensors files, by their header spelling. */
enum SafeTensorsDtype {
    F32(4, true),
    F64(8, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false);

    private final int byteSize;
    private final boolean floatingPoint;

    SafeTensorsDtype(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    int byteSize() {
        return byteSize;
    }

    boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype spelled exactly {@code name} (case-sensitive, as the format requires), if supported. */
    static Optional<SafeTensorsDtype> parse(String name) {
        for (SafeTensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    static String supportedList() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
