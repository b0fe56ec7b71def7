package dev.recur.bindings.generator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One checked-in list of what to bind from a group of headers (bindings/functions/*.txt): the
 * class to write, the library field it loads through, the headers to read in order, the macros
 * that give the headers' version, and the functions, enums and macros wanted. Names are written
 * as the headers spell the API ({@code cuMemAlloc}); the generator resolves them to symbols.
 */
record BindingList(String fileName, String className, String libraryField, String description,
                   List<String> headers, List<String> versionMacros,
                   List<String> functions, List<String> enums, List<String> macros) {

    static BindingList read(Path file) throws IOException {
        String className = null;
        String library = null;
        String description = null;
        List<String> headers = new ArrayList<>();
        List<String> version = new ArrayList<>();
        List<String> functions = new ArrayList<>();
        List<String> enums = new ArrayList<>();
        List<String> macros = new ArrayList<>();
        int lineNumber = 0;
        for (String raw : Files.readAllLines(file)) {
            lineNumber++;
            String line = raw.replaceFirst("#.*", "").strip();
            if (line.isEmpty()) continue;
            String[] parts = line.split("\\s+", 2);
            if (parts.length < 2) throw new IllegalArgumentException(file + ":" + lineNumber + ": '" + line + "' has no value");
            String value = parts[1];
            switch (parts[0]) {
                case "class" -> className = value;
                case "library" -> library = value;
                case "describe" -> description = value;
                case "headers" -> headers.addAll(List.of(value.split("\\s+")));
                case "version" -> version.addAll(List.of(value.split("\\s+")));
                case "function" -> functions.add(value);
                case "enum" -> enums.add(value);
                case "macro" -> macros.add(value);
                default -> throw new IllegalArgumentException(file + ":" + lineNumber + ": unknown entry '" + parts[0]
                        + "' (expected class, library, describe, headers, version, function, enum or macro)");
            }
        }
        if (className == null || library == null || description == null || headers.isEmpty() || version.isEmpty()) {
            throw new IllegalArgumentException(file + ": needs class, library, describe, headers and version lines");
        }
        return new BindingList(file.getFileName().toString(), className, library, description,
                headers, version, functions, enums, macros);
    }

    String packageName() {
        return className.substring(0, className.lastIndexOf('.'));
    }

    String simpleClassName() {
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
