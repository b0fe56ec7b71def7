package dev.recur.engine.data;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The dates task's data, generated on the fly: a date between 1900-01-01 and 2099-12-31 written in
 * one of {@link #FORMATS} (English names, the weekday the date's own), to be translated to ISO
 * {@code yyyy-MM-dd}. Characters are token ids: sources over {@link #SOURCE_ALPHABET}, targets
 * over {@link #TARGET_ALPHABET} followed by {@link #BOS} and {@link #EOS}.
 */
public final class DateTranslation {
    /** The written forms: 3 March 1987, March 3, 1987, Tuesday, March 3, 1987, 3 Mar 1987, 03.03.1987, 1987-03-03, ... */
    public static final List<DateTimeFormatter> FORMATS = List.of(
            pattern("d MMMM yyyy"), pattern("MMMM d, yyyy"), pattern("EEEE, MMMM d, yyyy"), pattern("d MMM yyyy"),
            pattern("dd.MM.yyyy"), pattern("yyyy-MM-dd"), pattern("MMM d, yyyy"), pattern("EEE, d MMM yyyy"));
    public static final String SOURCE_ALPHABET = " ,-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    public static final String TARGET_ALPHABET = "-0123456789";
    public static final int BOS = TARGET_ALPHABET.length(), EOS = BOS + 1;
    public static final int TARGET_VOCABULARY = EOS + 1;
    /** Every ISO date is 10 characters; with EOS, 11 decoder steps. */
    public static final int TARGET_STEPS = 11;

    private static final long FIRST = LocalDate.of(1900, 1, 1).toEpochDay(), LAST = LocalDate.of(2099, 12, 31).toEpochDay();

    private DateTranslation() {
    }

    private static DateTimeFormatter pattern(String p) {
        return DateTimeFormatter.ofPattern(p, Locale.ENGLISH);
    }

    /** One example: the written date and its ISO form. */
    public record Example(String source, String target) {
    }

    /** A uniformly random date in a uniformly random format. */
    public static Example draw(Rng rng) {
        LocalDate date = LocalDate.ofEpochDay(FIRST + rng.nextInt((int) (LAST - FIRST + 1)));
        return new Example(FORMATS.get(rng.nextInt(FORMATS.size())).format(date), date.toString());
    }

    /** Source token ids; a character outside the alphabet is an IllegalArgumentException naming it. */
    public static int[] sourceIds(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = SOURCE_ALPHABET.indexOf(text.charAt(i));
            if (ids[i] < 0) {
                throw new IllegalArgumentException("character '" + text.charAt(i) + "' at position " + i
                        + " is not one a date is written with (" + SOURCE_ALPHABET.strip() + ")");
            }
        }
        return ids;
    }

    /** Target ids of an ISO date followed by EOS. */
    public static int[] targetIds(String iso) {
        int[] ids = new int[iso.length() + 1];
        for (int i = 0; i < iso.length(); i++) ids[i] = TARGET_ALPHABET.indexOf(iso.charAt(i));
        ids[iso.length()] = EOS;
        return ids;
    }

    /** The text of target ids (BOS and EOS left out). */
    public static String targetText(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) if (id < TARGET_ALPHABET.length()) sb.append(TARGET_ALPHABET.charAt(id));
        return sb.toString();
    }
}
