package dev.recur.engine.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
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
        OnnxGolden.assertMatches(folder(), name);
    }
}
