package dev.recur.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a text corpus: one UTF-8 file, or every text file of a folder (not recursive) in name order,
 * joined with a newline between files.
 *
 * <p>In a folder, hidden files, symbolic links (Debian's {@code fortunes} has {@code art.u8 -> art})
 * and the binary index files of {@code strfile} ({@code *.dat}) are skipped, and so is any file whose
 * name ends in {@code .u8} (a UTF-8 twin of another file there). Strict UTF-8: a malformed file is a
 * one-line error naming it.
 */
public final class TextFiles {
    private TextFiles() {
    }

    /** The files {@link #read} would read for {@code path}, in order. */
    public static List<Path> corpusFiles(Path path) throws IOException {
        DataFileException.requireExists(path, "text file or folder", null);
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> entries = Files.list(path)) {
            entries.filter(TextFiles::isCorpusFile).sorted().forEach(files::add);
        }
        if (files.isEmpty()) {
            throw new DataFileException(path, "folder holds no text files (hidden files, links, *.dat and *.u8 are skipped)");
        }
        return files;
    }

    private static boolean isCorpusFile(Path p) {
        String name = p.getFileName().toString();
        return Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !name.startsWith(".")
                && !name.endsWith(".dat") && !name.endsWith(".u8");
    }

    /** The corpus text of a file or folder; see the class comment. */
    public static String read(Path path) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path file : corpusFiles(path)) {
            if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
                text.append('\n');
            }
            text.append(readUtf8(file));
        }
        return text.toString();
    }

    /** One file as strict UTF-8 (a leading byte-order mark is dropped). */
    public static String readUtf8(Path file) throws IOException {
        DataFileException.requireExists(file, "text file", null);
        byte[] bytes = Files.readAllBytes(file);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            throw new DataFileException(file, "is not valid UTF-8 text (" + e.getMessage() + " at byte "
                    + firstMalformed(bytes) + ")", e);
        }
    }

    private static long firstMalformed(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(Math.max(16, bytes.length));
        var result = decoder.decode(in, out, true);
        return result.isError() ? in.position() : -1;
    }
}
