package dev.recur.engine.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.io.InputStreamReader;

/**
 * Reads one numeric column of a CSV file with a header row: comma-separated, UTF-8, fields may be
 * quoted with {@code "} (a doubled {@code ""} inside quotes is a quote; quoted fields do not span
 * lines). Blank lines are skipped. Every problem is one {@link DataFileException} line naming the
 * file and, where it applies, the line number, the column and the cell.
 */
public final class CsvColumn {
    private CsvColumn() {
    }

    /** The header's column names, in order. */
    public static List<String> header(Path file) throws IOException {
        DataFileException.requireFile(file, "CSV file");
        try (BufferedReader reader = open(file)) {
            String line = firstLine(file, reader);
            return split(file, 1, line);
        } catch (CharacterCodingException e) {
            throw new DataFileException(file, "is not valid UTF-8 text", e);
        }
    }

    /**
     * The values of column {@code column} (matched exactly, after trimming the header's spaces), one per
     * data row, in file order. Cells must be finite numbers.
     */
    public static double[] read(Path file, String column) throws IOException {
        DataFileException.requireFile(file, "CSV file");
        try (BufferedReader reader = open(file)) {
            String headerLine = firstLine(file, reader);
            List<String> names = split(file, 1, headerLine);
            int index = names.indexOf(column);
            if (index < 0) {
                throw new DataFileException(file, "has no column '" + column + "'; available columns: "
                        + String.join(", ", names.stream().map(n -> "'" + n + "'").toList()));
            }
            double[] values = new double[1024];
            int count = 0;
            int lineNumber = 1;
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> cells = split(file, lineNumber, line);
                if (cells.size() != names.size()) {
                    throw new DataFileException(file, "line " + lineNumber + " has " + cells.size()
                            + " cells, expected " + names.size() + " as in the header");
                }
                String cell = cells.get(index);
                double v;
                try {
                    v = Double.parseDouble(cell);
                } catch (NumberFormatException e) {
                    v = Double.NaN;
                }
                if (!Double.isFinite(v)) {
                    throw new DataFileException(file, "line " + lineNumber + ", column '" + column + "': '" + cell
                            + "' is not a finite number");
                }
                if (count == values.length) {
                    values = Arrays.copyOf(values, values.length * 2);
                }
                values[count++] = v;
            }
            return Arrays.copyOf(values, count);
        } catch (CharacterCodingException e) {
            throw new DataFileException(file, "is not valid UTF-8 text", e);
        }
    }

    private static BufferedReader open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new DataFileException(file, "is a folder, expected a CSV file");
        }
        return new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
    }

    private static String firstLine(Path file, BufferedReader reader) throws IOException {
        String line = reader.readLine();
        if (line == null || line.isBlank()) {
            throw new DataFileException(file, "is empty, expected a header row of column names");
        }
        return line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    /** Splits one line into trimmed cells. */
    static List<String> split(Path file, int lineNumber, String line) throws DataFileException {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(c);
                }
            } else if (c == '"' && cell.toString().isBlank() && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
                cell.setLength(0);
            } else if (c == ',') {
                cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
                cell.setLength(0);
                wasQuoted = false;
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            throw new DataFileException(file, "line " + lineNumber + " has an unterminated quoted field");
        }
        cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
        return cells;
    }
}
