package dev.recur.engine.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.recur.engine.cli.CliRun.recur;
import static dev.recur.engine.cli.bench.BenchCommandTest.PEER_PYTHON;
import static dev.recur.engine.cli.bench.BenchCommandTest.assertUsageError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** {@code recur bench --model FILE.onnx --input IN.safetensors [--peer ort]}, on the engine's exported-model goldens. */
class BenchModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static String exported(String file) {
        return Path.of(System.getProperty("recur.onnx.golden.dir")).resolveSibling("exported").resolve(file).toString();
    }

    @Test
    void timesAModelAndWritesItsMedianAtTheTop() throws IOException {
        Path json = dir.resolve("model.json");
        CliRun run = recur("bench", "--model", exported("classifier_legacy.onnx"), "--input",
                exported("classifier_legacy.inputs.safetensors"), "--quick", "--json", json.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("classifier_legacy.onnx", "recur ms").doesNotContain("ort ms");
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.get("median_ms").asDouble()).isPositive();
        assertThat(root.get("samples").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(root.get("model").asText()).endsWith("classifier_legacy.onnx");
        assertThat(root.has("peer_median_ms")).isFalse();
    }

    @Test
    void peerOrtTimesTheSameFile() throws IOException {
        assumeThat(Files.isExecutable(PEER_PYTHON)).as("ONNX Runtime peer at " + PEER_PYTHON).isTrue();
        Path json = dir.resolve("model.json");
        CliRun run = recur("bench", "--model", exported("bigru_dynamo.onnx"), "--input", exported("bigru_dynamo.inputs.safetensors"),
                "--quick", "--peer", "ort", "--python", PEER_PYTHON.toString(), "--json", json.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("ort ms", "ort/recur");
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.get("peer").asText()).isEqualTo("ort");
        assertThat(root.get("peer_median_ms").asDouble()).isPositive();
        assertThat(root.get("ratio").asDouble()).isCloseTo(root.get("peer_median_ms").asDouble() / root.get("median_ms").asDouble(),
                org.assertj.core.data.Percentage.withPercentage(1e-9));
    }

    @Test
    void badArgumentsGiveOneLine() {
        String model = exported("lstm_legacy.onnx"), inputs = exported("lstm_legacy.inputs.safetensors");
        assertUsageError(recur("bench", "--model", model), "--model needs --input IN.safetensors");
        assertUsageError(recur("bench", "--model", model, "--input", inputs, "--batch", "4", "--suite", "smoke"),
                "drop --suite, --batch");
        assertUsageError(recur("bench", "--model", model, "--input", inputs, "--peer", "torch"), "--peer ort only");
        assertUsageError(recur("bench", "--input", "in.safetensors"), "--input 'in.safetensors' is not a whole number");
        assertUsageError(recur("bench", "--model", exported("classifier_legacy.onnx"), "--input", inputs, "--quick"),
                "input 'x' is float32 [4, 3, 5], the model declares int64 [batch, 7]");
        assertThat(dir).isEmptyDirectory();
    }
}
