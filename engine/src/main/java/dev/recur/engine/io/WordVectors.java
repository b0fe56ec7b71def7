package dev.recur.engine.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Pretrained word vectors in the GloVe / word2vec text format: one word per line followed by its
 * d numbers, separated by spaces; word2vec's optional first line {@code "count d"} is skipped.
 * Only the words a caller asks for are kept. Every line must have the same d, and every number must
 * be finite; a problem is one line naming the file and the line.
 */
public final class WordVectors {
    private WordVectors() {
    }

    /** The vectors found, by word, and their width. */
    public record Found(Map<String, float[]> vectors, int dimension) {
    }

    public static Found read(Path file, Set<String> wanted) throws IOException {
        DataFileException.requireFile(file, "word-vector file");
        Map<String, float[]> out = new HashMap<>();
        int dimension = -1, lineNumber = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) continue;
                String[] parts = line.trim().split(" +");
                if (lineNumber == 1 && parts.length == 2 && parts[0].matches("[0-9]+") && parts[1].matches("[0-9]+")) {
                    continue;   // word2vec's header: count and width
                }
                if (parts.length < 2) throw new DataFileException(file, "line " + lineNumber + " has no numbers after its word");
                int d = parts.length - 1;
                if (dimension < 0) dimension = d;
                if (d != dimension) {
                    throw new DataFileException(file, "line " + lineNumber + " has " + d + " numbers, expected " + dimension
                            + " as on the first vector's line");
                }
                if (!wanted.contains(parts[0])) continue;
                float[] v = new float[d];
                for (int i = 0; i < d; i++) {
                    try {
                        v[i] = Float.parseFloat(parts[i + 1]);
                    } catch (NumberFormatException e) {
                        v[i] = Float.NaN;
                    }
                    if (!Float.isFinite(v[i])) {
                        throw new DataFileException(file, "line " + lineNumber + " ('" + parts[0] + "'): '" + parts[i + 1]
                                + "' is not a finite number");
                    }
                }
                out.put(parts[0], v);
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DataFileException(file, "is not valid UTF-8 text (line " + (lineNumber + 1) + ")", e);
        }
        if (dimension < 0) throw new DataFileException(file, "holds no word vectors");
        return new Found(out, dimension);
    }
}
