package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** metrics.csv / metrics.json, curves.png and the progress lines of a training run. */
class TrainingOutputTest {
    private static TrainingLog sampleLog() {
        TrainingLog log = new TrainingLog("adding", "val_mse", Map.of("cell", "lstm", "hidden", 128, "lr", 1e-3));
        log.add(new TrainingLog.Row(100, 0.5, 0.25, Double.NaN, Double.NaN, 1e-3, 5000, 2.0));
        log.add(new TrainingLog.Row(200, 1.0, 0.12, 0.11, 0.11, 1e-3, 5100, 4.0));
        log.add(new TrainingLog.Row(300, 1.5, 0.05, Double.NaN, Double.NaN, 5e-4, 4900, 6.0));
        return log;
    }

    @Test
    void csvHasOneLinePerRowAndLeavesUnevaluatedCellsEmpty() {
        String[] lines = sampleLog().csv().split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).isEqualTo("step,epoch,train_loss,val_loss,val_mse,lr,samples_per_s,elapsed_s");
        assertThat(lines[1]).startsWith("100,0.500000,0.250000,,,0.00100000,");
        assertThat(lines[2]).startsWith("200,1.00000,0.120000,0.110000,0.110000,");
    }

    @Test
    void jsonCarriesTaskConfigFinalMetricsAndThroughput(@TempDir Path dir) throws Exception {
        TrainingLog log = sampleLog();
        log.write(dir, Map.of("baseline_mse", 0.167), 200, 5000, 6.5);
        JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("metrics.json")));
        assertThat(json.get("task").asText()).isEqualTo("adding");
        assertThat(json.get("config").get("hidden").asInt()).isEqualTo(128);
        assertThat(json.get("final").get("step").asLong()).isEqualTo(300);
        assertThat(json.get("final").get("train_loss").asDouble()).isEqualTo(0.05);
        // The last evaluated validation figures, not the NaN of the last row.
        assertThat(json.get("final").get("val_mse").asDouble()).isEqualTo(0.11);
        assertThat(json.get("final").get("baseline_mse").asDouble()).isEqualTo(0.167);
        assertThat(json.at("/best/step").asLong()).isEqualTo(200);
        assertThat(json.at("/best/val_mse").asDouble()).isEqualTo(0.11);
        assertThat(json.get("samples_per_second").asDouble()).isEqualTo(5000);
        assertThat(json.get("wall_time_s").asDouble()).isEqualTo(6.5);
        assertThat(Files.readString(dir.resolve("metrics.csv"))).isEqualTo(log.csv());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("metrics.csv", "metrics.json");
        }
    }

    @Test
    void curvesAreTwoPanelsAndAComparisonIsOne(@TempDir Path dir) throws Exception {
        CurvesChart.write(dir.resolve("curves.png"), "adding", sampleLog());
        BufferedImage curves = ImageIO.read(dir.resolve("curves.png").toFile());
        assertThat(curves.getWidth()).isEqualTo(2 * curves.getHeight() * 640 / 440);

        CurvesChart.writeComparison(dir.resolve("demo.png"), "adding problem", "validation MSE",
                Map.of("lstm", sampleLog(), "gru", sampleLog()), TrainingLog.Row::valLoss, true);
        assertThat(ImageIO.read(dir.resolve("demo.png").toFile()).getWidth()).isEqualTo(640);
    }

    @Test
    void plainProgressPrintsALinePerIntervalAndTheLastStep() {
        long[] now = {0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressReporter progress = new ProgressReporter(out, false, 1000, () -> now[0], 10_000_000_000L);
        for (int step = 1; step <= 1000; step++) {
            now[0] += 50_000_000L; // 50 ms a step: 200 steps per 10-s interval
            progress.update(step, 1.0 / step, 640);
        }
        progress.finish();
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(6); // step 1, then every 200 steps, then the last
        assertThat(lines[0]).isEqualTo("step 1/1000  loss 1.000  640 samples/s  ETA --");
        assertThat(lines[1]).startsWith("step 201/1000").endsWith("ETA 40s");
        assertThat(lines[5]).startsWith("step 1000/1000").endsWith("done in 50s");
        assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\r");
    }

    /** The first step's warm-up (the JIT) and a resumed run's earlier steps do not enter the ETA's rate. */
    @Test
    void etaCountsFromTheFirstReportedStep() {
        long[] now = {0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressReporter progress = new ProgressReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), false,
                1000, () -> now[0], 1_000_000_000L);
        now[0] += 30_000_000_000L;   // a 30-s first step (resumed at step 500)
        progress.update(501, 1, 640);
        for (int step = 502; step <= 700; step++) {
            now[0] += 10_000_000L;   // then 10 ms a step
            progress.update(step, 1, 640);
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).endsWith("ETA --");
        assertThat(lines[1]).startsWith("step 601/1000").endsWith("ETA 4s");
    }

    @Test
    void terminalProgressRedrawsOneLine() {
        long[] now = {0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressReporter progress = new ProgressReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 10,
                () -> now[0], 10_000_000_000L);
        for (int step = 1; step <= 10; step++) {
            now[0] += 200_000_000L;
            progress.update(step, 0.5, 100);
            if (step == 5) progress.message("validation mse 0.1");
        }
        progress.finish();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("\r[############............] step 5/10").contains("validation mse 0.1\n")
                .contains("[########################] step 10/10");
        assertThat(text.split("\n")).hasSize(2);
        assertThat(ProgressReporter.duration(3725)).isEqualTo("1h02m");
        assertThat(ProgressReporter.duration(75)).isEqualTo("1m15s");
    }
}
