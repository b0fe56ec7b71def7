package dev.recur.engine.onnx;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ONNX's own backend node tests for LSTM, GRU and RNN (copied from the onnx package's case
 * definitions by engine/src/test/python/make_onnx_node_tests.py), against ONNX Runtime's outputs.
 * Those that use what Recur does not run yet must be refused at load, in one line saying what:
 * every GRU case (ONNX's default linear_before_reset = 0) and the LSTM with peepholes.
 */
class OnnxNodeTestsTest {
    /** Test name to the words its refusal must contain. */
    static final Map<String, String> REFUSED = Map.of(
            "test_gru_batchwise", "linear_before_reset = 0",
            "test_gru_bidirectional", "linear_before_reset = 0",
            "test_gru_defaults", "linear_before_reset = 0",
            "test_gru_reverse", "linear_before_reset = 0",
            "test_gru_seq_length", "linear_before_reset = 0",
            "test_gru_with_initial_bias", "linear_before_reset = 0",
            "test_lstm_with_peepholes", "peephole weights (input P)");

    static Path folder() throws Exception {
        return Path.of(OnnxNodeTestsTest.class.getResource("/onnx/node").toURI());
    }

    static Stream<String> tests() throws Exception {
        try (Stream<Path> files = Files.list(folder())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx"))
                    .map(n -> n.substring(0, n.length() - ".onnx".length())).sorted().toList().stream();
        }
    }

    @Test
    void allEighteenAreThere() throws Exception {
        assertThat(tests()).hasSize(18).containsAll(REFUSED.keySet());
    }

    @ParameterizedTest
    @MethodSource("tests")
    void runsOrSaysWhyNot(String name) throws Exception {
        Path dir = folder(), file = dir.resolve(name + ".onnx");
        if (REFUSED.containsKey(name)) {
            assertThatThrownBy(() -> OnnxModel.load(file)).isInstanceOf(DataFileException.class)
                    .hasMessageContaining(REFUSED.get(name)).hasMessageContaining("opset 22")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            return;
        }
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(dir.resolve(name + ".inputs.safetensors"));
        Map<String, OnnxTensor> expected = OnnxTensorFiles.read(dir.resolve(name + ".expected.safetensors"));
        try (OnnxModel model = OnnxModel.load(file)) {
            Map<String, OnnxTensor> actual = model.run(inputs);
            for (String output : expected.keySet()) {
                assertThat(actual.get(output).shape()).as(name + " " + output).containsExactly(expected.get(output).shape());
                assertThat(RelativeError.l2(actual.get(output).floats(), expected.get(output).floats()))
                        .as(name + " " + output).isLessThanOrEqualTo(1e-4);
            }
        }
    }
}
