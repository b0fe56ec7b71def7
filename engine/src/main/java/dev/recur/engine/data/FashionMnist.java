package dev.recur.engine.data;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.IdxReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017) read row by row: each 28x28 image is a sequence of 28
 * steps of 28 features (pixel / 255, in [0, 1]), with one class (0..9) per image. The files are those
 * of Debian's {@code dataset-fashion-mnist}: {@code train-images-idx3-ubyte.gz},
 * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz},
 * {@code t10k-labels-idx1-ubyte.gz} (uncompressed twins without {@code .gz} are accepted too).
 */
public final class FashionMnist implements SequenceDataset {
    /** Where Debian's package installs the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String INSTALL_HINT = "install it: apt-get install dataset-fashion-mnist";
    public static final int SIDE = 28;
    public static final int CLASSES = 10;
    public static final String[] CLASS_NAMES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot"};

    /** The two parts of the data set, by their file prefix. */
    public enum Part {
        TRAIN("train"), TEST("t10k");

        final String prefix;

        Part(String prefix) {
            this.prefix = prefix;
        }
    }

    private final float[] pixels; // [N, 28, 28]
    private final int[] labels;

    private FashionMnist(float[] pixels, int[] labels) {
        this.pixels = pixels;
        this.labels = labels;
    }

    /** The images and labels of {@code part} from {@code dir}; a missing folder or file says how to install it. */
    public static FashionMnist load(Path dir, Part part) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DataFileException(dir, "Fashion-MNIST folder does not exist; " + INSTALL_HINT);
        }
        Path imagesFile = find(dir, part.prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, part.prefix + "-labels-idx1-ubyte");
        IdxReader.IdxArray images = IdxReader.read(imagesFile);
        IdxReader.IdxArray labels = IdxReader.read(labelsFile);
        if (images.dtype() != IdxReader.Dtype.UBYTE) {
            throw new DataFileException(imagesFile, "has IDX dtype " + images.dtype() + ", expected UBYTE pixels");
        }
        images.requireInnerDims(SIDE, SIDE);
        if (labels.dtype() != IdxReader.Dtype.UBYTE) {
            throw new DataFileException(labelsFile, "has IDX dtype " + labels.dtype() + ", expected UBYTE labels");
        }
        labels.requireInnerDims();
        int n = images.dim(0);
        if (labels.dim(0) != n) {
            throw new DataFileException(labelsFile, "holds " + labels.dim(0) + " labels, expected " + n
                    + " as there are images in " + imagesFile.getFileName());
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (int) labels.get(i);
            if (y[i] >= CLASSES) {
                throw new DataFileException(labelsFile, "label " + i + " is " + y[i] + ", expected 0.." + (CLASSES - 1));
            }
        }
        float[] x = new float[n * SIDE * SIDE];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (images.get(i) / 255.0);
        }
        return new FashionMnist(x, y);
    }

    private static Path find(Path dir, String stem) throws DataFileException {
        Path gz = dir.resolve(stem + ".gz");
        if (Files.exists(gz)) {
            return gz;
        }
        Path plain = dir.resolve(stem);
        if (Files.exists(plain)) {
            return plain;
        }
        throw new DataFileException(gz, "Fashion-MNIST file does not exist; " + INSTALL_HINT);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int maxSteps() {
        return SIDE;
    }

    @Override
    public int features() {
        return SIDE;
    }

    @Override
    public int length(int i) {
        return SIDE;
    }

    @Override
    public void copyStep(int i, int t, float[] dst, int offset) {
        System.arraycopy(pixels, (i * SIDE + t) * SIDE, dst, offset, SIDE);
    }

    /** Pixel (row, col) of image {@code i}, in [0, 1]. */
    public float pixel(int i, int row, int col) {
        return pixels[(i * SIDE + row) * SIDE + col];
    }

    public int label(int i) {
        return labels[i];
    }

    @Override
    public TargetKind targetKind() {
        return TargetKind.CLASS_PER_SAMPLE;
    }

    @Override
    public int targetWidth() {
        return 1;
    }

    @Override
    public int numClasses() {
        return CLASSES;
    }

    @Override
    public int classTarget(int i, int t) {
        return labels[i];
    }

    @Override
    public float valueTarget(int i, int t, int k) {
        throw new UnsupportedOperationException("Fashion-MNIST targets are classes");
    }
}
