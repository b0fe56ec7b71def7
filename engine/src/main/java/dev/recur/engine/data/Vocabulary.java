package dev.recur.engine.data;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The characters of a corpus: its distinct Unicode code points in ascending order, id = position. The
 * order depends only on the set of characters, so the same text always gives the same ids; a
 * checkpoint carries {@link #codePoints()} (e.g. as an I32 tensor) and {@link #of(int[])} restores it.
 */
public final class Vocabulary {
    private final int[] codePoints;

    private Vocabulary(int[] codePoints) {
        this.codePoints = codePoints;
    }

    /** The distinct code points of {@code text}, sorted. */
    public static Vocabulary fromText(CharSequence text) {
        TreeSet<Integer> set = new TreeSet<>();
        text.codePoints().forEach(set::add);
        return new Vocabulary(set.stream().mapToInt(Integer::intValue).toArray());
    }

    /** A saved vocabulary; the code points must be valid, strictly ascending (as {@link #codePoints()} gives). */
    public static Vocabulary of(int[] codePoints) {
        for (int i = 0; i < codePoints.length; i++) {
            if (!Character.isValidCodePoint(codePoints[i])) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is " + codePoints[i]
                        + ", not a Unicode code point");
            }
            if (i > 0 && codePoints[i] <= codePoints[i - 1]) {
                throw new IllegalArgumentException("vocabulary entry " + i + " (" + codePoints[i]
                        + ") does not follow " + codePoints[i - 1] + ": expected strictly ascending code points");
            }
        }
        return new Vocabulary(codePoints.clone());
    }

    /** {@link #of(int[])} from longs, as an integer tensor reads back. */
    public static Vocabulary of(long[] codePoints) {
        int[] c = new int[codePoints.length];
        for (int i = 0; i < c.length; i++) {
            if (codePoints[i] < 0 || codePoints[i] > Character.MAX_CODE_POINT) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is " + codePoints[i]
                        + ", not a Unicode code point");
            }
            c[i] = (int) codePoints[i];
        }
        return of(c);
    }

    public int size() {
        return codePoints.length;
    }

    public int[] codePoints() {
        return codePoints.clone();
    }

    /** The id of a code point, or -1 when it is not in the vocabulary. */
    public int id(int codePoint) {
        int i = Arrays.binarySearch(codePoints, codePoint);
        return i >= 0 ? i : -1;
    }

    public int codePoint(int id) {
        return codePoints[id];
    }

    /** Ids of the text's code points; a character outside the vocabulary is an error naming it. */
    public int[] encode(CharSequence text) {
        int[] cps = text.codePoints().toArray();
        int[] ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            ids[i] = id(cps[i]);
            if (ids[i] < 0) {
                throw new IllegalArgumentException("character '" + describe(cps[i]) + "' (U+"
                        + String.format("%04X", cps[i]) + ") at position " + i + " is not in the model's vocabulary of "
                        + size() + " characters");
            }
        }
        return ids;
    }

    /** Ids of the text's known code points, the others left out: a model's view of new text. */
    public Known encodeKnown(CharSequence text) {
        int[] cps = text.codePoints().toArray();
        int[] ids = new int[cps.length];
        int n = 0;
        java.util.TreeSet<String> unknown = new java.util.TreeSet<>();
        for (int cp : cps) {
            int id = id(cp);
            if (id >= 0) ids[n++] = id;
            else unknown.add(describe(cp));
        }
        return new Known(Arrays.copyOf(ids, n), cps.length - n, List.copyOf(unknown));
    }

    /** The known characters' ids, how many characters were left out, and which (sorted, distinct). */
    public record Known(int[] ids, int leftOut, List<String> unknownCharacters) {
    }

    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.appendCodePoint(codePoints[id]);
        }
        return sb.toString();
    }

    private static String describe(int cp) {
        return Character.isISOControl(cp) || !Character.isDefined(cp) ? "?" : new String(Character.toChars(cp));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Vocabulary v && Arrays.equals(codePoints, v.codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }

    @Override
    public String toString() {
        return "Vocabulary[" + codePoints.length + " code points]";
    }
}
