package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.io.SafeTensorsFile;
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

    private static List<String> lossColumns(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.csv")).stream()
                .map(line -> String.join(",", Arrays.copyOfRange(line.split(",", -1), 0, 6))).toList();
    }
}
