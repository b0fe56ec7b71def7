package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FashionMnistTest {
    @TempDir
    Path dir;

    static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b.array());
        }
        return out.toByteArray();
    }

    void writeTiny(int images, int labels) throws IOException {
        byte[] pixels = new byte[images * 28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i % 256);
        }
        byte[] y = new byte[labels];
        for (int i = 0; i < labels; i++) {
            y[i] = (byte) (9 - i);
        }
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), idx(new int[]{images, 28, 28}, pixels));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), idx(new int[]{labels}, y));
    }

    @Test
    void readsRowsAsStepsScaledToUnitRange() throws IOException {
        writeTiny(3, 3);
        FashionMnist data = FashionMnist.load(dir, FashionMnist.Part.TEST);
        assertThat(data.size()).isEqualTo(3);
        assertThat(data.maxSteps()).isEqualTo(28);
        assertThat(data.label(2)).isEqualTo(7);
        // Image 1, row 2, col 5 is byte (784 + 2*28 + 5) % 256.
        assertThat(data.pixel(1, 2, 5)).isEqualTo(((784 + 61) % 256) / 255f);
        SequenceBatch b = Batches.pad(data, new int[]{1, 2});
        assertThat(b.steps()).isEqualTo(28);
        assertThat(b.features()).isEqualTo(28);
        // step t of sample j is row t of its image
        assertThat(b.inputs()[(2 * 2 + 0) * 28 + 5]).isEqualTo(data.pixel(1, 2, 5));
        assertThat(b.inputs()[(27 * 2 + 1) * 28 + 27]).isEqualTo(data.pixel(2, 27, 27));
        for (float v : b.inputs()) {
            assertThat(v).isBetween(0f, 1f);
        }
        assertThat(b.classTargets()).containsExactly(8, 7);
    }

    @Test
    void absentDataSaysHowToInstallIt() throws IOException {
        Path none = dir.resolve("no-such-folder");
        assertThatThrownBy(() -> FashionMnist.load(none, FashionMnist.Part.TRAIN)).isInstanceOf(DataFileException.class)
                .hasMessage(none + ": Fashion-MNIST folder does not exist; install it: apt-get install dataset-fashion-mnist");
        assertThatThrownBy(() -> FashionMnist.load(dir, FashionMnist.Part.TRAIN))
                .hasMessage(dir.resolve("train-images-idx3-ubyte.gz")
                        + ": Fashion-MNIST file does not exist; install it: apt-get install dataset-fashion-mnist");
    }

    @Test
    void labelCountMustMatchImageCount() throws IOException {
        writeTiny(3, 2);
        assertThatThrownBy(() -> FashionMnist.load(dir, FashionMnist.Part.TEST))
                .hasMessage(dir.resolve("t10k-labels-idx1-ubyte.gz")
                        + ": holds 2 labels, expected 3 as there are images in t10k-images-idx3-ubyte.gz");
    }

    @Test
    void theRealDebianFilesWhenInstalled() throws IOException {
        assumeTrue(Files.isDirectory(FashionMnist.DEBIAN_DIR),
                "skipped: " + FashionMnist.DEBIAN_DIR + " is absent (apt-get install dataset-fashion-mnist)");
        FashionMnist train = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Part.TRAIN);
        FashionMnist test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Part.TEST);
        assertThat(train.size()).isEqualTo(60_000);
        assertThat(test.size()).isEqualTo(10_000);
        int[] counts = new int[10];
        for (int i = 0; i < test.size(); i++) {
            counts[test.label(i)]++;
        }
        assertThat(counts).containsOnly(1000); // Fashion-MNIST's test set is balanced
        float max = 0;
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                max = Math.max(max, train.pixel(0, r, c));
            }
        }
        assertThat(max).isGreaterThan(0.5f).isLessThanOrEqualTo(1f);
    }
}
