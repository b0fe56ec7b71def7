package dev.recur.engine.onnx;

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

/**
 * ONNX's own backend node tests for LSTM, GRU and RNN (copied from the onnx package's case
 * definitions by engine/src/test/python/make_onnx_node_tests.py), against ONNX Runtime's outputs:
 * every one must run and match within 1e-4 (the GRU cases use ONNX's default linear_before_reset =
 * 0, one LSTM case peepholes: both on the stepwise path).
 */
class OnnxNodeTestsTest {
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
        assertThat(tests()).hasSize(18).contains("test_gru_defaults", "test_lstm_with_peepholes", "test_simple_rnn_batchwise");
    }

    @ParameterizedTest
    @MethodSource("tests")
    void matchesOnnxRuntime(String name) throws Exception {
        Path dir = folder(), file = dir.resolve(name + ".onnx");
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
