package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.data.ForecastData;
import dev.recur.engine.io.CsvColumn;
import dev.recur.engine.data.Rng;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code recur train --task forecast} on a generated noisy sine: outputs, the naive MAE on the right
 * windows, the MAE in the series' units, and the one-line refusals. No learning is asserted.
 */
class ForecastTaskTest {
    private static final int N = 300;
    private static final int W = 10;

    /** 10 + 5 sin(2πi/25) + noise: a level far from 0 and a scale far from 1, so units matter. */
    private static double[] series() {
        Rng rng = new Rng(11);
        double[] v = new double[N];
        for (int i = 0; i < N; i++) v[i] = 10 + 5 * Math.sin(2 * Math.PI * i / 25) + 0.3 * rng.nextGaussian();
        return v;
    }

    private static Path csv(Path dir) throws Exception {
        double[] v = series();
        StringBuilder sb = new StringBuilder("day,value,flag\n");
        for (int i = 0; i < N; i++) sb.append(i).append(',').append(String.format(Locale.ROOT, "%.17g", v[i])).append(",1\n");
        Path file = dir.resolve("sine.csv");
        Files.writeString(file, sb);
        return file;
    }

    private static CliRun train(String... args) {
        return CliRun.recur(Stream.concat(Stream.of("train", "--task", "forecast"), Arrays.stream(args))
                .toArray(String[]::new));
    }

    /** The naive MAE computed here from the split's definition: targets in [max(W, from), to), 7 per window. */
    private static double naive(double[] v, int from, int to) {
        double sum = 0;
        int n = 0;
        for (int first = Math.max(W, from); first + 7 <= to; first++) {
            for (int k = 0; k < 7; k++, n++) sum += Math.abs(v[first + k] - v[first - 1]);
        }
        return sum / n;
    }

    @Test
    void writesMaeAndTheNaiveBaselineOnTheSameSplits(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliRun r = train("--csv", csv(dir).toString(), "--column", "value", "--window", Integer.toString(W), "--hidden", "8",
                "--batch", "16", "--steps", "6", "--log-every", "3", "--eval-every", "6", "--out", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readAllLines(out.resolve("metrics.csv")).getFirst()).startsWith("step,epoch,train_loss,val_loss,val_mae,");
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json")));
        double[] v = series();
        int trainEnd = (int) Math.floor(0.7 * N), validationEnd = (int) Math.floor(0.85 * N);
        assertThat(json.at("/final/naive_val_mae").asDouble()).isCloseTo(naive(v, trainEnd, validationEnd), within(1e-9));
        assertThat(json.at("/final/naive_test_mae").asDouble()).isCloseTo(naive(v, validationEnd, N), within(1e-9));
        assertThat(json.at("/final/val_mae").asDouble()).isPositive();
        assertThat(json.at("/config/window").asInt()).isEqualTo(W);
        assertThat(json.at("/config/column").asText()).isEqualTo("value");
        assertThat(json.at("/final/step").asLong()).isEqualTo(6);

        SafeTensorsFile ckpt = SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT));
        assertThat(ckpt.shape("head.weight")[0]).isEqualTo(7);
        double mean = Arrays.stream(v, 0, trainEnd).average().orElseThrow();
        assertThat(Double.parseDouble(ckpt.metadata().get("task.mean"))).isCloseTo(mean, within(1e-9));
        assertThat(ckpt.metadata()).containsEntry("task.name", "forecast").containsEntry("model.window", Integer.toString(W));
    }

    /** Mid-epoch resume: the sampler's shuffled order continues where it stopped. */
    @Test
    void aResumedRunReproducesTheUninterruptedOne(@TempDir Path dir) throws Exception {
        String file = csv(dir).toString();
        String[] common = {"--csv", file, "--column", "value", "--window", Integer.toString(W), "--hidden", "8",
                "--batch", "16", "--log-every", "3", "--eval-every", "7"};
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        assertThat(train(Stream.concat(Arrays.stream(common), Stream.of("--steps", "21", "--out", whole.toString()))
                .toArray(String[]::new)).exit()).isZero();
        assertThat(train(Stream.concat(Arrays.stream(common), Stream.of("--steps", "7", "--out", split.toString()))
                .toArray(String[]::new)).exit()).isZero();
        assertThat(train(Stream.concat(Arrays.stream(common), Stream.of("--steps", "21", "--out", split.toString(), "--resume"))
                .toArray(String[]::new)).exit()).isZero();
        assertThat(CharsAndGenerateTest.lossColumns(split)).isEqualTo(CharsAndGenerateTest.lossColumns(whole));
    }

    /** With every parameter 0 the model predicts the training mean: its MAE is |target - mean|, in the series' units. */
    @Test
    void maeIsInTheSeriesUnits() {
        double[] v = series();
        ForecastData data = new ForecastData(v, W, 7);
        try (ForecastTask task = new ForecastTask(data, "sine", "value", CsvColumn.Missing.FAIL,
                RecurrentConfig.of(CellMode.GRU, 1, 6), 8, 0f, 1)) {
            for (Parameter p : task.model().parameters()) p.value().fill(0f);
            int trainEnd = (int) Math.floor(0.7 * N), validationEnd = (int) Math.floor(0.85 * N);
            for (var split : TrainingTask.Split.values()) {
                int from = split == TrainingTask.Split.TEST ? validationEnd : trainEnd;
                int to = split == TrainingTask.Split.TEST ? N : validationEnd;
                double sum = 0;
                int n = 0;
                for (int first = from; first + 7 <= to; first++) {
                    for (int k = 0; k < 7; k++, n++) sum += Math.abs(v[first + k] - data.scaling().mean());
                }
                TrainingTask.Evaluation e = task.evaluate(KernelProvider.defaultKernels(), split);
                assertThat(e.metric()).as(split.name()).isCloseTo(sum / n, within(1e-4));
            }
        }
    }

    @Test
    void refusesAMissingColumnAndMissingFlagsInOneLine(@TempDir Path dir) throws Exception {
        Path file = csv(dir);
        CliRun column = train("--csv", file.toString(), "--column", "valeur", "--out", dir.resolve("a").toString());
        assertThat(column.exit()).isEqualTo(2);
        assertThat(column.err()).contains("no column 'valeur'").contains("'day', 'value', 'flag'").hasLineCount(1);
        assertThat(dir.resolve("a").resolve(Trainer.CHECKPOINT)).doesNotExist();

        CliRun noCsv = train("--column", "value", "--out", dir.resolve("b").toString());
        assertThat(noCsv.exit()).isEqualTo(2);
        assertThat(noCsv.err()).contains("needs --csv FILE and --column NAME").hasLineCount(1);
        CliRun missing = train("--csv", dir.resolve("none.csv").toString(), "--column", "value", "--out", dir.resolve("c").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("none.csv").hasLineCount(1);
        CliRun seq = train("--csv", file.toString(), "--column", "value", "--seq", "5", "--out", dir.resolve("d").toString());
        assertThat(seq.exit()).isEqualTo(2);
        assertThat(seq.err()).contains("use --window").hasLineCount(1);
        CliRun tooShort = train("--csv", file.toString(), "--column", "value", "--window", "250", "--out", dir.resolve("e").toString());
        assertThat(tooShort.exit()).isEqualTo(2);
        assertThat(tooShort.err()).contains("too few").hasLineCount(1);
    }

    /** Before: a blank cell stopped the run with no fill option. */
    @Test
    void missingCellsFailByDefaultAndAreInterpolatedOnRequest(@TempDir Path dir) throws Exception {
        String text = Files.readString(csv(dir)).replaceFirst("\n40,[^,]*,1\n", "\n40,,1\n");
        Path gaps = Files.writeString(dir.resolve("gaps.csv"), text);
        CliRun refused = train("--csv", gaps.toString(), "--column", "value", "--out", dir.resolve("a").toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("line 42, column 'value': the value is missing").contains("--missing interpolate")
                .hasLineCount(1);
        assertThat(dir.resolve("a")).doesNotExist();
        Path out = dir.resolve("b");
        CliRun filled = train("--csv", gaps.toString(), "--column", "value", "--missing", "interpolate", "--window",
                Integer.toString(W), "--hidden", "4", "--steps", "2", "--out", out.toString());
        assertThat(filled.exit()).as(filled.err()).isZero();
        assertThat(SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT)).metadata()).containsEntry("task.missing", "interpolate");
        CliRun bad = train("--csv", gaps.toString(), "--column", "value", "--missing", "zero", "--out", dir.resolve("c").toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--missing 'zero' is not a missing-value policy").hasLineCount(1);
    }

    /**
     * --horizon and --differences; eval prints the naive baseline beside the model, and a service
     * (InferenceModel, fed each test window's W + 1 values) forecasts what eval scores.
     */
    @Test
    void differencesAndHorizonFromTrainingToPredict(@TempDir Path dir) throws Exception {
        Path file = csv(dir), out = dir.resolve("run");
        CliRun run = train("--csv", file.toString(), "--column", "value", "--window", Integer.toString(W), "--horizon", "3",
                "--differences", "--hidden", "8", "--batch", "16", "--steps", "12", "--eval-every", "6", "--out", out.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        Path checkpoint = out.resolve(Trainer.CHECKPOINT);
        assertThat(SafeTensorsFile.read(checkpoint).metadata()).containsEntry("task.inputs", "differences")
                .containsEntry("model.outputs", "3");
        CliRun eval = CliRun.recur("eval", "--checkpoint", checkpoint.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).contains("naive forecast (repeat the last value): test_mae");
        double printed = Double.parseDouble(eval.out().replaceAll("(?s).*test_mae ([0-9.e+-]+) \\(.*", "$1"));

        double[] v = series();
        int validationEnd = (int) Math.floor(0.85 * N);
        double sum = 0;
        int n = 0;
        try (dev.recur.engine.api.InferenceModel model = dev.recur.engine.api.InferenceModel.load(checkpoint)) {
            for (int first = validationEnd; first + 3 <= N; first++) {
                float[] x = new float[W + 1];
                for (int i = 0; i <= W; i++) x[i] = (float) v[first - W - 1 + i];
                float[] p = model.run(java.util.Map.of("x", dev.recur.engine.io.OnnxTensor.ofFloats(x, 1, W + 1, 1)))
                        .get("prediction").floats();
                for (int k = 0; k < 3; k++, n++) sum += Math.abs(p[k] - v[first + k]);
            }
        }
        assertThat(sum / n).isCloseTo(printed, org.assertj.core.data.Percentage.withPercentage(0.01));

        // recur predict: the next 3 values after the series' end, as CSV in its units.
        Path forecast = dir.resolve("next.csv");
        CliRun predict = CliRun.recur("predict", "--checkpoint", checkpoint.toString(), "--output", forecast.toString());
        assertThat(predict.exit()).as(predict.err()).isZero();
        java.util.List<String> lines = Files.readAllLines(forecast);
        assertThat(lines).hasSize(4);
        assertThat(lines.getFirst()).isEqualTo("step,value");
        assertThat(Double.parseDouble(lines.get(1).split(",")[1])).isBetween(0.0, 20.0);
        CliRun early = CliRun.recur("predict", "--checkpoint", checkpoint.toString(), "--end", "5");
        assertThat(early.exit()).isEqualTo(2);
        assertThat(early.err()).contains("--end 5 is outside " + (W + 1) + ".." + N).contains("reads the last " + (W + 1) + " values")
                .hasLineCount(1);
        CliRun after = CliRun.recur("predict", "--checkpoint", checkpoint.toString(), "--end", "100");
        assertThat(after.exit()).as(after.err()).isZero();
        assertThat(after.out().lines().count()).isEqualTo(4);   // header and 3 values, on standard output
        CliRun notChars = CliRun.recur("predict", "--checkpoint", checkpoint.toString(), "--prompt", "x");
        assertThat(notChars.exit()).isEqualTo(2);
        assertThat(notChars.err()).contains("--prompt applies to language models (chars, words) only").hasLineCount(1);
    }

    /** Before: eval refused a longer copy of the series (its training part's mean differed). */
    @Test
    void aLongerCopyIsScoredOnEverythingAfterTheModelsValidationPart(@TempDir Path dir) throws Exception {
        Path file = csv(dir), out = dir.resolve("run");
        assertThat(train("--csv", file.toString(), "--column", "value", "--window", Integer.toString(W), "--hidden", "4",
                "--steps", "2", "--out", out.toString()).exit()).isZero();
        StringBuilder longer = new StringBuilder(Files.readString(file));
        for (int i = N; i < N + 60; i++) longer.append(i).append(',').append(10 + 5 * Math.sin(2 * Math.PI * i / 25)).append(",1\n");
        Path more = Files.writeString(dir.resolve("longer.csv"), longer);
        CliRun eval = CliRun.recur("eval", "--checkpoint", out.resolve(Trainer.CHECKPOINT).toString(), "--csv", more.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        int validationEnd = (int) Math.floor(0.85 * N);
        assertThat(eval.out()).contains("(" + (N + 60 - validationEnd - 7 + 1) + " windows from row " + validationEnd + ")");
    }
}
