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
     * What to do with a missing cell: an empty one, or {@code NA}, {@code NaN} or {@code null} (any
     * case). Any other cell that is not a finite number is an error whatever the policy.
     */
    public enum Missing {
        /** Refuse the file, naming the first missing cell's line. */
        FAIL,
        /** Leave the row out. */
        DROP,
        /** Fill with the straight line between the nearest present values (before the first or after the last: the nearest one). */
        INTERPOLATE;

        /** {@code fail}, {@code drop} or {@code interpolate}. */
        public static Missing parse(String name) {
            for (Missing m : values()) {
                if (m.name().equalsIgnoreCase(name)) return m;
            }
            throw new IllegalArgumentException("'" + name + "' is not a missing-value policy: expected fail, drop or interpolate");
        }
    }

    /** A column's values and how many of its cells were missing (dropped or filled). */
    public record Values(double[] values, int missing) {
    }

    /**
     * The values of column {@code column} (matched exactly, after trimming the header's spaces), one per
     * data row, in file order. Cells must be finite numbers.
     */
    public static double[] read(Path file, String column) throws IOException {
        return read(file, column, Missing.FAIL).values();
    }

    /** As {@link #read(Path, String)}, with missing cells handled by {@code missing}. */
    public static Values read(Path file, String column, Missing missing) throws IOException {
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
            int count = 0, absent = 0;
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
                if (isMissing(cell)) {
                    absent++;
                    switch (missing) {
                        case FAIL -> throw new DataFileException(file, "line " + lineNumber + ", column '" + column
                                + "': the value is missing ('" + cell + "'); pass --missing drop or --missing interpolate");
                        case DROP -> {
                            continue;
                        }
                        case INTERPOLATE -> cell = "NaN";   // filled below
                    }
                }
                double v;
                try {
                    v = Double.parseDouble(cell);
                } catch (NumberFormatException e) {
                    v = Double.NaN;
                }
                if (!Double.isFinite(v) && !(missing == Missing.INTERPOLATE && isMissing(cells.get(index)))) {
                    throw new DataFileException(file, "line " + lineNumber + ", column '" + column + "': '" + cell
                            + "' is not a finite number");
                }
                if (count == values.length) {
                    values = Arrays.copyOf(values, values.length * 2);
                }
                values[count++] = v;
            }
            double[] read = Arrays.copyOf(values, count);
            if (missing == Missing.INTERPOLATE && absent > 0) {
                if (absent == count) throw new DataFileException(file, "column '" + column + "' has no values, only missing cells");
                interpolate(read);
            }
            return new Values(read, absent);
        } catch (CharacterCodingException e) {
            throw new DataFileException(file, "is not valid UTF-8 text", e);
        }
    }

    private static boolean isMissing(String cell) {
        String c = cell.trim();
        return c.isEmpty() || c.equalsIgnoreCase("NA") || c.equalsIgnoreCase("NaN") || c.equalsIgnoreCase("null");
    }

    /** Fills NaN runs on the straight line between their present neighbours; runs at either end take the nearest value. */
    static void interpolate(double[] v) {
        int i = 0;
        while (i < v.length) {
            if (!Double.isNaN(v[i])) {
                i++;
                continue;
            }
            int end = i;
            while (end < v.length && Double.isNaN(v[end])) end++;
            double before = i > 0 ? v[i - 1] : v[end], after = end < v.length ? v[end] : v[i - 1];
            for (int j = i; j < end; j++) {
                v[j] = before + (after - before) * (j - i + 1) / (end - i + 1);
            }
            i = end;
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
