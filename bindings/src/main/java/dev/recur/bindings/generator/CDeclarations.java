package dev.recur.bindings.generator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The file-scope declarations of preprocessed headers that bindings need: typedefs, enums with
 * their values, and function prototypes. Declarations of other shapes (variables, struct bodies,
 * inline function definitions) are stepped over; one that cannot be read is only an error if a
 * binding asks for it.
 */
final class CDeclarations {
    /** A C type reduced to what a foreign-function descriptor needs. */
    record CType(Kind kind, int pointers, String spelling) {
        enum Kind { VOID, CHAR, SHORT, INT, LONG, FLOAT, DOUBLE, ENUM, STRUCT }
    }

    /** {@code typeTokens}: the parameter's type without its name, arrays turned into pointers as C does. */
    record Parameter(String name, String spelling, List<String> typeTokens) { }

    record Prototype(String name, List<String> returnTokens, List<Parameter> parameters, boolean variadic) {
        /** The prototype as C would print it, on one line. */
        String spelling() {
            List<String> ps = parameters.stream().map(Parameter::spelling).toList();
            String returnType = spell(returnTokens);
            return returnType + (returnType.endsWith("*") ? "" : " ") + name + "(" + (ps.isEmpty() ? "void" : String.join(", ", ps)) + (variadic ? ", ..." : "") + ")";
        }
    }

    record Enumerator(String name, long value) { }

    /** Types a C compiler knows without a header, and the stddef.h/stdint.h names (not read) for LP64 Linux. */
    private static final Map<String, CType> BUILTIN = Map.ofEntries(
            Map.entry("void", new CType(CType.Kind.VOID, 0, "void")),
            Map.entry("char", new CType(CType.Kind.CHAR, 0, "char")),
            Map.entry("short", new CType(CType.Kind.SHORT, 0, "short")),
            Map.entry("int", new CType(CType.Kind.INT, 0, "int")),
            Map.entry("long", new CType(CType.Kind.LONG, 0, "long")),
            Map.entry("float", new CType(CType.Kind.FLOAT, 0, "float")),
            Map.entry("double", new CType(CType.Kind.DOUBLE, 0, "double")),
            Map.entry("size_t", new CType(CType.Kind.LONG, 0, "size_t")),
            Map.entry("ssize_t", new CType(CType.Kind.LONG, 0, "ssize_t")),
            Map.entry("int8_t", new CType(CType.Kind.CHAR, 0, "int8_t")),
            Map.entry("uint8_t", new CType(CType.Kind.CHAR, 0, "uint8_t")),
            Map.entry("int16_t", new CType(CType.Kind.SHORT, 0, "int16_t")),
            Map.entry("uint16_t", new CType(CType.Kind.SHORT, 0, "uint16_t")),
            Map.entry("int32_t", new CType(CType.Kind.INT, 0, "int32_t")),
            Map.entry("uint32_t", new CType(CType.Kind.INT, 0, "uint32_t")),
            Map.entry("int64_t", new CType(CType.Kind.LONG, 0, "int64_t")),
            Map.entry("uint64_t", new CType(CType.Kind.LONG, 0, "uint64_t")),
            Map.entry("intptr_t", new CType(CType.Kind.LONG, 0, "intptr_t")),
            Map.entry("uintptr_t", new CType(CType.Kind.LONG, 0, "uintptr_t")));

    private static final Set<String> QUALIFIERS = Set.of("const", "volatile", "restrict", "__restrict", "__restrict__",
            "extern", "static", "inline", "__inline", "__inline__", "register");
    private static final Set<String> SIGNEDNESS = Set.of("signed", "unsigned");

    /** Typedef name (or "enum tag"/"struct tag") to the type tokens it stands for. */
    private final Map<String, List<String>> typedefs = new HashMap<>();
    private final Map<String, List<Enumerator>> enums = new LinkedHashMap<>();
    private final Map<String, Long> enumeratorValues = new HashMap<>();
    private final Map<String, Prototype> prototypes = new LinkedHashMap<>();
    private final Map<String, String> unreadable = new HashMap<>();

    /** Reads preprocessed C (no {@code extern "C"} blocks: they sit under {@code __cplusplus}, left undefined). */
    void read(List<String> tokens) {
        int i = 0;
        while (i < tokens.size()) {
            int start = i;
            int depth = 0;
            boolean sawParenthesis = false;
            while (i < tokens.size()) {
                String t = tokens.get(i++);
                if (t.equals("(") || t.equals("[")) {
                    depth++;
                    sawParenthesis |= t.equals("(") && depth == 1;
                } else if (t.equals(")") || t.equals("]")) {
                    depth--;
                } else if (t.equals("{")) {
                    depth++;
                } else if (t.equals("}")) {
                    depth--;
                    // A function definition (static inline) ends at its closing brace, with no ';'.
                    if (depth == 0 && sawParenthesis && !tokens.get(start).equals("typedef")) break;
                } else if (t.equals(";") && depth == 0) {
                    break;
                }
            }
            List<String> declaration = tokens.subList(start, Math.max(start, i - 1));
            try {
                readDeclaration(declaration);
            } catch (RuntimeException e) {
                String name = declaredName(declaration);
                if (name != null) unreadable.put(name, e.getMessage());
            }
        }
    }

    Map<String, Prototype> prototypes() {
        return prototypes;
    }

    /** Enumerators of the enum that {@code typeName} (a typedef or "enum tag") names, in header order. */
    List<Enumerator> enumerators(String typeName) {
        List<String> target = typedefs.getOrDefault(typeName, List.of(typeName));
        List<Enumerator> values = enums.get(String.join(" ", target.stream().filter(t -> !QUALIFIERS.contains(t)).toList()));
        if (values == null) values = enums.get(typeName);
        if (values == null) throw new IllegalArgumentException("no enum " + typeName + reason(typeName));
        return values;
    }

    String reason(String name) {
        String why = unreadable.get(name);
        return why == null ? "" : " (its declaration could not be read: " + why + ")";
    }

    private void readDeclaration(List<String> d) {
        if (d.isEmpty()) return;
        int body = d.indexOf("{");
        if (d.get(0).equals("typedef")) {
            readTypedef(d.subList(1, d.size()), body < 0 ? -1 : body - 1);
        } else if (body > 0 && d.get(0).equals("enum")) {
            readEnum(d, body);
        } else if (body < 0 && d.contains("(")) {
            readPrototype(d);
        }
    }

    private void readTypedef(List<String> d, int body) {
        if (body >= 0) {
            int close = matching(d, body, "{", "}");
            String keyword = d.get(0);
            String tag = body > 1 ? keyword + " " + d.get(1) : null;
            if (keyword.equals("enum")) {
                List<Enumerator> values = readEnumerators(d.subList(body + 1, close));
                String key = tag != null ? tag : "enum <anonymous " + enums.size() + ">";
                enums.put(key, values);
                defineDeclarators(List.of("enum", key.substring("enum ".length())), d.subList(close + 1, d.size()));
            } else {
                String key = tag != null ? tag : keyword + " <anonymous>";
                defineDeclarators(List.of(key.split(" ")), d.subList(close + 1, d.size()));
            }
            return;
        }
        int parenthesis = d.indexOf("(");
        if (parenthesis >= 0) {
            // A function pointer typedef: ret (CALLCONV *Name)(params). Only its pointer-ness matters.
            int star = d.indexOf("*");
            if (star < 0 || star > d.indexOf(")")) throw new IllegalArgumentException("function type typedef");
            typedefs.put(d.get(star + 1), List.of("void", "*"));
            return;
        }
        String name = d.getLast();
        if (!CTokenizer.isIdentifier(name)) throw new IllegalArgumentException("cannot read typedef " + String.join(" ", d));
        typedefs.put(name, List.copyOf(d.subList(0, d.size() - 1)));
    }

    /** For {@code typedef <type> A, *B;}: each declarator names the type, plus its own stars. */
    private void defineDeclarators(List<String> type, List<String> declarators) {
        List<String> current = new ArrayList<>(type);
        for (String t : declarators) {
            if (t.equals(",")) {
                current = new ArrayList<>(type);
            } else if (t.equals("*")) {
                current.add("*");
            } else if (CTokenizer.isIdentifier(t) && !QUALIFIERS.contains(t)) {
                typedefs.put(t, List.copyOf(current));
            }
        }
    }

    private void readEnum(List<String> d, int body) {
        int close = matching(d, body, "{", "}");
        enums.put("enum " + d.get(1), readEnumerators(d.subList(body + 1, close)));
    }

    private List<Enumerator> readEnumerators(List<String> body) {
        List<Enumerator> values = new ArrayList<>();
        long next = 0;
        int i = 0;
        while (i < body.size()) {
            int end = i;
            int depth = 0;
            while (end < body.size() && !(depth == 0 && body.get(end).equals(","))) {
                if (body.get(end).equals("(")) depth++;
                if (body.get(end).equals(")")) depth--;
                end++;
            }
            List<String> item = body.subList(i, end);
            i = end + 1;
            if (item.isEmpty()) continue; // a trailing comma
            String name = item.get(0);
            int equals = item.indexOf("=");
            long value = equals < 0 ? next
                    : ConstantExpression.evaluate(item.subList(equals + 1, item.size()), enumeratorValues::get);
            values.add(new Enumerator(name, value));
            enumeratorValues.put(name, value);
            next = value + 1;
        }
        return values;
    }

    private void readPrototype(List<String> d) {
        int open = d.indexOf("(");
        if (open < 1 || !CTokenizer.isIdentifier(d.get(open - 1))) return; // not a plain function declaration
        int close = matching(d, open, "(", ")");
        String name = d.get(open - 1);
        List<String> returnTokens = d.subList(0, open - 1);
        List<Parameter> parameters = new ArrayList<>();
        boolean variadic = false;
        List<String> inner = d.subList(open + 1, close);
        if (!(inner.isEmpty() || inner.equals(List.of("void")))) {
            int k = 0;
            while (k <= inner.size()) {
                int end = k;
                int depth = 0;
                while (end < inner.size() && !(depth == 0 && inner.get(end).equals(","))) {
                    if (inner.get(end).equals("(") || inner.get(end).equals("[")) depth++;
                    if (inner.get(end).equals(")") || inner.get(end).equals("]")) depth--;
                    end++;
                }
                List<String> p = inner.subList(k, end);
                if (p.equals(List.of("..."))) variadic = true;
                else parameters.add(readParameter(p, parameters.size()));
                k = end + 1;
            }
        }
        prototypes.putIfAbsent(name, new Prototype(name, List.copyOf(returnTokens), parameters, variadic));
    }

    private Parameter readParameter(List<String> p, int index) {
        int parenthesis = p.indexOf("(");
        if (parenthesis >= 0) {
            // A function pointer parameter: ret (*name)(args).
            int star = p.indexOf("*");
            String name = star >= 0 && star + 1 < p.size() && CTokenizer.isIdentifier(p.get(star + 1)) ? p.get(star + 1) : "arg" + index;
            return new Parameter(name, spell(p), List.of("void", "*"));
        }
        List<String> typeTokens = new ArrayList<>(p);
        int arrays = 0;
        while (typeTokens.contains("[")) {
            // T name[N] as a parameter is T *name.
            int bracket = typeTokens.indexOf("[");
            typeTokens.subList(bracket, matching(typeTokens, bracket, "[", "]") + 1).clear();
            arrays++;
        }
        String name = null;
        String last = typeTokens.getLast();
        if (CTokenizer.isIdentifier(last) && !isTypeWord(last) && typeTokens.stream().anyMatch(this::isTypeWord)) {
            name = last;
            typeTokens.removeLast();
        }
        for (int a = 0; a < arrays; a++) typeTokens.add("*");
        return new Parameter(name == null ? "arg" + index : name, spell(p), List.copyOf(typeTokens));
    }

    private boolean isTypeWord(String token) {
        return BUILTIN.containsKey(token) || SIGNEDNESS.contains(token) || typedefs.containsKey(token)
                || token.equals("struct") || token.equals("enum") || token.equals("union");
    }

    /** The type that {@code typeTokens} name, resolved through typedefs down to a kind and a pointer count. */
    CType resolve(List<String> typeTokens) {
        return resolveTokens(typeTokens, spell(typeTokens), 0);
    }

    private CType resolveTokens(List<String> tokens, String spelling, int depth) {
        if (depth > 32) throw new IllegalArgumentException("typedef cycle at " + spelling);
        int pointers = 0;
        List<String> words = new ArrayList<>();
        for (String t : tokens) {
            if (t.equals("*")) pointers++;
            else if (!QUALIFIERS.contains(t)) words.add(t);
        }
        CType base;
        if (words.isEmpty()) {
            throw new IllegalArgumentException("no type in '" + spelling + "'");
        } else if (words.get(0).equals("enum")) {
            base = new CType(CType.Kind.ENUM, 0, spelling);
        } else if (words.get(0).equals("struct") || words.get(0).equals("union")) {
            base = new CType(CType.Kind.STRUCT, 0, spelling);
        } else if (words.stream().allMatch(w -> SIGNEDNESS.contains(w) || BUILTIN.containsKey(w))) {
            base = builtin(words, spelling);
        } else if (words.size() == 1 && typedefs.containsKey(words.get(0))) {
            base = resolveTokens(typedefs.get(words.get(0)), spelling, depth + 1);
        } else {
            String unknown = words.stream().filter(w -> !SIGNEDNESS.contains(w) && !BUILTIN.containsKey(w)).findFirst().orElseThrow();
            throw new IllegalArgumentException("unknown type " + unknown + " in '" + spelling + "'" + reason(unknown));
        }
        return new CType(base.kind(), base.pointers() + pointers, spelling);
    }

    private static CType builtin(List<String> words, String spelling) {
        List<String> rest = words.stream().filter(w -> !SIGNEDNESS.contains(w)).toList();
        if (rest.isEmpty()) return new CType(CType.Kind.INT, 0, spelling); // "unsigned" alone is unsigned int
        // long long, long int, short int: the widest word decides (LP64: long is 64-bit).
        if (rest.contains("long")) {
            if (rest.contains("double")) throw new IllegalArgumentException("long double is not supported: " + spelling);
            return new CType(CType.Kind.LONG, 0, spelling);
        }
        if (rest.contains("short")) return new CType(CType.Kind.SHORT, 0, spelling);
        if (rest.size() != 1) throw new IllegalArgumentException("cannot read type '" + spelling + "'");
        return new CType(BUILTIN.get(rest.get(0)).kind(), 0, spelling);
    }

    private static String declaredName(List<String> d) {
        for (int k = d.size() - 1; k >= 0; k--) if (CTokenizer.isIdentifier(d.get(k))) return d.get(k);
        return null;
    }

    private static int matching(List<String> tokens, int open, String opening, String closing) {
        int depth = 0;
        for (int k = open; k < tokens.size(); k++) {
            if (tokens.get(k).equals(opening)) depth++;
            if (tokens.get(k).equals(closing) && --depth == 0) return k;
        }
        throw new IllegalArgumentException("unbalanced " + opening);
    }

    /** Tokens joined as C is usually written: {@code const char **pStr}. */
    static String spell(List<String> tokens) {
        StringBuilder s = new StringBuilder();
        String previous = null;
        for (String t : tokens) {
            boolean glue = previous == null || previous.equals("*") || previous.equals("(") || previous.equals("[")
                    || t.equals(")") || t.equals("]") || t.equals("[") || t.equals(",")
                    || (t.equals("(") && previous.equals(")"));
            if (t.equals("*") && previous != null && !previous.equals("*") && !previous.equals("(")) glue = false;
            if (!glue) s.append(' ');
            s.append(t);
            previous = t;
        }
        return s.toString();
    }
}
