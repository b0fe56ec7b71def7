package dev.recur.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CsvColumnTest {
    @TempDir
    Path dir;

    @Test
    void readsTheNamedColumnWithQuotesAndBlankLines() throws IOException {
        Path csv = Files.writeString(dir.resolve("s.csv"),
                "\uFEFFdate, \"temp, C\",load\n2024-01-01,1.5,3\n\n\"2024-01-02\",\"-2e1\",4\n2024-01-03, 7 ,5\n");
        assertThat(CsvColumn.header(csv)).containsExactly("date", "temp, C", "load");
        assertThat(CsvColumn.read(csv, "temp, C")).containsExactly(1.5, -20.0, 7.0);
        assertThat(CsvColumn.read(csv, "load")).containsExactly(3.0, 4.0, 5.0);
    }

    @Test
    void unknownColumnListsTheAvailableOnes() throws IOException {
        Path csv = Files.writeString(dir.resolve("s.csv"), "date,temp\n1,2\n");
        assertThatThrownBy(() -> CsvColumn.read(csv, "Temp")).isInstanceOf(DataFileException.class)
                .hasMessage(csv + ": has no column 'Temp'; available columns: 'date', 'temp'");
    }

    @Test
    void badCellNamesLineColumnAndValue() throws IOException {
        Path csv = Files.writeString(dir.resolve("s.csv"), "a,b\n1,2\n3,x7\n");
        assertThatThrownBy(() -> CsvColumn.read(csv, "b"))
                .hasMessage(csv + ": line 3, column 'b': 'x7' is not a finite number");
        Path nan = Files.writeString(dir.resolve("n.csv"), "a\nNaN\n");
        assertThatThrownBy(() -> CsvColumn.read(nan, "a")).hasMessage(nan + ": line 2, column 'a': the value is missing ('NaN'); pass --missing drop or --missing interpolate");
        Path inf = Files.writeString(dir.resolve("i.csv"), "a\n1\ninf\n");
        assertThatThrownBy(() -> CsvColumn.read(inf, "a", CsvColumn.Missing.INTERPOLATE)).hasMessage(inf + ": line 3, column 'a': 'inf' is not a finite number");
        Path ragged = Files.writeString(dir.resolve("r.csv"), "a,b\n1\n");
        assertThatThrownBy(() -> CsvColumn.read(ragged, "a")).hasMessage(ragged + ": line 2 has 1 cells, expected 2 as in the header");
    }

    @Test
    void missingCellsAreDroppedOrInterpolated() throws IOException {
        Path csv = Files.writeString(dir.resolve("gaps.csv"), "t,v\n0,\n1,2\n2,NA\n3,\n4,8\n5,null\n");
        CsvColumn.Values dropped = CsvColumn.read(csv, "v", CsvColumn.Missing.DROP);
        assertThat(dropped.values()).containsExactly(2.0, 8.0);
        assertThat(dropped.missing()).isEqualTo(4);
        CsvColumn.Values filled = CsvColumn.read(csv, "v", CsvColumn.Missing.INTERPOLATE);
        assertThat(filled.values()).containsExactly(2.0, 2.0, 4.0, 6.0, 8.0, 8.0);
        assertThat(filled.missing()).isEqualTo(4);
        assertThatThrownBy(() -> CsvColumn.read(csv, "v")).hasMessageContaining("line 2, column 'v': the value is missing");
        Path none = Files.writeString(dir.resolve("none.csv"), "v\n\nNA\n");
        assertThatThrownBy(() -> CsvColumn.read(none, "v", CsvColumn.Missing.INTERPOLATE))
                .hasMessage(none + ": column 'v' has no values, only missing cells");
    }

    @Test
    void missingAndEmptyFiles() throws IOException {
        Path missing = dir.resolve("none.csv");
        assertThatThrownBy(() -> CsvColumn.read(missing, "a")).isInstanceOf(DataFileException.class)
                .hasMessage(missing + ": CSV file does not exist");
        Path empty = Files.writeString(dir.resolve("e.csv"), "");
        assertThatThrownBy(() -> CsvColumn.read(empty, "a")).hasMessage(empty + ": is empty, expected a header row of column names");
    }
}
