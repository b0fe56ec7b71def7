package dev.recur.engine.data;

import dev.recur.engine.io.SafeTensorsException;
import dev.recur.engine.io.SafeTensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorsDatasetTest {
    @TempDir
    Path dir;

    /** x [3, 4, 2] with x[n, t, i] = 100 n + 10 t + i. */
    static float[] x() {
        float[] x = new float[3 * 4 * 2];
        for (int n = 0; n < 3; n++) {
            for (int t = 0; t < 4; t++) {
                for (int i = 0; i < 2; i++) {
                    x[(n * 4 + t) * 2 + i] = 100 * n + 10 * t + i;
                }
            }
        }
        return x;
    }

    Path write(String name, Consumer<SafeTensorsWriter> fill) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter();
        fill.accept(w);
        return w.write(dir.resolve(name));
    }

    @Test
    void classesPerSampleWithLengthsPadIntoTimeMajorBatches() throws IOException {
        Path file = write("c.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[]{2, 0, 5}, 3)
                .putI32("lengths", new int[]{4, 1, 2}, 3));
        TensorsDataset data = TensorsDataset.load(file);
        assertThat(data.size()).isEqualTo(3);
        assertThat(data.targetKind()).isEqualTo(TargetKind.CLASS_PER_SAMPLE);
        assertThat(data.numClasses()).isEqualTo(6);
        SequenceBatch b = Batches.pad(data, new int[]{1, 2});
        assertThat(b.steps()).isEqualTo(2);
        assertThat(b.inputs()).containsExactly(100, 101, 200, 201, 0, 0, 210, 211);
        assertThat(b.classTargets()).containsExactly(0, 5);
    }

    @Test
    void valuesPerStepWithoutLengthsUseAllSteps() throws IOException {
        float[] y = new float[12];
        for (int i = 0; i < 12; i++) {
            y[i] = i * 0.5f;
        }
        Path file = write("r.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putF32("y", y, 3, 4));
        TensorsDataset data = TensorsDataset.load(file);
        assertThat(data.targetKind()).isEqualTo(TargetKind.VALUE_PER_STEP);
        assertThat(data.length(2)).isEqualTo(4);
        SequenceBatch b = Batches.pad(data, new int[]{2, 0});
        assertThat(b.valueTargets()).containsExactly(4f, 0f, 4.5f, 0.5f, 5f, 1f, 5.5f, 1.5f);
    }

    @Test
    void everyInconsistencyIsOneLineNamingFileAndKey() throws IOException {
        Path noX = write("nox.safetensors", w -> w.putI64("y", new long[]{1}, 1));
        assertThatThrownBy(() -> TensorsDataset.load(noX)).isInstanceOf(SafeTensorsException.class)
                .hasMessage(noX + ": key 'x' is missing: expected the inputs, F32 [N, T, I]");
        Path rank = write("rank.safetensors", w -> w.putF32("x", x(), 12, 2).putI64("y", new long[12], 12));
        assertThatThrownBy(() -> TensorsDataset.load(rank))
                .hasMessage(rank + ": key 'x' has shape [12, 2] (rank 2), expected [N, T, I]");
        Path xType = write("xtype.safetensors", w -> w.putF64("x", new double[24], 3, 4, 2).putI64("y", new long[3], 3));
        assertThatThrownBy(() -> TensorsDataset.load(xType))
                .hasMessage(xType + ": key 'x' has dtype F64, expected F32 (features [N, T, I]) or I64 (token ids [N, T])");
        Path idsRank = write("idsrank.safetensors", w -> w.putI64("x", new long[24], 3, 4, 2).putI64("y", new long[3], 3));
        assertThatThrownBy(() -> TensorsDataset.load(idsRank))
                .hasMessage(idsRank + ": key 'x' has shape [3, 4, 2] (rank 3), expected [N, T] of token ids");
        Path negativeId = write("negid.safetensors", w -> w.putI64("x", new long[]{0, 1, 2, 3, 4, -5, 6, 7}, 2, 4)
                .putI64("y", new long[2], 2));
        assertThatThrownBy(() -> TensorsDataset.load(negativeId))
                .hasMessage(negativeId + ": key 'x' holds token id -5 at [1, 1], expected ids in 0..16777215");
        TensorsDataset ids = TensorsDataset.load(write("ids.safetensors", w -> w.putI32("x", new int[]{0, 7, 2, 3, 4, 5}, 2, 3)
                .putI64("y", new long[2], 2)));
        assertThat(ids.vocabulary()).isEqualTo(8);
        assertThat(ids.features()).isEqualTo(1);
        float[] step = new float[1];
        ids.copyStep(0, 1, step, 0);
        assertThat(step[0]).isEqualTo(7f);
        Path noY = write("noy.safetensors", w -> w.putF32("x", x(), 3, 4, 2));
        assertThatThrownBy(() -> TensorsDataset.load(noY)).hasMessageStartingWith(noY + ": key 'y' is missing");
        Path yN = write("yn.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[4], 4));
        assertThatThrownBy(() -> TensorsDataset.load(yN)).hasMessage(yN + ": key 'y' has N = 4 (shape [4]), but x has N = 3");
        Path yShape = write("yshape.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[15], 3, 5));
        assertThatThrownBy(() -> TensorsDataset.load(yShape))
                .hasMessage(yShape + ": key 'y' has shape [3, 5], expected [3] or [3, 4] for x of shape [3, 4, 2]");
        Path yType = write("ytype.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putF64("y", new double[3], 3));
        assertThatThrownBy(() -> TensorsDataset.load(yType))
                .hasMessage(yType + ": key 'y' has dtype F64, expected I64 or I32 (classes) or F32 (regression)");
        float[] withNaN = x();
        withNaN[13] = Float.NaN;   // [1, 2, 1] of [3, 4, 2]
        Path nanX = write("nanx.safetensors", w -> w.putF32("x", withNaN, 3, 4, 2).putI64("y", new long[3], 3));
        assertThatThrownBy(() -> TensorsDataset.load(nanX))
                .hasMessage(nanX + ": key 'x' holds NaN at [1, 2, 1]: the data must be finite numbers");
        Path infY = write("infy.safetensors", w -> w.putF32("x", x(), 3, 4, 2)
                .putF32("y", new float[]{0, 1, Float.NEGATIVE_INFINITY}, 3));
        assertThatThrownBy(() -> TensorsDataset.load(infY))
                .hasMessage(infY + ": key 'y' holds -Infinity at [2]: the data must be finite numbers");
        Path negative = write("neg.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[]{0, -1, 2}, 3));
        assertThatThrownBy(() -> TensorsDataset.load(negative))
                .hasMessage(negative + ": key 'y' holds class -1 at [1], expected class ids >= 0");
        Path lengthsN = write("ln.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[3], 3)
                .putI64("lengths", new long[]{1, 2}, 2));
        assertThatThrownBy(() -> TensorsDataset.load(lengthsN))
                .hasMessage(lengthsN + ": key 'lengths' has N = 2, but x has N = 3");
        Path lengthsRange = write("lr.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[3], 3)
                .putI64("lengths", new long[]{1, 5, 2}, 3));
        assertThatThrownBy(() -> TensorsDataset.load(lengthsRange))
                .hasMessage(lengthsRange + ": key 'lengths' [1] is 5, expected 1..4 (T of x)");
        Path lengthsType = write("lt.safetensors", w -> w.putF32("x", x(), 3, 4, 2).putI64("y", new long[3], 3)
                .putF32("lengths", new float[3], 3));
        assertThatThrownBy(() -> TensorsDataset.load(lengthsType))
                .hasMessage(lengthsType + ": key 'lengths' has dtype F32, expected I64 or I32");
        Path missing = dir.resolve("absent.safetensors");
        assertThatThrownBy(() -> TensorsDataset.load(missing)).hasMessage(missing + ": tensors data set does not exist");
    }
}
