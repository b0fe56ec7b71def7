package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.TextFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A user's pairs for a sequence-to-sequence model: a UTF-8 file of lines {@code source TAB target}
 * (blank lines skipped), read as characters; and the {@link Alphabet}s that turn them into ids.
 */
public final class TextPairs {
    private TextPairs() {
    }

    public record Pair(String source, String target) {
    }

    /** Every pair of the file; a line without exactly one TAB, or with an empty side, is one error naming it. */
    public static List<Pair> read(Path tsv) throws IOException {
        DataFileException.requireFile(tsv, "pairs file");
        String[] lines = TextFiles.readUtf8(tsv).split("\n", -1);
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) continue;
            String[] parts = line.split("\t", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new DataFileException(tsv, "line " + (i + 1) + " is not 'source<TAB>target' with both sides non-empty");
            }
            pairs.add(new Pair(parts[0], parts[1]));
        }
        if (pairs.size() < 2) {
            throw new DataFileException(tsv, "holds " + pairs.size() + " pair(s); a pairs task needs at least 2 (10% are held out)");
        }
        return pairs;
    }

    /**
     * Characters to ids: id 0 is {@link #UNKNOWN} (any character the alphabet lacks), then the
     * characters, sorted; {@code extra} more ids follow them (a target alphabet's bos and eos).
     */
    public record Alphabet(String characters, int extra) {
        public static final char UNKNOWN = '\uFFFD';

        /** The characters of {@code texts}, sorted, after {@link #UNKNOWN}. */
        public static Alphabet of(List<String> texts, int extra) {
            TreeSet<Character> seen = new TreeSet<>();
            for (String t : texts) for (char c : t.toCharArray()) if (c != UNKNOWN) seen.add(c);
            StringBuilder sb = new StringBuilder().append(UNKNOWN);
            seen.forEach(sb::append);
            return new Alphabet(sb.toString(), extra);
        }

        public int size() {
            return characters.length() + extra;
        }

        /** The id of the first extra symbol (bos, then eos). */
        public int firstExtra() {
            return characters.length();
        }

        /** Ids of {@code text}, unknown characters as 0. */
        public int[] ids(String text) {
            int[] ids = new int[text.length()];
            for (int i = 0; i < ids.length; i++) ids[i] = Math.max(0, characters.indexOf(text.charAt(i), 1));
            return ids;
        }

        /** How many characters of {@code text} the alphabet lacks. */
        public int unknown(String text) {
            int n = 0;
            for (char c : text.toCharArray()) if (characters.indexOf(c, 1) < 0) n++;
            return n;
        }

        /** The text of ids (extra symbols left out). */
        public String text(int[] ids) {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) if (id < characters.length()) sb.append(characters.charAt(id));
            return sb.toString();
        }
    }
}
