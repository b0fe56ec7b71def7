package dev.recur.engine.train;

import dev.recur.engine.data.CharCorpus;
import dev.recur.engine.data.TokenBatch;
import dev.recur.engine.data.Vocabulary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PyTorch word_language_model's batchify / get_batch: contiguous rows, consecutive chunks, a short last one. */
class TokenStreamTest {

    @Test
    void rowsAreContiguousAndChunksContinueEachOther() {
        int[] ids = IntStream.range(0, 23).toArray(); // 3 rows of 7, 2 ids dropped
        TokenStream s = new TokenStream(ids, 3);
        assertThat(s.rowLength()).isEqualTo(7);
        assertThat(s.stepsPerPass()).isEqualTo(6);
        assertThat(s.chunksPerPass(4)).isEqualTo(2);
        TokenBatch a = s.next(4);
        assertThat(a.steps()).isEqualTo(4);
        // time-major: step t, row b -> b*7 + t; its target the next id of the same row
        assertThat(a.inputs()).containsExactly(0, 7, 14, 1, 8, 15, 2, 9, 16, 3, 10, 17);
        assertThat(a.targets()).containsExactly(1, 8, 15, 2, 9, 16, 3, 10, 17, 4, 11, 18);
        assertThat(s.position()).isEqualTo(4);
        TokenBatch b = s.next(4);
        assertThat(b.steps()).isEqualTo(2);
        assertThat(b.inputs()).containsExactly(4, 11, 18, 5, 12, 19);
        assertThat(b.targets()).containsExactly(5, 12, 19, 6, 13, 20);
        assertThat(s.hasNext()).isFalse();
        assertThatThrownBy(() -> s.next(4)).hasMessageContaining("rewind()");
        s.rewind();
        assertThat(s.next(4).inputs()).isEqualTo(a.inputs());
    }

    @Test
    void everyTargetOfARowIsPredictedOncePerPass() {
        int[] ids = IntStream.range(0, 50).toArray();
        TokenStream s = new TokenStream(ids, 2);
        List<Integer> targets = new ArrayList<>();
        while (s.hasNext()) {
            TokenBatch c = s.next(7);
            for (int t = 0; t < c.steps(); t++) targets.add(c.targets()[t * 2]);
        }
        assertThat(targets).containsExactlyElementsOf(IntStream.range(1, 25).boxed().toList());
    }

    @Test
    void seekResumesWhereAPositionWasSaved() {
        int[] ids = IntStream.range(0, 40).map(i -> i * 3 % 11).toArray();
        TokenStream a = new TokenStream(ids, 4);
        a.next(3);
        int saved = a.position();
        TokenBatch expected = a.next(3);
        TokenStream b = new TokenStream(ids, 4);
        b.seek(saved);
        assertThat(b.next(3)).usingRecursiveComparison().isEqualTo(expected);
        assertThatThrownBy(() -> b.seek(10)).hasMessageContaining("outside 0..9");
    }

    @Test
    void refusesTooLittleTextAndBadLengths() {
        assertThatThrownBy(() -> new TokenStream(new int[5], 3)).hasMessageContaining("too few for 3 streams");
        assertThatThrownBy(() -> new TokenStream(new int[5], 0)).hasMessageContaining("batch size");
        assertThatThrownBy(() -> new TokenStream(new int[5], 1).next(0)).hasMessageContaining("chunk length");
    }

    @Test
    void readsACharCorpusTrainingPart() {
        String text = "the quick brown fox jumps over the lazy dog ".repeat(5);
        CharCorpus corpus = new CharCorpus(text, Vocabulary.fromText(text), 0.2);
        TokenStream s = new TokenStream(corpus.trainIds(), 2);
        assertThat(s.rowLength()).isEqualTo(corpus.trainLength() / 2);
        assertThat(corpus.vocabulary().decode(new int[]{s.next(1).inputs()[0]})).isEqualTo("t");
        assertThat(corpus.validationIds()).hasSize(corpus.validationLength());
    }
}
