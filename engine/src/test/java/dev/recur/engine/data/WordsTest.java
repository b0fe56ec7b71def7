package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.WordVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The word-level pieces: tokenizer, vocabulary with its unknown token, corpus and its unigram baseline, word vectors. */
class WordsTest {
    @TempDir
    Path dir;

    @Test
    void tokensAreWordsPunctuationAndNewlines() {
        List<String> tokens = WordTokenizer.tokens("Don't panic!\n\t-- Douglas  O’Brien, 1979.");
        assertThat(tokens).containsExactly("Don't", "panic", "!", "\n", "-", "-", "Douglas", "O’Brien", ",", "1979", ".");
        assertThat(WordTokenizer.join(tokens)).isEqualTo("Don't panic!\n- - Douglas O’Brien, 1979.");
        assertThat(WordTokenizer.join(WordTokenizer.tokens("(a) [b], c"))).isEqualTo("(a) [b], c");
        assertThat(WordTokenizer.tokens("it's 'quoted'")).containsExactly("it's", "'", "quoted", "'");
    }

    @Test
    void theVocabularyKeepsTheMostFrequentWordsAndCountsTheRestAsUnknown() {
        List<String> tokens = List.of("b", "a", "c", "a", "b", "d", "a");
        WordVocabulary v = WordVocabulary.build(tokens, 3);
        assertThat(v.words()).containsExactly(WordVocabulary.UNKNOWN, "a", "b");   // b before c and d: more frequent
        assertThat(WordVocabulary.build(tokens, 4).words()).containsExactly(WordVocabulary.UNKNOWN, "a", "b", "c");
        WordVocabulary.Encoded e = v.encode(List.of("a", "z", "b", "c"));
        assertThat(e.ids()).containsExactly(1, 0, 2, 0);
        assertThat(e.unknown()).isEqualTo(2);
        assertThat(WordVocabulary.of(v.words())).usingRecursiveComparison().isEqualTo(v);
        assertThatThrownBy(() -> WordVocabulary.of(List.of("a"))).hasMessageContaining("id 0 must be <unk>");
    }

    /** The vocabulary comes from the training part; the unigram baseline is add-one smoothed training frequencies. */
    @Test
    void theCorpusSplitsInOrderAndScoresTheUnigramBaseline() {
        List<String> tokens = List.of("a", "b", "a", "a", "c", "b", "a", "b", "z", "a");
        WordCorpus corpus = new WordCorpus(tokens, 10, 0.2);      // train: a b a a c b a b; validation: z a
        assertThat(corpus.vocabulary().words()).containsExactly(WordVocabulary.UNKNOWN, "a", "b", "c");
        assertThat(corpus.tokens().validationIds()).containsExactly(0, 1);
        assertThat(corpus.validationUnknown()).isEqualTo(1);
        double total = 8 + 4;   // training tokens + vocabulary size
        double expected = Math.exp(-(Math.log(1 / total) + Math.log(5 / total)) / 2);
        assertThat(corpus.unigramPerplexity()).isCloseTo(expected, within(1e-12));
        WordCorpus reread = new WordCorpus(List.of("c", "c", "q", "a", "b"), corpus.vocabulary(), 0.4);
        assertThat(reread.vocabulary()).isSameAs(corpus.vocabulary());
        assertThat(reread.tokens().trainIds()).containsExactly(3, 3, 0);
        assertThat(reread.trainUnknown()).isEqualTo(1);
    }

    @Test
    void wordVectorsReadGloveAndWord2vecText() throws IOException {
        Path glove = Files.writeString(dir.resolve("glove.txt"), "the 0.5 -1 2\ncat 1e-3 0 0\ndog 1 1 1\n");
        WordVectors.Found found = WordVectors.read(glove, Set.of("cat", "the", "emu"));
        assertThat(found.dimension()).isEqualTo(3);
        assertThat(found.vectors().keySet()).containsExactlyInAnyOrder("the", "cat");
        assertThat(found.vectors().get("the")).containsExactly(0.5f, -1f, 2f);
        Path w2v = Files.writeString(dir.resolve("w2v.txt"), "2 2\nthe 1 2\ncat 3 4\n");
        assertThat(WordVectors.read(w2v, Set.of("cat")).vectors().get("cat")).containsExactly(3f, 4f);
        Path ragged = Files.writeString(dir.resolve("ragged.txt"), "the 1 2\ncat 3\n");
        assertThatThrownBy(() -> WordVectors.read(ragged, Set.of())).isInstanceOf(DataFileException.class)
                .hasMessage(ragged + ": line 2 has 1 numbers, expected 2 as on the first vector's line");
        Path nan = Files.writeString(dir.resolve("nan.txt"), "the 1 NaN\n");
        assertThatThrownBy(() -> WordVectors.read(nan, Set.of("the"))).hasMessage(nan + ": line 1 ('the'): 'NaN' is not a finite number");
    }
}
