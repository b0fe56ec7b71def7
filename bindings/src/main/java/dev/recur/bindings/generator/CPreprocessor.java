package dev.recur.bindings.generator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of the C preprocessor that system headers need for their declarations to be read:
 * conditional sections ({@code #if/#ifdef/#ifndef/#elif/#else/#endif}), object-like and
 * function-like macros with {@code ##}, and {@code #undef}. {@code #include} is not followed:
 * the caller names every header to read, in order. The result is the expanded token stream of
 * the active text, plus the macros as they stand after the last header.
 */
final class CPreprocessor {
    record Macro(String name, List<String> parameters, List<String> body) {
        boolean functionLike() {
            return parameters != null;
        }
    }

    private static final Pattern DEFINE = Pattern.compile("([A-Za-z_]\\w*)(\\(([^)]*)\\))?(.*)", Pattern.DOTALL);

    private final Map<String, Macro> macros = new LinkedHashMap<>();
    private final List<String> output = new ArrayList<>();

    /** {@code predefined}: macros the compiler would define for the target (name to body text). */
    CPreprocessor(Map<String, String> predefined) {
        predefined.forEach((name, body) -> macros.put(name, new Macro(name, null, CTokenizer.tokenize(body))));
    }

    List<String> tokens() {
        return output;
    }

    Map<String, Macro> macros() {
        return macros;
    }

    void process(Path header) throws IOException {
        String text = CTokenizer.stripComments(Files.readString(header).replace("\\\r\n", "").replace("\\\n", ""));
        Deque<boolean[]> conditions = new ArrayDeque<>(); // each: {active, some branch taken, parent active}
        List<String> pending = new ArrayList<>();
        int lineNumber = 0;
        for (String line : text.split("\n", -1)) {
            lineNumber++;
            String trimmed = line.strip();
            boolean active = conditions.isEmpty() || conditions.peek()[0];
            if (!trimmed.startsWith("#")) {
                if (active) pending.addAll(CTokenizer.tokenize(line));
                continue;
            }
            output.addAll(expand(pending, Set.of()));
            pending.clear();
            String directive = trimmed.substring(1).strip();
            String keyword = directive.split("[\\s(]", 2)[0];
            String argument = directive.substring(keyword.length()).strip();
            try {
                switch (keyword) {
                    case "if" -> push(conditions, active, active && evaluateCondition(argument));
                    case "ifdef" -> push(conditions, active, active && macros.containsKey(argument));
                    case "ifndef" -> push(conditions, active, active && !macros.containsKey(argument));
                    case "elif" -> {
                        boolean[] frame = requireOpen(conditions, keyword);
                        frame[0] = !frame[1] && frame[2] && evaluateCondition(argument);
                        frame[1] |= frame[0];
                    }
                    case "else" -> {
                        boolean[] frame = requireOpen(conditions, keyword);
                        frame[0] = !frame[1] && frame[2];
                        frame[1] = true;
                    }
                    case "endif" -> {
                        requireOpen(conditions, keyword);
                        conditions.pop();
                    }
                    case "define" -> { if (active) define(argument); }
                    case "undef" -> { if (active) macros.remove(argument); }
                    case "error" -> {
                        if (active) throw new IllegalStateException("#error " + argument);
                    }
                    default -> { } // #include (the caller lists the headers), #pragma, #line, #warning
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(header.getFileName() + ":" + lineNumber + ": " + e.getMessage(), e);
            }
        }
        output.addAll(expand(pending, Set.of()));
        if (!conditions.isEmpty()) throw new IllegalStateException(header.getFileName() + ": unterminated #if");
    }

    private static void push(Deque<boolean[]> conditions, boolean parentActive, boolean active) {
        conditions.push(new boolean[]{active, active, parentActive});
    }

    private static boolean[] requireOpen(Deque<boolean[]> conditions, String keyword) {
        if (conditions.isEmpty()) throw new IllegalStateException("#" + keyword + " without #if");
        return conditions.peek();
    }

    private void define(String argument) {
        Matcher m = DEFINE.matcher(argument);
        if (!m.matches()) throw new IllegalStateException("cannot read #define " + argument);
        List<String> parameters = null;
        if (m.group(2) != null) {
            parameters = new ArrayList<>();
            for (String p : m.group(3).split(",")) if (!p.isBlank()) parameters.add(p.strip());
        }
        macros.put(m.group(1), new Macro(m.group(1), parameters, CTokenizer.tokenize(m.group(4))));
    }

    private boolean evaluateCondition(String expression) {
        List<String> tokens = CTokenizer.tokenize(expression);
        List<String> resolved = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (!tokens.get(i).equals("defined")) {
                resolved.add(tokens.get(i));
                continue;
            }
            boolean parenthesised = tokens.get(i + 1).equals("(");
            String name = tokens.get(parenthesised ? i + 2 : i + 1);
            resolved.add(macros.containsKey(name) ? "1" : "0");
            i += parenthesised ? 3 : 1;
        }
        // After expansion, an identifier that is not a macro counts as 0 (C11 6.10.1).
        return ConstantExpression.evaluate(expand(resolved, Set.of()), name -> 0L) != 0;
    }

    /** Macro-expands {@code tokens}; {@code hidden} are the macros being expanded (no recursion into them). */
    List<String> expand(List<String> tokens, Set<String> hidden) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            Macro macro = macros.get(token);
            if (macro == null || hidden.contains(token)) {
                out.add(token);
                continue;
            }
            Set<String> inner = new HashSet<>(hidden);
            inner.add(token);
            if (!macro.functionLike()) {
                out.addAll(expand(macro.body(), inner));
                continue;
            }
            if (i + 1 >= tokens.size() || !tokens.get(i + 1).equals("(")) {
                out.add(token); // a function-like macro's name without arguments is not an invocation
                continue;
            }
            List<List<String>> arguments = new ArrayList<>();
            List<String> current = new ArrayList<>();
            int depth = 0;
            int j = i + 2;
            for (; j < tokens.size(); j++) {
                String t = tokens.get(j);
                if (depth == 0 && t.equals(")")) break;
                if (depth == 0 && t.equals(",")) {
                    arguments.add(current);
                    current = new ArrayList<>();
                    continue;
                }
                if (t.equals("(")) depth++;
                if (t.equals(")")) depth--;
                current.add(t);
            }
            if (j == tokens.size()) throw new IllegalStateException("unterminated arguments of macro " + token);
            arguments.add(current);
            out.addAll(expand(substitute(macro, arguments, inner), inner));
            i = j;
        }
        return out;
    }

    private List<String> substitute(Macro macro, List<List<String>> arguments, Set<String> hidden) {
        List<String> body = macro.body();
        List<String> out = new ArrayList<>();
        for (int k = 0; k < body.size(); k++) {
            String t = body.get(k);
            int index = macro.parameters().indexOf(t);
            boolean pasted = (k > 0 && body.get(k - 1).equals("##")) || (k + 1 < body.size() && body.get(k + 1).equals("##"));
            if (t.equals("##") && !out.isEmpty() && k + 1 < body.size()) {
                // Token pasting: glue the last token so far to the next operand's first token.
                String next = body.get(++k);
                int nextIndex = macro.parameters().indexOf(next);
                List<String> operand = nextIndex >= 0 ? arguments.get(nextIndex) : List.of(next);
                String last = out.removeLast();
                out.add(last + (operand.isEmpty() ? "" : operand.getFirst()));
                if (operand.size() > 1) out.addAll(operand.subList(1, operand.size()));
            } else if (index >= 0) {
                out.addAll(pasted ? arguments.get(index) : expand(arguments.get(index), hidden));
            } else {
                out.add(t);
            }
        }
        return out;
    }
}
