package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.data.Batches;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.TensorsDataset;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.RecurrentConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * {@code recur train --task fashion-mnist | tensors}, {@code --init} and {@code recur eval}, end to end
 * on tiny generated data (CI has neither Debian's data sets nor PyTorch).
 */
class DatasetTasksTest {
    private static final String[] TINY = {"--hidden", "8", "--batch", "16", "--log-every", "2", "--eval-every", "3"};

    @TempDir
    Path dir;

    @AfterEach
    void clearProperty() {
        System.clearProperty(FashionMnistTask.DIR_PROPERTY);
    }

    private static CliRun train(Path out, String... extra) {
        String[] args = new String[1 + TINY.length + 2 + extra.length];
        args[0] = "train";
        System.arraycopy(TINY, 0, args, 1, TINY.length);
        args[1 + TINY.length] = "--out";
        args[2 + TINY.length] = out.toString();
        System.arraycopy(extra, 0, args, 3 + TINY.length, extra.length);
        return recur(args);
    }

    // ---------------------------------------------------------------------------------------------
    // fashion-mnist on generated IDX files

    private static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b.array());
        }
        return out.toByteArray();
    }

    /** {@code images} random 28x28 images whose brightness depends on the class, in Debian's file names. */
    static void writeFashion(Path folder, String prefix, int images, long seed) throws IOException {
        Files.createDirectories(folder);
        Rng rng = new Rng(seed);
        byte[] pixels = new byte[images * 28 * 28];
        byte[] labels = new byte[images];
        for (int i = 0; i < images; i++) {
            labels[i] = (byte) rng.nextInt(10);
            for (int p = 0; p < 28 * 28; p++) pixels[i * 784 + p] = (byte) rng.nextInt(20 * labels[i] + 20);
        }
        Files.write(folder.resolve(prefix + "-images-idx3-ubyte.gz"), idx(new int[]{images, 28, 28}, pixels));
        Files.write(folder.resolve(prefix + "-labels-idx1-ubyte.gz"), idx(new int[]{images}, labels));
    }

    private Path fashion() throws IOException {
        Path folder = dir.resolve("fashion");
        writeFashion(folder, "train", 120, 1);
        writeFashion(folder, "t10k", 40, 2);
        System.setProperty(FashionMnistTask.DIR_PROPERTY, folder.toString());
        return folder;
    }

    @Test
    void fashionMnistTrainsWritesOutputsAndEvaluatesOnTheTestImages() throws Exception {
        fashion();
        Path out = dir.resolve("run");
        CliRun run = train(out, "--task", "fashion-mnist", "--epochs", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        // 120 images: 10 held out (1/12), 110 in batches of 16 = 7 steps per epoch.
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json")));
        assertThat(json.get("task").asText()).isEqualTo("fashion-mnist");
        assertThat(json.at("/config/steps").asLong()).isEqualTo(7);
        assertThat(json.at("/config/lr").asDouble()).isEqualTo(4e-3);
        assertThat(json.at("/config/schedule").asText()).isEqualTo("cosine");
        assertThat(json.at("/final/val_accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(Files.readAllLines(out.resolve("metrics.csv")).get(0)).startsWith("step,epoch,train_loss,val_loss,val_accuracy,");
        assertThat(out.resolve("curves.png")).isRegularFile();
        SafeTensorsFile ckpt = SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT));
        assertThat(ckpt.shape("rnn.weight_ih_l0")).containsExactly(32, 28);
        assertThat(ckpt.shape("head.weight")).containsExactly(10, 8);
        assertThat(ckpt.metadata()).containsEntry("model.head", "classifier").containsEntry("task.name", "fashion-mnist");

        CliRun eval = recur("eval", "--checkpoint", out.resolve(Trainer.CHECKPOINT).toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("the 40 test images").contains("test_accuracy");
    }

    @Test
    void fashionMnistDefaultsAreTheIssuesModelWithACosineRecipe() {
        TrainCommand.TaskDefaults d = TrainCommand.TaskDefaults.of("fashion-mnist");
        assertThat(d).isEqualTo(new TrainCommand.TaskDefaults(128, 128, 4e-3, "cosine", 0, 8, 0));
        assertThat(TrainCommand.TaskDefaults.of("adding").schedule()).isEqualTo("none");
    }

    @Test
    void fashionMnistResumesExactly() throws Exception {
        fashion();
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        // A run stopped at step 6 is simulated by --steps 6, so no schedule over the run's length
        // (the default cosine anneals over --steps: 6 and 10 steps are different schedules).
        assertThat(train(whole, "--task", "fashion-mnist", "--steps", "10", "--schedule", "none").exit()).isZero();
        assertThat(train(split, "--task", "fashion-mnist", "--steps", "6", "--schedule", "none").exit()).isZero();
        assertThat(train(split, "--task", "fashion-mnist", "--steps", "10", "--schedule", "none", "--resume").exit()).isZero();
        assertThat(lossColumns(split)).isEqualTo(lossColumns(whole));
    }

    private static List<String> lossColumns(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.csv")).stream()
                .map(line -> String.join(",", Arrays.copyOfRange(line.split(",", -1), 0, 6))).toList();
    }

    @Test
    void absentFashionMnistSaysHowToInstallItInOneLine() {
        Path none = dir.resolve("no-fashion");
        System.setProperty(FashionMnistTask.DIR_PROPERTY, none.toString());
        Path out = dir.resolve("run");
        CliRun run = train(out, "--task", "fashion-mnist", "--steps", "2");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("apt-get install dataset-fashion-mnist").hasLineCount(1);
        assertThat(out).doesNotExist();
    }

    // ---------------------------------------------------------------------------------------------
    // tensors on generated safetensors files

    /** x [n, 5, 3] random, lengths 2..5; y per {@code kind}: "classes", "values", "step-classes", "step-values". */
    private Path tensors(String name, int n, String kind) throws IOException {
        return tensors(dir, name, n, kind);
    }

    /** As {@link #tensors(String, int, String)}, written into {@code dir} (also used by TrainOnGpuTest). */
    static Path tensors(Path dir, String name, int n, String kind) throws IOException {
        Rng rng = new Rng(n * 31L + kind.length());
        int t = 5, features = 3;
        float[] x = new float[n * t * features];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) lengths[i] = 2 + rng.nextInt(4);
        SafeTensorsWriter w = new SafeTensorsWriter().putF32("x", x, n, t, features).putI32("lengths", lengths, n);
        switch (kind) {
            case "classes" -> {
                long[] y = new long[n];
                for (int i = 0; i < n; i++) y[i] = x[i * t * features] > 0 ? 1 : i % 3 == 0 ? 2 : 0;
                w.putI64("y", y, n);
            }
            case "values" -> {
                float[] y = new float[n];
                for (int i = 0; i < n; i++) y[i] = x[i * t * features] + 0.5f;
                w.putF32("y", y, n);
            }
            case "step-classes" -> {
                long[] y = new long[n * t];
                for (int i = 0; i < y.length; i++) y[i] = x[i * features] > 0 ? 1 : 0;
                w.putI64("y", y, n, t);
            }
            case "step-values" -> {
                float[] y = new float[n * t];
                for (int i = 0; i < y.length; i++) y[i] = 2 * x[i * features];
                w.putF32("y", y, n, t);
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return w.write(dir.resolve(name));
    }

    @Test
    void tensorsTrainsEveryKindOfHeadAndEvaluatesTheHeldOutPart() throws Exception {
        String[][] cases = {{"classes", "val_accuracy", "classifier"}, {"values", "val_mse", "regression"},
                {"step-classes", "val_accuracy", "tagger"}, {"step-values", "val_mse", "step_regression"}};
        for (String[] c : cases) {
            Path data = tensors(c[0] + ".safetensors", 40, c[0]);
            Path out = dir.resolve("run-" + c[0]);
            CliRun run = train(out, "--task", "tensors", "--data", data.toString(), "--steps", "6");
            assertThat(run.exit()).as(c[0] + ": " + run.err()).isZero();
            JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json")));
            assertThat(json.at("/final/" + c[1]).asDouble()).as(c[0]).isFinite().isNotNegative();
            SafeTensorsFile ckpt = SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT));
            assertThat(ckpt.metadata()).as(c[0]).containsEntry("model.head", c[2]);

            CliRun eval = recur("eval", "--checkpoint", out.resolve(Trainer.CHECKPOINT).toString(), "--task", "tensors");
            assertThat(eval.exit()).as(c[0] + ": " + eval.err()).isZero();
            assertThat(eval.out()).contains("the validation part (4 of 40 samples)").contains(c[1] + " ").doesNotContain("test_");
        }
        // --epochs: 36 training samples in batches of 16 = 3 steps per epoch.
        Path out = dir.resolve("epochs");
        assertThat(train(out, "--task", "tensors", "--data", dir.resolve("classes.safetensors").toString(),
                "--epochs", "2").exit()).isZero();
        assertThat(new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json"))).at("/config/steps").asLong())
                .isEqualTo(6);
    }

    @Test
    void tensorsRefusesInconsistentDataInOneLine() throws IOException {
        float[] x = new float[10 * 4 * 2];
        Path bad = new SafeTensorsWriter().putF32("x", x, 10, 4, 2).putI64("y", new long[9], 9)
                .write(dir.resolve("bad.safetensors"));
        Path out = dir.resolve("run");
        CliRun run = train(out, "--task", "tensors", "--data", bad.toString(), "--steps", "2");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("bad.safetensors").contains("N = 9").hasLineCount(1);
        assertThat(out).doesNotExist();

        CliRun noData = train(out, "--task", "tensors", "--steps", "2");
        assertThat(noData.exit()).isEqualTo(2);
        assertThat(noData.err()).contains("--data").hasLineCount(1);
        CliRun missing = train(out, "--task", "tensors", "--data", dir.resolve("none.safetensors").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("none.safetensors").contains("does not exist").hasLineCount(1);
    }

    /**
     * Per-step heads: what the padded steps of x and y hold changes neither the loss nor the metric, and a
     * padded batch scores exactly what its samples score one by one, averaged over valid steps.
     */
    @Test
    void paddedStepsNeverEnterPerStepLossesOrMetrics() throws IOException {
        int n = 6, t = 5, features = 2;
        int[] lengths = {5, 2, 3, 1, 4, 5};
        for (boolean classes : new boolean[]{true, false}) {
            double[][] results = new double[2][];
            for (int variant = 0; variant < 2; variant++) {
                Rng rng = new Rng(7);
                float[] x = new float[n * t * features];
                long[] yc = new long[n * t];
                float[] yv = new float[n * t];
                for (int i = 0; i < n; i++) {
                    for (int s = 0; s < t; s++) {
                        boolean padded = s >= lengths[i];
                        for (int f = 0; f < features; f++) {
                            float v = (float) rng.nextGaussian();
                            x[(i * t + s) * features + f] = padded && variant == 1 ? 1e3f : v;
                        }
                        int c = rng.nextInt(3);
                        float value = (float) rng.nextGaussian();
                        yc[i * t + s] = padded && variant == 1 ? 2 : c;
                        yv[i * t + s] = padded && variant == 1 ? -1e3f : value;
                    }
                }
                SafeTensorsWriter w = new SafeTensorsWriter().putF32("x", x, n, t, features).putI32("lengths", lengths, n);
                if (classes) w.putI64("y", yc, n, t);
                else w.putF32("y", yv, n, t);
                Path file = w.write(dir.resolve("padded" + variant + ".safetensors"));
                TensorsDataset d = TensorsDataset.load(file);
                var rnn = RecurrentConfig.of(CellMode.GRU, features, 4);
                try (TensorsTask task = TensorsTask.forEvaluation(file, d, Batches.range(n), rnn, 0,
                        classes ? 3 : 1)) {
                    TrainingTask.Evaluation e = task.evaluate(KernelProvider.defaultKernels(),
                            TrainingTask.Split.TEST);
                    results[variant] = new double[]{e.loss(), e.metric()};
                }
                // Each sample alone (no padding at all), averaged over valid steps: the batched result.
                double loss = 0, metric = 0;
                int steps = 0;
                for (int i = 0; i < n; i++) {
                    try (TensorsTask task = TensorsTask.forEvaluation(file, d, new int[]{i}, rnn, 0, classes ? 3 : 1)) {
                        TrainingTask.Evaluation e = task.evaluate(KernelProvider.defaultKernels(), TrainingTask.Split.TEST);
                        loss += e.loss() * lengths[i];
                        metric += e.metric() * lengths[i];
                        steps += lengths[i];
                    }
                }
                assertThat(loss / steps).isCloseTo(results[variant][0], offset(1e-5));
                assertThat(metric / steps).isCloseTo(results[variant][1], offset(1e-5));
            }
            assertThat(results[1]).as(classes ? "classes" : "values").containsExactly(results[0]);
        }
    }

    /** A PyTorch nn.LSTM(3, 8) state_dict: PyTorch's names, no "rnn." prefix. */
    private Path torchLstm(String name, int input, float value) throws IOException {
        float[] wih = new float[32 * input], whh = new float[32 * 8], b = new float[32];
        Arrays.fill(wih, value);
        Arrays.fill(whh, value);
        Arrays.fill(b, value);
        return new SafeTensorsWriter().putF32("weight_ih_l0", wih, 32, input).putF32("weight_hh_l0", whh, 32, 8)
                .putF32("bias_ih_l0", b, 32).putF32("bias_hh_l0", b, 32).write(dir.resolve(name));
    }

    @Test
    void initLoadsAPyTorchStateDictIntoTheRecurrentLayers() throws Exception {
        Path data = tensors("classes.safetensors", 40, "classes");
        Path init = torchLstm("lstm.safetensors", 3, 0.25f);
        Path out = dir.resolve("run");
        CliRun run = train(out, "--task", "tensors", "--data", data.toString(), "--init", init.toString(),
                "--steps", "1", "--lr", "1e-4");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("loaded 4 tensors of a PyTorch state_dict into the recurrent layers")
                .contains("initialised at random: head.weight, head.bias");
        // One Adam step moves each weight by about lr: the run started from the file's 0.25.
        double[] whh = SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT)).readDoubles("rnn.weight_hh_l0");
        for (double v : whh) assertThat(v).isCloseTo(0.25, offset(2e-4));

        // A checkpoint (own names) loads whole.
        Path again = dir.resolve("again");
        CliRun whole = train(again, "--task", "tensors", "--data", data.toString(), "--init",
                out.resolve(Trainer.CHECKPOINT).toString(), "--steps", "1");
        assertThat(whole.exit()).as(whole.err()).isZero();
        assertThat(whole.out()).contains("loaded 6 tensors").doesNotContain("initialised at random");
    }

    @Test
    void initOfAnotherArchitectureIsOneLineAndWritesNothing() throws IOException {
        Path data = tensors("classes.safetensors", 40, "classes");
        Path out = dir.resolve("run");
        CliRun shape = train(out, "--task", "tensors", "--data", data.toString(), "--init",
                torchLstm("wide.safetensors", 4, 0f).toString(), "--steps", "1");
        assertThat(shape.exit()).isEqualTo(2);
        assertThat(shape.err()).contains("weight_ih_l0").contains("shape").hasLineCount(1);
        assertThat(out).doesNotExist();

        Path gruOut = dir.resolve("gru");
        CliRun cell = train(gruOut, "--task", "tensors", "--data", data.toString(), "--cell", "gru", "--init",
                torchLstm("lstm.safetensors", 3, 0f).toString(), "--steps", "1");
        assertThat(cell.exit()).isEqualTo(2);
        assertThat(cell.err()).contains("lstm.safetensors").hasLineCount(1);

        Path stray = new SafeTensorsWriter().putF32("encoder.weight", new float[4], 2, 2).write(dir.resolve("stray.safetensors"));
        CliRun other = train(dir.resolve("stray"), "--task", "tensors", "--data", data.toString(), "--init",
                stray.toString(), "--steps", "1");
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).contains("'encoder.weight' is not a parameter of this model").hasLineCount(1);
    }

    // ---------------------------------------------------------------------------------------------
    // recur eval of the chars and forecast tasks

    @Test
    void evalRebuildsCharsAndForecastModels() throws Exception {
        StringBuilder sb = new StringBuilder();
        Rng rng = new Rng(3);
        String[] words = {"the", "cat", "sat", "on", "a", "mat"};
        while (sb.length() < 3000) sb.append(words[rng.nextInt(words.length)]).append(rng.nextInt(8) == 0 ? ".\n" : " ");
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, sb);
        Path chars = dir.resolve("chars");
        assertThat(recur("train", "--task", "chars", "--text", text.toString(), "--seq", "16", "--hidden", "8",
                "--batch", "4", "--steps", "3", "--out", chars.toString()).exit()).isZero();
        CliRun eval = recur("eval", "--checkpoint", chars.resolve(Trainer.CHECKPOINT).toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("the validation part of").contains("val_bits_per_char").doesNotContain("test_");
        Path other = dir.resolve("other.txt");
        Files.writeString(other, sb.toString().replace('t', 'T'));
        // New text: its characters outside the model's vocabulary ('T') are left out and counted.
        CliRun vocabulary = recur("eval", "--checkpoint", chars.resolve(Trainer.CHECKPOINT).toString(), "--text", other.toString());
        assertThat(vocabulary.exit()).as(vocabulary.err()).isZero();
        long capitals = sb.toString().chars().filter(c -> c == 't').count();
        assertThat(vocabulary.out()).contains("; " + capitals + " characters of the text are not in the model's vocabulary");

        StringBuilder csv = new StringBuilder("day,value\n");
        for (int i = 0; i < 300; i++) csv.append(i).append(',').append(10 + 5 * Math.sin(i / 4.0)).append('\n');
        Path series = dir.resolve("series.csv");
        Files.writeString(series, csv);
        Path forecast = dir.resolve("forecast");
        assertThat(recur("train", "--task", "forecast", "--csv", series.toString(), "--column", "value", "--window", "20",
                "--hidden", "8", "--steps", "3", "--out", forecast.toString()).exit()).isZero();
        CliRun f = recur("eval", "--checkpoint", forecast.resolve(Trainer.CHECKPOINT).toString(), "--column", "value");
        assertThat(f.exit()).as(f.err()).isZero();
        assertThat(f.out()).contains("the test part of column value").contains("test_mae");
        // The checkpoint records its column: --column may be left out.
        CliRun recorded = recur("eval", "--checkpoint", forecast.resolve(Trainer.CHECKPOINT).toString());
        assertThat(recorded.exit()).as(recorded.err()).isZero();
        assertThat(recorded.out()).contains("the test part of column value").contains("test_mae");
    }

    // ---------------------------------------------------------------------------------------------
    // recur eval refusals

    @Test
    void evalRefusesACheckpointOfAnotherTaskOrArchitecture() throws Exception {
        Path adding = dir.resolve("adding");
        assertThat(train(adding, "--seq", "6", "--steps", "3").exit()).isZero();
        Path addingCkpt = adding.resolve(Trainer.CHECKPOINT);
        CliRun ok = recur("eval", "--checkpoint", addingCkpt.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("1000 test sequences of 6 steps").contains("test_mse");

        fashion();
        CliRun task = recur("eval", "--checkpoint", addingCkpt.toString(), "--task", "fashion-mnist");
        assertThat(task.exit()).isEqualTo(2);
        assertThat(task.err()).contains("is a checkpoint of --task adding, not fashion-mnist").hasLineCount(1);

        Path classes = tensors("classes.safetensors", 40, "classes");
        Path run = dir.resolve("tensors");
        assertThat(train(run, "--task", "tensors", "--data", classes.toString(), "--steps", "2").exit()).isZero();
        Path ckpt = run.resolve(Trainer.CHECKPOINT);
        CliRun values = recur("eval", "--checkpoint", ckpt.toString(), "--data",
                tensors("values.safetensors", 20, "values").toString());
        assertThat(values.exit()).isEqualTo(2);
        assertThat(values.err()).contains("model.head").contains("another architecture").hasLineCount(1);

        float[] x = new float[10 * 5 * 4];
        Path wider = new SafeTensorsWriter().putF32("x", x, 10, 5, 4).putI64("y", new long[10], 10)
                .write(dir.resolve("wider.safetensors"));
        CliRun input = recur("eval", "--checkpoint", ckpt.toString(), "--data", wider.toString());
        assertThat(input.exit()).isEqualTo(2);
        assertThat(input.err()).contains("model.input").hasLineCount(1);

        CliRun whole = recur("eval", "--checkpoint", ckpt.toString(), "--data",
                tensors("test.safetensors", 20, "classes").toString());
        assertThat(whole.exit()).as(whole.err()).isZero();
        assertThat(whole.out()).contains("all 20 samples of").contains("test_accuracy");

        CliRun same = recur("eval", "--checkpoint", ckpt.toString(), "--data", classes.toString());
        assertThat(same.exit()).as(same.err()).isZero();
        assertThat(same.out()).contains("the validation part (4 of 40 samples)");

        CliRun missing = recur("eval", "--checkpoint", dir.resolve("nope.safetensors").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("does not exist").hasLineCount(1);
    }

    /**
     * x as int64 token ids [N, T]: the model embeds them (--embedding-size); the checkpoint records
     * model.vocabulary, and eval, predict and a service (InferenceModel with int64 x) read ids.
     */
    @Test
    void tokenIdInputsAreEmbedded() throws Exception {
        int n = 60, t = 6, vocabulary = 9;
        Rng rng = new Rng(5);
        long[] x = new long[n * t], y = new long[n];
        long[] lengths = new long[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = 2 + rng.nextInt(t - 1);
            for (int s = 0; s < t; s++) x[i * t + s] = rng.nextInt(vocabulary);
            y[i] = x[i * t] % 3;
        }
        Path data = new SafeTensorsWriter().putI64("x", x, n, t).putI64("y", y, n).putI64("lengths", lengths, n)
                .write(dir.resolve("ids.safetensors"));
        Path out = dir.resolve("ids");
        CliRun run = train(out, "--task", "tensors", "--data", data.toString(), "--embedding-size", "5", "--steps", "4");
        assertThat(run.exit()).as(run.err()).isZero();
        SafeTensorsFile ckpt = SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT));
        assertThat(ckpt.shape("embedding.weight")).containsExactly(vocabulary, 5);
        assertThat(ckpt.metadata()).containsEntry("model.vocabulary", Integer.toString(vocabulary))
                .containsEntry("model.input", "5").containsEntry("model.head", "classifier");

        Path test = Files.copy(data, dir.resolve("ids-test.safetensors"));   // another file: scored whole
        CliRun eval = recur("eval", "--checkpoint", out.resolve(Trainer.CHECKPOINT).toString(), "--data", test.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        Path predicted = dir.resolve("ids-predicted.safetensors");
        CliRun predict = recur("predict", "--checkpoint", out.resolve(Trainer.CHECKPOINT).toString(), "--data",
                test.toString(), "--output", predicted.toString());
        assertThat(predict.exit()).as(predict.err()).isZero();
        long[] classes = SafeTensorsFile.read(predicted).readLongs("classes");
        int right = 0;
        for (int i = 0; i < n; i++) if (classes[i] == y[i]) right++;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("test_accuracy ([0-9.]+)").matcher(eval.out());
        assertThat(m.find()).as(eval.out()).isTrue();
        assertThat(String.format(java.util.Locale.ROOT, "%.5g", (double) right / n)).isEqualTo(m.group(1));

        long[] bad = x.clone();
        bad[7] = vocabulary;
        Path beyond = new SafeTensorsWriter().putI64("x", bad, n, t).putI64("y", y, n).write(dir.resolve("beyond.safetensors"));
        CliRun refused = recur("eval", "--checkpoint", out.resolve(Trainer.CHECKPOINT).toString(), "--data", beyond.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("x holds token id 9, but the model embeds ids 0..8").hasLineCount(1);
        CliRun features = recur("train", "--task", "tensors", "--data", tensors("f.safetensors", 20, "classes").toString(),
                "--embedding-size", "5", "--out", dir.resolve("f").toString());
        assertThat(features.exit()).isEqualTo(2);
        assertThat(features.err()).contains("--embedding-size does not apply to --task tensors").hasLineCount(1);
    }
}
