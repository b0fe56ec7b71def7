package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CharCorpusTest {
    @TempDir
    Path dir;

    @Test
    void vocabularyIsSortedCodePointsAndRoundTrips() {
        Vocabulary v = Vocabulary.fromText("baé😀a\n");
        assertThat(v.codePoints()).containsExactly('\n', 'a', 'b', 'é', 0x1F600);
        assertThat(v.decode(v.encode("a😀b"))).isEqualTo("a😀b");
        assertThat(v.encode("a😀b")).containsExactly(1, 4, 2);
        assertThat(Vocabulary.of(v.codePoints())).isEqualTo(v);
        assertThat(Vocabulary.of(new long[]{10, 97, 98, 233, 0x1F600})).isEqualTo(v);
        assertThatThrownBy(() -> v.encode("az")).hasMessageStartingWith("character 'z' (U+007A) at position 1 is not in");
        assertThatThrownBy(() -> Vocabulary.of(new int[]{98, 97})).hasMessageContaining("strictly ascending");
    }

    @Test
    void batchesAreShiftedWindowsTrainRandomValidationFixed() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            text.append((char) ('a' + i % 26));
        }
        Path file = Files.writeString(dir.resolve("abc.txt"), text);
        CharCorpus corpus = CharCorpus.load(file, 5, 0.1);
        assertThat(corpus.trainLength()).isEqualTo(180);
        assertThat(corpus.validationLength()).isEqualTo(20);
        assertThat(corpus.vocabulary().size()).isEqualTo(26);
        TokenBatch b = corpus.trainBatch(new Rng(1), 5, 3);
        for (int j = 0; j < 3; j++) {
            for (int t = 0; t < 5; t++) {
                // The alphabet repeats, so each target is the next letter.
                assertThat(b.targets()[t * 3 + j]).isEqualTo((b.inputs()[t * 3 + j] + 1) % 26);
                if (t > 0) {
                    assertThat(b.inputs()[t * 3 + j]).isEqualTo(b.targets()[(t - 1) * 3 + j]);
                }
            }
        }
        assertThat(corpus.trainBatch(new Rng(1), 5, 3).inputs()).isEqualTo(b.inputs());
        // Validation text starts at offset 180 ('y'): windows at 0, 5, 10 (the 4th would need a 21st char).
        List<TokenBatch> v = corpus.validationBatches(5, 2);
        assertThat(v).extracting(TokenBatch::batchSize).containsExactly(2, 1);
        assertThat(corpus.vocabulary().decode(new int[]{v.get(0).inputs()[0], v.get(0).inputs()[1]})).isEqualTo("yd");
        assertThat(corpus.validationBatches(5, 2).get(1).targets()).isEqualTo(v.get(1).targets());
    }

    @Test
    void tooShortAndMissingTextsAreOneLine() throws IOException {
        Path small = Files.writeString(dir.resolve("small.txt"), "hello world");
        assertThatThrownBy(() -> CharCorpus.load(small, 50, 0.1)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(small + ": holds 11 characters, too few for windows of 50 steps");
        Path missing = dir.resolve("none.txt");
        assertThatThrownBy(() -> CharCorpus.load(missing, 50, 0.1)).isInstanceOf(DataFileException.class)
                .hasMessage(missing + ": text file or folder does not exist");
    }
}
