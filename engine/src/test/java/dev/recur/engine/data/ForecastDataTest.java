package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ForecastDataTest {
    @TempDir
    Path dir;

    @Test
    void windowsSplitChronologicallyNormalisedOnTrainingOnly() throws IOException {
        StringBuilder csv = new StringBuilder("day,value\n");
        for (int i = 0; i < 100; i++) {
            csv.append(i).append(',').append(i * 2).append('\n'); // value = 2 * index
        }
        Path file = Files.writeString(dir.resolve("series.csv"), csv);
        ForecastData data = ForecastData.fromCsv(file, "value", 10, 7);
        // trainEnd 70, validationEnd 85: train targets in [10, 70), validation [70, 85), test [85, 100).
        assertThat(data.windowCount(ForecastData.Part.TRAIN)).isEqualTo(54);
        assertThat(data.windowCount(ForecastData.Part.VALIDATION)).isEqualTo(9);
        assertThat(data.windowCount(ForecastData.Part.TEST)).isEqualTo(9);
        // Mean and std of 0, 2, ..., 138 only.
        assertThat(data.scaling().mean()).isEqualTo(69.0);
        assertThat(data.scaling().std()).isCloseTo(2 * Math.sqrt((70 * 70 - 1) / 12.0), within(1e-9));

        SequenceDataset test = data.part(ForecastData.Part.TEST);
        SequenceBatch b = Batches.pad(test, new int[]{0, 8});
        assertThat(b.steps()).isEqualTo(10);
        assertThat(b.targetWidth()).isEqualTo(7);
        // Test window 0: inputs are values 75..84 (indices), targets 85..91.
        assertThat(data.scaling().prediction(b.inputs()[0], 0)).isCloseTo(150.0, within(1e-4));
        assertThat(data.scaling().prediction(b.inputs()[(9 * 2) + 1], 0)).isCloseTo(2 * 92.0, within(1e-4));
        assertThat(data.scaling().prediction(b.valueTargets()[0], 0)).isCloseTo(170.0, within(1e-4));
        assertThat(data.scaling().prediction(b.valueTargets()[7 + 6], 0)).isCloseTo(2 * 99.0, within(1e-4));
        // Repeating the last value misses by 2, 4, ..., 14: mean 8.
        assertThat(data.naiveMae(ForecastData.Part.TEST)).isCloseTo(8.0, within(1e-12));
    }

    /** Differences: inputs are steps, targets the change from the window's last value; predicting 0 is the naive forecast. */
    @Test
    void differencesSeeStepsAndPredictChanges() {
        double[] v = new double[100];
        for (int i = 0; i < v.length; i++) v[i] = 3 * i + (i % 2 == 0 ? 1 : -1);   // steps of 1 and 5, drifting up
        ForecastData data = new ForecastData(v, 10, 7, true);
        ForecastScaling s = data.scaling();
        assertThat(s.differences()).isTrue();
        assertThat(s.std()).isCloseTo(Math.sqrt((35 + 34 * 25) / 69.0), within(1e-9));   // the 69 steps of the first 70 values
        // The first training window needs one value before its inputs.
        assertThat(data.targetIndex(ForecastData.Part.TRAIN, 0)).isEqualTo(11);
        SequenceBatch b = Batches.pad(data.part(ForecastData.Part.TEST), new int[]{0});
        int first = data.targetIndex(ForecastData.Part.TEST, 0);
        assertThat(b.inputs()[9] * s.std()).isCloseTo(v[first - 1] - v[first - 2], within(1e-4));
        assertThat(s.prediction(b.valueTargets()[6], v[first - 1])).isCloseTo(v[first + 6], within(1e-4));
        assertThat(s.prediction(0f, v[first - 1])).isEqualTo(v[first - 1]);
        // A longer copy, split where the model's was: the test part grows, the scaling stays.
        double[] longer = java.util.Arrays.copyOf(v, 130);
        for (int i = 100; i < 130; i++) longer[i] = 3 * i;
        ForecastData later = new ForecastData(longer, 10, 7, s, data.trainEnd(), data.validationEnd());
        assertThat(later.windowCount(ForecastData.Part.TEST)).isEqualTo(data.windowCount(ForecastData.Part.TEST) + 30);
        assertThat(later.scaling()).isEqualTo(s);
    }

    @Test
    void errorsNameTheFileAndColumn() throws IOException {
        Path file = Files.writeString(dir.resolve("s.csv"), "a,b\n1,2\n2,3\n");
        assertThatThrownBy(() -> ForecastData.fromCsv(file, "c", 10, 7)).isInstanceOf(DataFileException.class)
                .hasMessage(file + ": has no column 'c'; available columns: 'a', 'b'");
        assertThatThrownBy(() -> ForecastData.fromCsv(file, "b", 10, 7)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(file + ": column 'b': 2 values are too few for a train window of 10 inputs"
                        + " and 7 targets").hasMessageEndingWith("need at least " + ForecastData.minimumLength(10, 7) + " values");
        Path missing = dir.resolve("none.csv");
        assertThatThrownBy(() -> ForecastData.fromCsv(missing, "b", 10, 7)).hasMessage(missing + ": CSV file does not exist");
    }

    @Test
    void theMinimumLengthIsExactlyEnough() {
        int n = ForecastData.minimumLength(24, 7);
        new ForecastData(new double[n], 24, 7);
        assertThatThrownBy(() -> new ForecastData(new double[n - 1], 24, 7)).isInstanceOf(IllegalArgumentException.class);
    }
}
