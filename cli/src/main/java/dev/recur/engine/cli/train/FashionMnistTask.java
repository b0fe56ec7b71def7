package dev.recur.engine.cli.train;

import dev.recur.engine.data.Batches;
import dev.recur.engine.data.FashionMnist;
import dev.recur.engine.data.IndexSplit;
import dev.recur.engine.data.SequenceBatch;
import dev.recur.engine.nn.RecurrentConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code --task fashion-mnist}: Debian's Fashion-MNIST ({@link FashionMnist}) read row by row, 28
 * steps of 28 pixels, one of 10 classes per image from the output at the last step (many-to-one
 * {@link dev.recur.engine.nn.SequenceClassifier}). Of the 60000 training images, 5000 (1/12) are
 * held out for validation by a fixed seed, the same for every run; the 10000 test images are read
 * only by {@code recur eval}. Metric: accuracy.
 *
 * <p>The files are read from {@link FashionMnist#DEBIAN_DIR}, or from the folder named by the system
 * property {@value #DIR_PROPERTY} (tests; {@code RECUR_JAVA_OPTS=-Drecur.fashion.dir=DIR ./recur train ...}).
 */
public final class FashionMnistTask extends DatasetTask {
    /** System property naming the folder of the IDX files (default: Debian's). */
    public static final String DIR_PROPERTY = "recur.fashion.dir";
    /** 5000 of the 60000 training images. */
    static final double VALIDATION_FRACTION = 1.0 / 12;
    /** The held-out images are the same whatever --seed is, so runs and {@code recur eval} agree. */
    static final long SPLIT_SEED = 0xFA5410AL;

    private final Path dir;
    private final int validationImages;
    private FashionMnist testData;
    private List<SequenceBatch> test;

    private FashionMnistTask(FashionMnist data, IndexSplit split, FashionMnist testData, Path dir, RecurrentConfig rnn,
                             int batchSize, float dropout, long seed) {
        super(data, split, requireInput(rnn), FashionMnist.CLASSES, batchSize, dropout, seed);
        this.dir = dir;
        this.validationImages = split.validation().length;
        this.testData = testData;
    }

    private static RecurrentConfig requireInput(RecurrentConfig rnn) {
        if (rnn.inputSize() != FashionMnist.SIDE) {
            throw new IllegalArgumentException("fashion-mnist reads " + FashionMnist.SIDE + " pixels per step, not "
                    + rnn.inputSize());
        }
        return rnn;
    }

    /** The folder holding the IDX files: {@value #DIR_PROPERTY} or Debian's. */
    public static Path dataDir() {
        String property = System.getProperty(DIR_PROPERTY);
        return property == null || property.isBlank() ? FashionMnist.DEBIAN_DIR : Path.of(property);
    }

    /** Training on the 55000 images not held out; a missing data set is a one-line error saying how to install it. */
    static FashionMnistTask forTraining(Path dir, RecurrentConfig rnn, int batchSize, float dropout, long seed)
            throws IOException {
        FashionMnist train = FashionMnist.load(dir, FashionMnist.Part.TRAIN);
        IndexSplit split = IndexSplit.random(train.size(), VALIDATION_FRACTION, SPLIT_SEED);
        return new FashionMnistTask(train, split, null, dir, rnn, batchSize, dropout, seed);
    }

    /** Evaluation only: reads just the test images. */
    static FashionMnistTask forEvaluation(Path dir, RecurrentConfig rnn) throws IOException {
        FashionMnist test = FashionMnist.load(dir, FashionMnist.Part.TEST);
        return new FashionMnistTask(test, new IndexSplit(new int[0], new int[0]), test, dir, rnn, 1, 0f, 0);
    }

    /** Images in the test part. */
    int testSize() {
        return loadTest().size();
    }

    private FashionMnist loadTest() {
        if (testData == null) {
            try {
                testData = FashionMnist.load(dir, FashionMnist.Part.TEST);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return testData;
    }

    @Override
    List<SequenceBatch> testBatches() {
        if (test == null) {
            FashionMnist t = loadTest();
            test = Batches.inOrder(t, Batches.range(t.size()), EVAL_BATCH);
        }
        return test;
    }

    @Override
    public String id() {
        return "fashion-mnist";
    }

    @Override
    public Map<String, String> taskInfo() {
        return Map.of("name", id(), "validation_images", Integer.toString(validationImages),
                "split_seed", Long.toString(SPLIT_SEED));
    }
}
