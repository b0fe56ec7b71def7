package dev.recur.engine.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text into words and punctuation for a word-level language model. The rules, in order,
 * over code points:
 * <ul>
 *   <li>a newline is a token of its own ({@value #NEWLINE}: a text's line structure, such as the
 *       {@code %} separators of fortune files, is part of what the model learns); other whitespace
 *       only separates tokens;</li>
 *   <li>a word is a maximal run of letters and digits, with apostrophes ({@code '} or {@code ’})
 *       inside it kept ({@code don't}, {@code O'Brien}); case is kept;</li>
 *   <li>every other character (punctuation, symbols) is a token of one character.</li>
 * </ul>
 * {@link #join} puts tokens back together: a space between words, none before closing punctuation
 * or after opening punctuation, none around a newline.
 */
public final class WordTokenizer {
    /** The token a newline becomes. */
    public static final String NEWLINE = "\n";

    private WordTokenizer() {
    }

    public static List<String> tokens(CharSequence text) {
        List<String> out = new ArrayList<>();
        String s = text.toString();
        int i = 0, n = s.length();
        while (i < n) {
            int cp = s.codePointAt(i);
            if (cp == '\n') {
                out.add(NEWLINE);
                i++;
            } else if (Character.isWhitespace(cp)) {
                i += Character.charCount(cp);
            } else if (Character.isLetterOrDigit(cp)) {
                int end = i;
                while (end < n) {
                    int c = s.codePointAt(end);
                    if (Character.isLetterOrDigit(c)) {
                        end += Character.charCount(c);
                    } else if ((c == '\'' || c == '\u2019') && end + 1 < n && Character.isLetterOrDigit(s.codePointAt(end + 1))) {
                        end += 1;   // an apostrophe between letters stays in the word
                    } else {
                        break;
                    }
                }
                out.add(s.substring(i, end));
                i = end;
            } else {
                out.add(new String(Character.toChars(cp)));
                i += Character.charCount(cp);
            }
        }
        return out;
    }

    /** Tokens as text: spaces between words, none before {@code .,;:!?)]}} or after {@code ([{}, none around newlines. */
    public static String join(List<String> tokens) {
        StringBuilder out = new StringBuilder();
        String previous = null;
        for (String t : tokens) {
            boolean space = previous != null && !previous.equals(NEWLINE) && !t.equals(NEWLINE)
                    && !".,;:!?)]}".contains(t) && !"([{".contains(previous);
            if (space) out.append(' ');
            out.append(t);
            previous = t;
        }
        return out.toString();
    }
}
