package dev.recur.engine.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The words a word-level model knows: id 0 is {@value #UNKNOWN}, which every other word maps to,
 * then the most frequent words of a training text (ties: the word seen first), up to a cap.
 */
public final class WordVocabulary {
    public static final String UNKNOWN = "<unk>";

    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();

    private WordVocabulary(List<String> words) {
        this.words = List.copyOf(words);
        for (int i = 0; i < this.words.size(); i++) {
            if (ids.put(this.words.get(i), i) != null) {
                throw new IllegalArgumentException("the word '" + this.words.get(i) + "' appears twice in the vocabulary");
            }
        }
        if (!UNKNOWN.equals(this.words.getFirst())) throw new IllegalArgumentException("id 0 must be " + UNKNOWN);
    }

    /** {@value #UNKNOWN} and the {@code maxSize - 1} most frequent of {@code tokens}. */
    public static WordVocabulary build(List<String> tokens, int maxSize) {
        if (maxSize < 2) throw new IllegalArgumentException("a vocabulary needs room for " + UNKNOWN + " and a word, got " + maxSize);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String t : tokens) counts.merge(t, 1, Integer::sum);
        counts.remove(UNKNOWN);
        List<String> byCount = new ArrayList<>(counts.keySet());   // first-seen order, kept by the stable sort
        byCount.sort(Comparator.comparingInt((String w) -> counts.get(w)).reversed());
        List<String> words = new ArrayList<>();
        words.add(UNKNOWN);
        words.addAll(byCount.subList(0, Math.min(byCount.size(), maxSize - 1)));
        return new WordVocabulary(words);
    }

    /** A vocabulary as saved: {@value #UNKNOWN} first, then the words by id. */
    public static WordVocabulary of(List<String> words) {
        return new WordVocabulary(words);
    }

    public int size() {
        return words.size();
    }

    /** The words by id, {@value #UNKNOWN} first. */
    public List<String> words() {
        return Collections.unmodifiableList(words);
    }

    /** The word's id, or 0 ({@value #UNKNOWN}) when it is not in the vocabulary. */
    public int id(String word) {
        return ids.getOrDefault(word, 0);
    }

    public boolean contains(String word) {
        return ids.containsKey(word);
    }

    public String word(int id) {
        return words.get(id);
    }

    /** Ids of {@code tokens}, and how many of them were not in the vocabulary. */
    public Encoded encode(List<String> tokens) {
        int[] out = new int[tokens.size()];
        int unknown = 0;
        for (int i = 0; i < out.length; i++) {
            Integer id = ids.get(tokens.get(i));
            if (id == null || id == 0) unknown++;
            out[i] = id == null ? 0 : id;
        }
        return new Encoded(out, unknown);
    }

    /** Token ids, and the count of tokens that became {@value #UNKNOWN}. */
    public record Encoded(int[] ids, int unknown) {
    }
}
