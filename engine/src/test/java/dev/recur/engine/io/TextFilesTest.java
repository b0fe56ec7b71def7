package dev.recur.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextFilesTest {
    @TempDir
    Path dir;

    @Test
    void readsAFolderInNameOrderSkippingIndexFilesLinksAndHiddenFiles() throws IOException {
        Files.writeString(dir.resolve("b"), "second\n%\n");
        Files.writeString(dir.resolve("a"), "first é 😀");
        Files.write(dir.resolve("a.dat"), new byte[]{0, 0, 0, 2, (byte) 0xff});
        Files.createSymbolicLink(dir.resolve("a.u8"), dir.resolve("a"));
        Files.createSymbolicLink(dir.resolve("z"), dir.resolve("a"));
        Files.writeString(dir.resolve(".hidden"), "no");
        assertThat(TextFiles.corpusFiles(dir)).containsExactly(dir.resolve("a"), dir.resolve("b"));
        assertThat(TextFiles.read(dir)).isEqualTo("first é 😀\nsecond\n%\n");
        assertThat(TextFiles.read(dir.resolve("b"))).isEqualTo("second\n%\n");
    }

    @Test
    void malformedUtf8AndMissingPathsAreOneLine() throws IOException {
        Path bad = Files.write(dir.resolve("bad.txt"), new byte[]{'o', 'k', (byte) 0xc3, '('});
        assertThatThrownBy(() -> TextFiles.read(bad)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(bad + ": is not valid UTF-8 text").hasMessageContaining("at byte 2");
        Path missing = dir.resolve("missing.txt");
        assertThatThrownBy(() -> TextFiles.read(missing)).hasMessage(missing + ": text file or folder does not exist");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> TextFiles.read(empty)).hasMessageStartingWith(empty + ": folder holds no text files");
    }
}
