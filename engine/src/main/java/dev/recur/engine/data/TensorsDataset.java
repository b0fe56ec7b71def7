package dev.recur.engine.data;

import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A user's data set in one safetensors file:
 * <ul>
 * <li>{@code x} [N, T, I] F32: the inputs (batch-first, as saved from PyTorch); or [N, T] I64 (or I32):
 *     token ids >= 0, for a model that embeds them ({@link #vocabulary()}: the largest id + 1);
 *     {@link #copyStep} then gives each id as one float feature (exact: ids are below 2^24);</li>
 * <li>{@code y} [N] or [N, T]: I64 (or I32) class ids >= 0, or F32 regression targets; [N, T] means one
 *     target per step;</li>
 * <li>{@code lengths} [N] I32 or I64, optional: valid steps per sample, each in 1..T (all T without it).</li>
 * </ul>
 * Every violation is one {@link dev.recur.engine.io.SafeTensorsException} line naming the file and key.
 */
public final class TensorsDataset implements SequenceDataset {
    /** Token ids stay below this, so that each is exact as a float feature. */
    static final int MAX_TOKEN_ID = 1 << 24;

    private final int n;
    private final int steps;
    private final int features;
    private final float[] x;
    private final int[] lengths;
    private final TargetKind kind;
    private final int[] classes;
    private final float[] values;
    private final int numClasses;
    private final int vocabulary;   // token inputs: the largest id + 1; feature inputs: 0

    private TensorsDataset(int n, int steps, int features, float[] x, int[] lengths, TargetKind kind, int[] classes,
                           float[] values, int numClasses, int vocabulary) {
        this.n = n;
        this.steps = steps;
        this.features = features;
        this.x = x;
        this.lengths = lengths;
        this.kind = kind;
        this.classes = classes;
        this.values = values;
        this.numClasses = numClasses;
        this.vocabulary = vocabulary;
    }

    /** Reads and validates the file (see the class comment). */
    public static TensorsDataset load(Path path) throws IOException {
        dev.recur.engine.io.DataFileException.requireFile(path, "tensors data set");
        SafeTensorsFile file = SafeTensorsFile.read(path);
        if (!file.contains("x")) {
            throw file.error("x", "is missing: expected the inputs, F32 [N, T, I]");
        }
        String xdtype = file.dtype("x");
        boolean tokens = xdtype.equals("I64") || xdtype.equals("I32");
        if (!xdtype.equals("F32") && !tokens) {
            throw file.error("x", "has dtype " + xdtype + ", expected F32 (features [N, T, I]) or I64 (token ids [N, T])");
        }
        int[] xs = file.shape("x");
        if (xs.length != (tokens ? 2 : 3)) {
            throw file.error("x", "has shape " + Arrays.toString(xs) + " (rank " + xs.length + "), expected "
                    + (tokens ? "[N, T] of token ids" : "[N, T, I]"));
        }
        int n = xs[0];
        int steps = xs[1];
        int features = tokens ? 1 : xs[2];
        if (n == 0 || steps == 0 || features == 0) {
            throw file.error("x", "has shape " + Arrays.toString(xs) + ", expected N, T and I all at least 1");
        }
        if (!file.contains("y")) {
            throw file.error("y", "is missing: expected the targets, [N] or [N, T], I64 (classes) or F32 (regression)");
        }
        int[] ys = file.shape("y");
        String ydtype = file.dtype("y");
        boolean perStep;
        if (ys.length == 1 && ys[0] == n) {
            perStep = false;
        } else if (ys.length == 2 && ys[0] == n && ys[1] == steps) {
            perStep = true;
        } else if (ys.length >= 1 && ys.length <= 2 && ys[0] != n) {
            throw file.error("y", "has N = " + ys[0] + " (shape " + Arrays.toString(ys) + "), but x has N = " + n);
        } else {
            throw file.error("y", "has shape " + Arrays.toString(ys) + ", expected [" + n + "] or [" + n + ", " + steps
                    + "] for x of shape " + Arrays.toString(xs));
        }
        int[] lengths = new int[n];
        Arrays.fill(lengths, steps);
        if (file.contains("lengths")) {
            String ld = file.dtype("lengths");
            if (!ld.equals("I64") && !ld.equals("I32")) {
                throw file.error("lengths", "has dtype " + ld + ", expected I64 or I32");
            }
            int[] ls = file.shape("lengths");
            if (ls.length != 1) {
                throw file.error("lengths", "has shape " + Arrays.toString(ls) + ", expected [" + n + "]");
            }
            if (ls[0] != n) {
                throw file.error("lengths", "has N = " + ls[0] + ", but x has N = " + n);
            }
            long[] raw = file.readLongs("lengths");
            for (int i = 0; i < n; i++) {
                if (raw[i] < 1 || raw[i] > steps) {
                    throw file.error("lengths", "[" + i + "] is " + raw[i] + ", expected 1.." + steps + " (T of x)");
                }
                lengths[i] = (int) raw[i];
            }
        }
        TargetKind kind;
        int[] classes = null;
        float[] values = null;
        int numClasses = 0;
        switch (ydtype) {
            case "I64", "I32" -> {
                kind = perStep ? TargetKind.CLASS_PER_STEP : TargetKind.CLASS_PER_SAMPLE;
                long[] raw = file.readLongs("y");
                classes = new int[raw.length];
                for (int i = 0; i < raw.length; i++) {
                    // Padded steps of per-step targets are never read, so only valid ones are checked.
                    if (perStep && i % steps >= lengths[i / steps]) {
                        continue;
                    }
                    if (raw[i] < 0 || raw[i] >= Integer.MAX_VALUE) {
                        throw file.error("y", "holds class " + raw[i] + " at " + position(i, perStep, steps)
                                + ", expected class ids >= 0");
                    }
                    classes[i] = (int) raw[i];
                    numClasses = Math.max(numClasses, classes[i] + 1);
                }
            }
            case "F32" -> {
                kind = perStep ? TargetKind.VALUE_PER_STEP : TargetKind.VALUE_PER_SAMPLE;
                values = readFloats(file, "y");
                requireFinite(file, "y", values, perStep ? new int[]{n, steps} : new int[]{n});
            }
            default -> throw file.error("y", "has dtype " + ydtype + ", expected I64 or I32 (classes) or F32 (regression)");
        }
        if (tokens) {
            long[] ids = file.readLongs("x");
            float[] x = new float[ids.length];
            long largest = -1;
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= MAX_TOKEN_ID) {
                    throw file.error("x", "holds token id " + ids[i] + " at [" + i / steps + ", " + i % steps
                            + "], expected ids in 0.." + (MAX_TOKEN_ID - 1));
                }
                x[i] = ids[i];
                largest = Math.max(largest, ids[i]);
            }
            return new TensorsDataset(n, steps, 1, x, lengths, kind, classes, values, numClasses, (int) largest + 1);
        }
        float[] x = readFloats(file, "x");
        requireFinite(file, "x", x, new int[]{n, steps, features});
        return new TensorsDataset(n, steps, features, x, lengths, kind, classes, values, numClasses, 0);
    }

    private static String position(int flat, boolean perStep, int steps) {
        return perStep ? "[" + flat / steps + ", " + flat % steps + "]" : "[" + flat + "]";
    }

    /** Refuses a NaN or infinity anywhere (padded steps too: their gradients would carry it), naming its index. */
    private static void requireFinite(SafeTensorsFile file, String key, float[] values, int[] shape) throws IOException {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                int[] index = new int[shape.length];
                for (int d = shape.length - 1, rest = i; d >= 0; d--) {
                    index[d] = rest % shape[d];
                    rest /= shape[d];
                }
                throw file.error(key, "holds " + values[i] + " at " + Arrays.toString(index)
                        + ": the data must be finite numbers");
            }
        }
    }

    private static float[] readFloats(SafeTensorsFile file, String key) throws IOException {
        try (TensorArena arena = TensorArena.open("tensors-dataset")) {
            return file.readFloat(key, arena).toArray();
        }
    }

    @Override
    public int size() {
        return n;
    }

    /** Token inputs: the largest id + 1 (the embedding needs at least as many rows); feature inputs: 0. */
    public int vocabulary() {
        return vocabulary;
    }

    @Override
    public int maxSteps() {
        return steps;
    }

    @Override
    public int features() {
        return features;
    }

    @Override
    public int length(int i) {
        return lengths[i];
    }

    @Override
    public void copyStep(int i, int t, float[] dst, int offset) {
        System.arraycopy(x, (i * steps + t) * features, dst, offset, features);
    }

    @Override
    public TargetKind targetKind() {
        return kind;
    }

    @Override
    public int targetWidth() {
        return 1;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int classTarget(int i, int t) {
        return kind == TargetKind.CLASS_PER_STEP ? classes[i * steps + t] : classes[i];
    }

    @Override
    public float valueTarget(int i, int t, int k) {
        return kind == TargetKind.VALUE_PER_STEP ? values[i * steps + t] : values[i];
    }
}
