package dev.recur.bindings.generator;

import dev.recur.bindings.generator.CDeclarations.CType;
import dev.recur.bindings.generator.CDeclarations.Enumerator;
import dev.recur.bindings.generator.CDeclarations.Parameter;
import dev.recur.bindings.generator.CDeclarations.Prototype;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes jextract-style Java bindings (one class per list, a static method per C function, a
 * lazily initialised holder with its FunctionDescriptor and MethodHandle, the enum and macro
 * constants) from a {@link BindingList} and the real headers. jextract itself cannot be
 * installed on the machines this project is built on; this does the part of its job we need.
 *
 * <pre>
 * java -cp bindings/target/classes dev.recur.bindings.generator.BindingGenerator \
 *     --include /usr/local/cuda/include --include .whl/cublas/include --out bindings/src/main/java \
 *     bindings/functions/cuda.txt bindings/functions/cublas.txt
 * </pre>
 * (bindings/regenerate.sh runs exactly this.)
 */
public final class BindingGenerator {
    /** The command that regenerates the committed sources, named in their header and by the drift test. */
    public static final String REGENERATE_COMMAND = "bindings/regenerate.sh";

    /**
     * What a C compiler for x86-64 Linux defines that the headers test. {@code __device_builtin__}
     * is an annotation for nvcc that crt/host_defines.h (not read) defines as nothing for host code.
     */
    private static final Map<String, String> TARGET_MACROS = Map.of(
            "__linux__", "1", "__x86_64__", "1", "__LP64__", "1", "__device_builtin__", "");

    private static final Set<String> JAVA_KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case",
            "catch", "char", "class", "const", "continue", "default", "do", "double", "else", "enum", "extends", "final",
            "finally", "float", "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long",
            "native", "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
            "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void", "volatile", "while",
            "var", "record", "yield", "sealed", "permits", "true", "false", "null");

    private BindingGenerator() { }

    public static void main(String[] args) throws IOException {
        List<Path> includes = new ArrayList<>();
        List<Path> lists = new ArrayList<>();
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--include" -> includes.add(Path.of(args[++i]));
                case "--out" -> out = Path.of(args[++i]);
                default -> lists.add(Path.of(args[i]));
            }
        }
        if (out == null || lists.isEmpty()) {
            System.err.println("usage: BindingGenerator --include DIR [--include DIR ...] --out SOURCE_ROOT LIST.txt ...");
            System.exit(2);
        }
        for (Path list : lists) {
            GeneratedSource source = generate(list, includes);
            Path file = out.resolve(source.relativePath());
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.text());
            System.out.println("wrote " + file);
        }
    }

    /** A Java source file: its path under a source root and its text. */
    public record GeneratedSource(Path relativePath, String text) { }

    /** The Java source for {@code listFile}, reading its headers from the first of {@code includes} that has each. */
    public static GeneratedSource generate(Path listFile, List<Path> includes) throws IOException {
        BindingList list = BindingList.read(listFile);
        CPreprocessor preprocessor = new CPreprocessor(TARGET_MACROS);
        for (String header : list.headers()) preprocessor.process(findHeader(header, includes));
        CDeclarations declarations = new CDeclarations();
        declarations.read(preprocessor.tokens());
        String text = new Writer(list, preprocessor, declarations).write();
        Path relative = Path.of(list.packageName().replace('.', '/')).resolve(list.simpleClassName() + ".java");
        return new GeneratedSource(relative, text);
    }

    /** The first {@code include} directory that holds {@code header}; a one-line error naming them all otherwise. */
    public static Path findHeader(String header, List<Path> includes) {
        for (Path dir : includes) {
            Path candidate = dir.resolve(header);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new IllegalArgumentException(header + " not found in " + includes);
    }

    private static final class Writer {
        private final BindingList list;
        private final CPreprocessor preprocessor;
        private final CDeclarations declarations;
        private final StringBuilder java = new StringBuilder();

        Writer(BindingList list, CPreprocessor preprocessor, CDeclarations declarations) {
            this.list = list;
            this.preprocessor = preprocessor;
            this.declarations = declarations;
        }

        String write() {
            List<Binding> bindings = list.functions().stream().map(this::bind).toList();
            String headers = String.join(", ", list.headers());
            line("// Generated by " + BindingGenerator.class.getName() + " from bindings/functions/" + list.fileName());
            line("// and the headers " + headers + " (" + version() + ").");
            line("// Do not edit: change the list and run " + REGENERATE_COMMAND + ".");
            line("package " + list.packageName() + ";");
            line("");
            line("import dev.recur.bindings.NativeLibraries;");
            line("import dev.recur.bindings.NativeLibrary;");
            line("");
            line("import java.lang.foreign.FunctionDescriptor;");
            line("import java.lang.foreign.MemorySegment;");
            line("import java.lang.invoke.MethodHandle;");
            line("import java.util.List;");
            line("");
            line("import static java.lang.foreign.ValueLayout.*;");
            line("");
            line("/**");
            line(" * " + list.description() + ": the functions and constants Recur uses, from " + headers + ".");
            bindings.stream().filter(b -> !b.apiName.equals(b.symbol)).findFirst().ifPresent(b -> line(
                    " * Functions are bound to the symbols the headers' {@code #define}s name ({@code " + b.apiName
                            + "} is {@code " + b.symbol + "}): the plain names are legacy ABIs."));
            line(" * A function is looked up on its first call; when the library or the symbol is missing,");
            line(" * calling it throws {@link dev.recur.bindings.NativeLibraryException}.");
            line(" */");
            line("public final class " + list.simpleClassName() + " {");
            line("    private static final NativeLibrary LIBRARY = NativeLibraries." + list.libraryField() + ";");
            line("");
            line("    /** Every bound symbol, in the order of bindings/functions/" + list.fileName() + ". */");
            line("    public static final List<String> SYMBOLS = List.of(");
            line(bindings.stream().map(b -> "            \"" + b.symbol + "\"").collect(Collectors.joining(",\n")) + ");");
            line("");
            line("    private " + list.simpleClassName() + "() { }");
            writeConstants();
            for (Binding b : bindings) writeFunction(b);
            line("}");
            return java.toString();
        }

        private String version() {
            List<Long> values = list.versionMacros().stream().map(this::macroValue).toList();
            if (values.size() == 1) return list.versionMacros().getFirst() + " " + values.getFirst();
            return "version " + values.stream().map(String::valueOf).collect(Collectors.joining("."));
        }

        private long macroValue(String name) {
            CPreprocessor.Macro macro = preprocessor.macros().get(name);
            if (macro == null || macro.functionLike()) throw new IllegalArgumentException("no object-like macro " + name + " in " + list.headers());
            return ConstantExpression.evaluate(preprocessor.expand(macro.body(), Set.of(name)), n -> null);
        }

        private void writeConstants() {
            for (String enumName : list.enums()) {
                line("");
                line("    // enum " + enumName);
                for (Enumerator e : declarations.enumerators(enumName)) line("    public static final " + constant(e.name(), e.value()));
            }
            if (!list.macros().isEmpty()) {
                line("");
                line("    // macros");
                for (String macro : list.macros()) line("    public static final " + constant(macro, macroValue(macro)));
            }
        }

        private static String constant(String name, long value) {
            if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) return "int " + name + " = " + value + ";";
            // An unsigned 32-bit value (a flag in the top bit): Java's int holds the same bits.
            if (value > 0 && value <= 0xFFFFFFFFL) return "int " + name + " = 0x" + Long.toHexString(value).toUpperCase() + ";";
            return "long " + name + " = " + value + "L;";
        }

        private record Binding(String apiName, String symbol, Prototype prototype, List<String> layouts,
                               List<String> javaTypes, List<String> javaNames, String returnLayout, String returnJavaType) { }

        private Binding bind(String apiName) {
            List<String> expanded = preprocessor.expand(List.of(apiName), Set.of());
            if (expanded.size() != 1) throw new IllegalArgumentException(apiName + " expands to " + expanded + ", not one symbol");
            String symbol = expanded.getFirst();
            Prototype p = declarations.prototypes().get(symbol);
            if (p == null) throw new IllegalArgumentException("no prototype of " + symbol + (symbol.equals(apiName) ? "" : " (" + apiName + ")")
                    + " in " + list.headers() + declarations.reason(symbol));
            if (p.variadic()) throw new IllegalArgumentException(symbol + " is variadic; bind it by hand");
            List<String> layouts = new ArrayList<>();
            List<String> javaTypes = new ArrayList<>();
            List<String> javaNames = new ArrayList<>();
            for (Parameter parameter : p.parameters()) {
                String layout = layout(declarations.resolve(parameter.typeTokens()), symbol);
                layouts.add(layout);
                javaTypes.add(javaType(layout));
                javaNames.add(JAVA_KEYWORDS.contains(parameter.name()) ? parameter.name() + "_" : parameter.name());
            }
            CType returnType = declarations.resolve(p.returnTokens());
            String returnLayout = returnType.kind() == CType.Kind.VOID && returnType.pointers() == 0 ? null : layout(returnType, symbol);
            return new Binding(apiName, symbol, p, layouts, javaTypes, javaNames, returnLayout,
                    returnLayout == null ? "void" : javaType(returnLayout));
        }

        private static String layout(CType type, String symbol) {
            if (type.pointers() > 0) return "ADDRESS";
            return switch (type.kind()) {
                case CHAR -> "JAVA_BYTE";
                case SHORT -> "JAVA_SHORT";
                case INT, ENUM -> "JAVA_INT";
                case LONG -> "JAVA_LONG";
                case FLOAT -> "JAVA_FLOAT";
                case DOUBLE -> "JAVA_DOUBLE";
                case VOID -> throw new IllegalArgumentException(symbol + ": a void value in '" + type.spelling() + "'");
                case STRUCT -> throw new IllegalArgumentException(symbol + " passes a struct by value ('" + type.spelling()
                        + "'); the generator does not support that");
            };
        }

        private static String javaType(String layout) {
            return switch (layout) {
                case "ADDRESS" -> "MemorySegment";
                case "JAVA_BYTE" -> "byte";
                case "JAVA_SHORT" -> "short";
                case "JAVA_INT" -> "int";
                case "JAVA_LONG" -> "long";
                case "JAVA_FLOAT" -> "float";
                default -> "double";
            };
        }

        private void writeFunction(Binding b) {
            String holder = b.symbol + "$";
            String descriptor = b.returnLayout == null
                    ? "FunctionDescriptor.ofVoid(" + String.join(", ", b.layouts) + ")"
                    : "FunctionDescriptor.of(" + String.join(", ", prepend(b.returnLayout, b.layouts)) + ")";
            String signature = b.prototype.spelling();
            String alias = b.apiName.equals(b.symbol) ? "" : " ({@code " + b.apiName + "} in the header: {@code #define}d to this symbol)";
            line("");
            line("    private static final class " + holder + " {");
            line("        static final FunctionDescriptor DESC = " + descriptor + ";");
            line("        static final MethodHandle HANDLE = LIBRARY.downcall(\"" + b.symbol + "\", DESC);");
            line("    }");
            line("");
            line("    /** The descriptor of {@code " + b.symbol + "}. */");
            line("    public static FunctionDescriptor " + b.symbol + "$descriptor() {");
            line("        return " + holder + ".DESC;");
            line("    }");
            line("");
            line("    /**");
            line("     * {@code " + signature + "}" + alias + ".");
            line("     */");
            List<String> parameters = new ArrayList<>();
            for (int i = 0; i < b.javaNames.size(); i++) parameters.add(b.javaTypes.get(i) + " " + b.javaNames.get(i));
            line("    public static " + b.returnJavaType + " " + b.symbol + "(" + String.join(", ", parameters) + ") {");
            line("        try {");
            String call = holder + ".HANDLE.invokeExact(" + String.join(", ", b.javaNames) + ")";
            line(b.returnLayout == null ? "            " + call + ";" : "            return (" + b.returnJavaType + ") " + call + ";");
            line("        } catch (Throwable ex$) {");
            line("            throw NativeLibrary.rethrow(ex$);");
            line("        }");
            line("    }");
        }

        private static List<String> prepend(String first, List<String> rest) {
            List<String> all = new ArrayList<>(rest.size() + 1);
            all.add(first);
            all.addAll(rest);
            return all;
        }

        private void line(String text) {
            java.append(text).append('\n');
        }
    }
}
