package dev.recur.bindings.generator;

import java.util.List;
import java.util.function.Function;

/**
 * Evaluates a C integer constant expression, as in {@code #if} lines and enumerator values:
 * literals, parentheses, unary {@code - + ! ~}, the binary arithmetic, shift, comparison, bitwise
 * and logical operators, and {@code ?:}. Identifiers are resolved by the caller (enumerators
 * seen so far; 0 for an undefined macro in {@code #if}). Casts and sizeof are not supported:
 * such an expression throws {@link IllegalArgumentException}.
 */
final class ConstantExpression {
    private final List<String> tokens;
    private final Function<String, Long> identifiers;
    private int position;

    private ConstantExpression(List<String> tokens, Function<String, Long> identifiers) {
        this.tokens = tokens;
        this.identifiers = identifiers;
    }

    /** The value of {@code tokens}; {@code identifiers} answers null for a name it does not know. */
    static long evaluate(List<String> tokens, Function<String, Long> identifiers) {
        ConstantExpression e = new ConstantExpression(tokens, identifiers);
        long value = e.conditional();
        if (e.position != tokens.size()) {
            throw new IllegalArgumentException("unexpected '" + tokens.get(e.position) + "' in " + String.join(" ", tokens));
        }
        return value;
    }

    private long conditional() {
        long condition = binary(0);
        if (!accept("?")) return condition;
        long whenTrue = conditional();
        expect(":");
        long whenFalse = conditional();
        return condition != 0 ? whenTrue : whenFalse;
    }

    // Binary operators by C precedence, loosest first.
    private static final List<List<String>> LEVELS = List.of(
            List.of("||"), List.of("&&"), List.of("|"), List.of("^"), List.of("&"), List.of("==", "!="),
            List.of("<", ">", "<=", ">="), List.of("<<", ">>"), List.of("+", "-"), List.of("*", "/", "%"));

    private long binary(int level) {
        if (level == LEVELS.size()) return unary();
        long left = binary(level + 1);
        while (position < tokens.size() && LEVELS.get(level).contains(tokens.get(position))) {
            String operator = tokens.get(position++);
            long right = binary(level + 1);
            left = switch (operator) {
                case "||" -> (left != 0 || right != 0) ? 1 : 0;
                case "&&" -> (left != 0 && right != 0) ? 1 : 0;
                case "|" -> left | right;
                case "^" -> left ^ right;
                case "&" -> left & right;
                case "==" -> left == right ? 1 : 0;
                case "!=" -> left != right ? 1 : 0;
                case "<" -> left < right ? 1 : 0;
                case ">" -> left > right ? 1 : 0;
                case "<=" -> left <= right ? 1 : 0;
                case ">=" -> left >= right ? 1 : 0;
                case "<<" -> left << right;
                case ">>" -> left >> right;
                case "+" -> left + right;
                case "-" -> left - right;
                case "*" -> left * right;
                case "/" -> left / right;
                default -> left % right;
            };
        }
        return left;
    }

    private long unary() {
        if (accept("-")) return -unary();
        if (accept("+")) return unary();
        if (accept("!")) return unary() == 0 ? 1 : 0;
        if (accept("~")) return ~unary();
        if (accept("(")) {
            long value = conditional();
            expect(")");
            return value;
        }
        if (position == tokens.size()) throw new IllegalArgumentException("expression ends early: " + String.join(" ", tokens));
        String token = tokens.get(position++);
        if (Character.isDigit(token.charAt(0))) return literal(token);
        Long value = CTokenizer.isIdentifier(token) ? identifiers.apply(token) : null;
        if (value == null) throw new IllegalArgumentException("cannot evaluate '" + token + "' in " + String.join(" ", tokens));
        return value;
    }

    private static long literal(String token) {
        String digits = token.replaceAll("[uUlL]+$", "");
        if (digits.startsWith("0x") || digits.startsWith("0X")) return Long.parseUnsignedLong(digits.substring(2), 16);
        if (digits.length() > 1 && digits.startsWith("0")) return Long.parseLong(digits.substring(1), 8);
        return Long.parseLong(digits);
    }

    private boolean accept(String token) {
        if (position < tokens.size() && tokens.get(position).equals(token)) {
            position++;
            return true;
        }
        return false;
    }

    private void expect(String token) {
        if (!accept(token)) throw new IllegalArgumentException("expected '" + token + "' in " + String.join(" ", tokens));
    }
}
