package dev.recur.bindings.generator;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits C source (comments already removed) into preprocessing tokens: identifiers, numbers,
 * string and character literals, and punctuators. Enough of C for system headers, not a compiler.
 */
final class CTokenizer {
    private static final String[] MULTI_CHAR_PUNCTUATORS = {
        "...", "<<=", ">>=", "##", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "::", "++", "--",
        "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^="
    };

    private CTokenizer() { }

    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_')) i++;
                tokens.add(text.substring(start, i));
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(text.charAt(i + 1)))) {
                int start = i;
                // A pp-number (C11 6.4.8): digits, letters, dots, and a sign right after e, E, p or P.
                while (i < n) {
                    char d = text.charAt(i);
                    boolean exponentSign = (d == '+' || d == '-') && "eEpP".indexOf(text.charAt(i - 1)) >= 0;
                    if (Character.isLetterOrDigit(d) || d == '.' || d == '_' || exponentSign) i++;
                    else break;
                }
                tokens.add(text.substring(start, i));
            } else if (c == '"' || c == '\'') {
                int start = i++;
                while (i < n && text.charAt(i) != c) {
                    if (text.charAt(i) == '\\') i++;
                    i++;
                }
                i++;
                tokens.add(text.substring(start, Math.min(i, n)));
            } else {
                String punctuator = String.valueOf(c);
                for (String candidate : MULTI_CHAR_PUNCTUATORS) {
                    if (text.startsWith(candidate, i)) {
                        punctuator = candidate;
                        break;
                    }
                }
                tokens.add(punctuator);
                i += punctuator.length();
            }
        }
        return tokens;
    }

    /** The text with comments replaced by a space (newlines inside block comments kept, so lines still count). */
    static String stripComments(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int end = text.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                out.append(' ');
                for (int k = i; k < end; k++) if (text.charAt(k) == '\n') out.append('\n');
                i = end;
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '/') {
                while (i < n && text.charAt(i) != '\n') i++;
            } else if (c == '"' || c == '\'') {
                int start = i++;
                while (i < n && text.charAt(i) != c && text.charAt(i) != '\n') {
                    if (text.charAt(i) == '\\') i++;
                    i++;
                }
                i = Math.min(i + 1, n);
                out.append(text, start, i);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    static boolean isIdentifier(String token) {
        return !token.isEmpty() && (Character.isLetter(token.charAt(0)) || token.charAt(0) == '_');
    }
}
