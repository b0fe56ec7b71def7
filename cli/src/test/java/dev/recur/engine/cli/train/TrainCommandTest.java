package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code recur train} end to end on a tiny adding problem: outputs, refusals, and an exact resume. */
class TrainCommandTest {
    private static final String[] TINY = {"--seq", "8", "--hidden", "8", "--batch", "4",
            "--log-every", "5", "--eval-every", "10"};

    private static CliRun train(Path out, String... extra) {
        return CliRun.recur(Stream.concat(Stream.concat(Stream.of("train"), Arrays.stream(TINY)),
                Stream.concat(Stream.of("--out", out.toString()), Arrays.stream(extra))).toArray(String[]::new));
    }

    @Test
    void writesCheckpointMetricsAndCurves(@TempDir Path dir) throws Exception {
        assertThat(train(dir, "--steps", "20").exit()).isZero();
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertThat(csv).hasSize(1 + 4);
        assertThat(csv.get(0)).startsWith("step,epoch,train_loss,val_loss,val_mse,");
        assertThat(csv.get(2)).startsWith("10,");
        JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("metrics.json")));
        assertThat(json.get("task").asText()).isEqualTo("adding");
        assertThat(json.at("/config/hidden").asInt()).isEqualTo(8);
        assertThat(json.at("/final/step").asLong()).isEqualTo(20);
        assertThat(json.at("/final/val_mse").asDouble()).isPositive();
        assertThat(json.at("/final/baseline_mse_predict_1").asDouble()).isBetween(0.05, 0.4);
        assertThat(json.get("samples_per_second").asDouble()).isPositive();
        assertThat(dir.resolve("curves.png")).isRegularFile();
        SafeTensorsFile ckpt = SafeTensorsFile.read(dir.resolve(Trainer.CHECKPOINT));
        assertThat(ckpt.names()).contains("rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight",
                "optimizer.state.head.weight.exp_avg");
    }

    @Test
    void refusesToOverwriteARunAndBadFlagsInOneLine(@TempDir Path dir) {
        assertThat(train(dir, "--steps", "10").exit()).isZero();
        CliRun again = train(dir, "--steps", "10");
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a run").contains("--resume").hasLineCount(1);

        CliRun task = train(dir.resolve("x"), "--task", "nope");
        assertThat(task.exit()).isEqualTo(2);
        assertThat(task.err()).contains("--task 'nope' is unknown").hasLineCount(1);
        CliRun epochs = train(dir.resolve("y"), "--epochs", "2");
        assertThat(epochs.exit()).isEqualTo(2);
        assertThat(epochs.err()).contains("--epochs does not apply to --task adding");
        CliRun cell = train(dir.resolve("z"), "--cell", "transformer");
        assertThat(cell.exit()).isEqualTo(2);
        assertThat(cell.err()).contains("--cell 'transformer' is unknown");
    }

    @Test
    void aResumedRunReproducesTheUninterruptedOne(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        assertThat(train(whole, "--steps", "30").exit()).isZero();
        assertThat(train(split, "--steps", "10").exit()).isZero();
        assertThat(train(split, "--steps", "30", "--resume").exit()).isZero();
        // Same losses in every row (the throughput and time columns differ).
        assertThat(lossColumns(split)).isEqualTo(lossColumns(whole));
        SafeTensorsFile a = SafeTensorsFile.read(whole.resolve(Trainer.CHECKPOINT));
        SafeTensorsFile b = SafeTensorsFile.read(split.resolve(Trainer.CHECKPOINT));
        assertThat(b.names()).isEqualTo(a.names());
        for (String name : a.names()) {
            assertThat(b.readDoubles(name)).as(name).isEqualTo(a.readDoubles(name));
        }
    }

    /** Before: a NullPointerException's stack trace for both. */
    @Test
    void resumingAFinishedRunSaysSoAndFewerStepsAreRefused(@TempDir Path dir) throws Exception {
        assertThat(train(dir, "--steps", "20").exit()).isZero();
        byte[] before = Files.readAllBytes(dir.resolve(Trainer.LAST_CHECKPOINT));
        CliRun same = train(dir, "--steps", "20", "--resume");
        assertThat(same.exit()).as(same.err()).isZero();
        assertThat(same.out()).contains("already reached its 20 steps; nothing to train");
        CliRun fewer = train(dir, "--steps", "10", "--resume");
        assertThat(fewer.exit()).isEqualTo(2);
        assertThat(fewer.err()).contains("already reached step 20").hasLineCount(1);
        assertThat(Files.readAllBytes(dir.resolve(Trainer.LAST_CHECKPOINT))).isEqualTo(before);
    }

    /** Before: --lr on --resume was ignored while the banner and metrics.json recorded it. */
    @Test
    void lrOnResumeChangesTheRateAndTheRunKeepsItsOwnOtherwise(@TempDir Path dir) throws Exception {
        assertThat(train(dir, "--steps", "10", "--lr", "0.002").exit()).isZero();
        assertThat(train(dir, "--steps", "20", "--resume").exit()).isZero();
        assertThat(lrOfRow(dir, 20)).isEqualTo(0.002);
        assertThat(configLr(dir)).isEqualTo(0.002);

        CliRun changed = train(dir, "--steps", "30", "--resume", "--lr", "0.01");
        assertThat(changed.exit()).as(changed.err()).isZero();
        assertThat(changed.out()).contains("learning rate 0.002 -> 0.01");
        assertThat(lrOfRow(dir, 30)).isEqualTo(0.01);
        assertThat(configLr(dir)).isEqualTo(0.01);

        Path cosine = dir.resolve("cosine");
        assertThat(train(cosine, "--steps", "10", "--schedule", "cosine").exit()).isZero();
        CliRun refused = train(cosine, "--steps", "20", "--schedule", "cosine", "--resume", "--lr", "0.01");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("--lr cannot change the rate").contains("--schedule cosine").hasLineCount(1);
    }

    /** The kept checkpoint is the best validation's; last.safetensors the latest, which --resume continues. */
    @Test
    void patienceStopsTheRunAndTheBestCheckpointIsKept(@TempDir Path dir) throws Exception {
        String[] patient = {"train", "--seq", "8", "--hidden", "8", "--batch", "4", "--log-every", "2", "--eval-every", "2",
                "--steps", "200", "--patience", "2", "--lr", "0.05", "--out", dir.toString()};
        CliRun run = CliRun.recur(patient);
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("stopping early: 2 validations without a better val_mse");
        JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("metrics.json")));
        long lastStep = json.at("/final/step").asLong(), bestStep = json.at("/best/step").asLong();
        assertThat(lastStep).isLessThan(200);
        assertThat(bestStep).isEqualTo(lastStep - 4);   // two evaluations, 2 steps apart
        double best = Files.readAllLines(dir.resolve("metrics.csv")).stream().skip(1)
                .mapToDouble(line -> Double.parseDouble(line.split(",")[4])).min().orElseThrow();
        assertThat(json.at("/best/val_mse").asDouble()).isCloseTo(best, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(Checkpoint.read(dir.resolve(Trainer.CHECKPOINT)).progress().step()).isEqualTo(bestStep);
        assertThat(Checkpoint.read(dir.resolve(Trainer.LAST_CHECKPOINT)).progress().step()).isEqualTo(lastStep);
        // Resuming a run that stopped early trains nothing more.
        CliRun again = CliRun.recur(Stream.concat(Arrays.stream(patient), Stream.of("--resume")).toArray(String[]::new));
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).contains("stopped early at step " + lastStep);
        assertThat(Checkpoint.read(dir.resolve(Trainer.LAST_CHECKPOINT)).progress().step()).isEqualTo(lastStep);
    }

    /** The kept checkpoint: a better metric, or the same metric with a lower validation loss. */
    @Test
    void aTiedMetricIsBrokenByTheValidationLoss() {
        assertThat(Trainer.improves(0.9, 0.3, Double.NaN, Double.NaN, true)).isTrue();
        assertThat(Trainer.improves(0.95, 0.5, 0.9, 0.3, true)).isTrue();
        assertThat(Trainer.improves(0.85, 0.1, 0.9, 0.3, true)).isFalse();
        assertThat(Trainer.improves(1.0, 0.001, 1.0, 0.002, true)).isTrue();
        assertThat(Trainer.improves(1.0, 0.003, 1.0, 0.002, true)).isFalse();
        assertThat(Trainer.improves(0.2, 0.2, 0.3, 0.3, false)).isTrue();   // errors: lower is better
        assertThat(Trainer.improves(0.3, 0.4, 0.3, 0.3, false)).isFalse();
    }

    /** Before: an empty folder stayed, /etc/passwd got "recur train: /etc/passwd", --dropout did nothing. */
    @Test
    void refusedRunsLeaveNoFolderAndSayWhy(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        CliRun onFile = train(file);
        assertThat(onFile.exit()).isEqualTo(2);
        assertThat(onFile.err()).contains("--out " + file + " is a file, not a folder").hasLineCount(1);

        Path out = dir.resolve("new").resolve("run");
        CliRun dropout = train(out, "--dropout", "0.3");
        assertThat(dropout.exit()).isEqualTo(2);
        assertThat(dropout.err()).contains("--dropout applies between stacked layers").hasLineCount(1);
        // 4 x 200000 x 200002 weights: hundreds of GiB, refused before anything is allocated.
        CliRun huge = CliRun.recur("train", "--hidden", "200000", "--steps", "1", "--out", out.toString());
        assertThat(huge.exit()).isEqualTo(2);
        assertThat(huge.err()).contains("this run needs about").contains("GiB of memory is available").hasLineCount(1);
        // A loss that overflows at the first step: one line naming the step; nothing written, no folder.
        Path data = dir.resolve("huge-targets.safetensors");
        float[] x = new float[8 * 3 * 2];
        float[] y = new float[8];
        java.util.Arrays.fill(y, 3e38f);
        new SafeTensorsWriter().putF32("x", x, 8, 3, 2).putF32("y", y, 8).write(data);
        CliRun overflow = CliRun.recur("train", "--task", "tensors", "--data", data.toString(), "--hidden", "4",
                "--batch", "4", "--steps", "3", "--out", out.toString());
        assertThat(overflow.exit()).isEqualTo(2);
        assertThat(overflow.err()).contains("step 1: the training loss is Infinity").hasLineCount(1);
        assertThat(dir.resolve("new")).doesNotExist();
    }

    /** --config: a JSON object of flags, the command line's flags override it; @file: arguments from a file. */
    @Test
    void flagsComeFromAConfigFileOrAnArgumentFile(@TempDir Path dir) throws Exception {
        Path json = Files.writeString(dir.resolve("run.json"),
                "{\"seq\": 8, \"hidden\": 8, \"batch\": 4, \"steps\": 6, \"lr\": 0.002, \"bidirectional\": true}");
        Path out = dir.resolve("cfg");
        CliRun run = CliRun.recur("train", "--config", json.toString(), "--hidden", "6", "--out", out.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode config = new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json"))).get("config");
        assertThat(config.get("hidden").asInt()).isEqualTo(6);          // the command line wins
        assertThat(config.get("lr").asDouble()).isEqualTo(0.002);       // the file's
        assertThat(config.get("bidirectional").asBoolean()).isTrue();
        assertThat(config.get("steps").asLong()).isEqualTo(6);
        assertThat(config.get("config").asText()).isEqualTo(json.toString());

        Path typo = Files.writeString(dir.resolve("typo.json"), "{\"hiden\": 8}");
        CliRun refused = CliRun.recur("train", "--config", typo.toString(), "--out", dir.resolve("x").toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("key 'hiden' is not a flag of recur train").hasLineCount(1);
        Path badValue = Files.writeString(dir.resolve("bad.json"), "{\"hidden\": \"many\"}");
        CliRun bad = CliRun.recur("train", "--config", badValue.toString(), "--out", dir.resolve("x").toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains(badValue + ": Invalid value for option '--hidden'").hasLineCount(1);
        assertThat(dir.resolve("x")).doesNotExist();

        Path args = Files.writeString(dir.resolve("args.txt"), "--seq 8\n--hidden 5\n--batch 4\n--steps 3\n");
        CliRun fromFile = CliRun.recur("train", "@" + args, "--out", dir.resolve("argfile").toString());
        assertThat(fromFile.exit()).as(fromFile.err()).isZero();
        assertThat(fromFile.out()).contains("lstm H=5 L=1, batch 4");
    }

    private static double lrOfRow(Path run, long step) throws Exception {
        return Files.readAllLines(run.resolve("metrics.csv")).stream().skip(1).map(line -> line.split(",", -1))
                .filter(f -> Long.parseLong(f[0]) == step).mapToDouble(f -> Double.parseDouble(f[5])).findFirst()
                .orElseThrow();
    }

    private static double configLr(Path run) throws Exception {
        return new ObjectMapper().readTree(Files.readString(run.resolve("metrics.json"))).at("/config/lr").asDouble();
    }

    private static List<String> lossColumns(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.csv")).stream()
                .map(line -> String.join(",", Arrays.copyOfRange(line.split(",", -1), 0, 6))).toList();
    }
}
