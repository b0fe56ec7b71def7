package dev.recur.engine.cli;

import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code recur infer --model FILE.onnx}: the engine's ONNX Runtime goldens through the command line, and its refusals. */
class InferOnnxCommandTest {
    @TempDir
    Path dir;

    private static Path golden(String file) {
        return Path.of(System.getProperty("recur.onnx.golden.dir")).resolve(file);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm_lengths_initial", "lstm_layout1", "gru_reverse_lengths", "gru_weights_as_inputs",
            "rnn_relu_bidirectional", "lstm_yh_only"})
    void writesEveryGraphOutputAsOnnxRuntimeDoes(String name) throws Exception {
        Path out = dir.resolve("out.safetensors");
        CliRun run = recur("infer", "--model", golden(name + ".onnx").toString(),
                "--input", golden(name + ".inputs.safetensors").toString(), "--output", out.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        Map<String, OnnxTensor> actual = OnnxTensorFiles.read(out);
        Map<String, OnnxTensor> expected = OnnxTensorFiles.read(golden(name + ".expected.safetensors"));
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (String key : expected.keySet()) {
            assertThat(actual.get(key).shape()).containsExactly(expected.get(key).shape());
            assertThat(RelativeError.l2(actual.get(key).floats(), expected.get(key).floats())).as(key).isLessThanOrEqualTo(1e-4);
        }
    }

    @Test
    void aModelItCannotRunIsOneLineAndNoFile() {
        Path out = dir.resolve("out.safetensors");
        CliRun run = recur("infer", "--model", golden("refused_rnn_unknown_activation.onnx").toString(),
                "--input", golden("gru_forward.inputs.safetensors").toString(), "--output", out.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").contains("refused_rnn_unknown_activation.onnx: node "
                + "'refused_rnn_unknown_activation_node' (RNN, opset 14): activation 'Swish'");
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void aWrongInputIsOneLineAndNoFile() {
        Path out = dir.resolve("out.safetensors");
        CliRun run = recur("infer", "--model", golden("lstm_forward.onnx").toString(),
                "--input", golden("lstm_reverse.inputs.safetensors").toString(), "--output", out.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n")
                .contains("input 'X' is float32 [6, 2, 3], the model declares float32 [5, 3, 4]")
                .doesNotContain("Exception");
        assertThat(Files.exists(out)).isFalse();
    }

    @Test
    void flagsThatDoNotApplyAreRefused() {
        String[] base = {"infer", "--input", golden("lstm_forward.inputs.safetensors").toString(), "--output",
                dir.resolve("out.safetensors").toString()};
        CliRun both = recur(concat(base, "--model", golden("lstm_forward.onnx").toString(), "--weights", "w.safetensors"));
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("give either --weights (a PyTorch state_dict) or --model (an ONNX model or a checkpoint), not both");
        CliRun neither = recur(base);
        assertThat(neither.err()).contains("not neither");
        CliRun batchFirst = recur(concat(base, "--model", golden("lstm_forward.onnx").toString(), "--batch-first"));
        assertThat(batchFirst.exit()).isEqualTo(2);
        assertThat(batchFirst.err()).contains("--batch-first does not apply to --model");
        CliRun bf16 = recur(concat(base, "--model", golden("lstm_forward.onnx").toString(), "--weight-precision", "bf16"));
        assertThat(bf16.err()).contains("--weight-precision bf16 is not supported with --model yet");
        assertThat(Files.exists(dir.resolve("out.safetensors"))).isFalse();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
