package dev.recur.engine.onnx;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.io.DataFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ONNX's LSTM, GRU and RNN nodes against ONNX Runtime: one-node models with their inputs and ORT's
 * outputs, made by engine/src/test/python/make_onnx_recurrent_golden.py (every direction and
 * layout, sequence_lens in any order, initial states, B absent, weights as graph inputs, optional
 * outputs left out, awkward sizes; on the fused layer, and on the stepwise path: GRU with
 * linear_before_reset = 0, peepholes, input_forget, clip, and the other activations with their
 * alpha and beta). The bar is the issue's: relative L2 at most 1e-4 per output.
 */
class OnnxRecurrentGoldenTest {
    static Path folder() throws URISyntaxException {
        return Path.of(OnnxRecurrentGoldenTest.class.getResource("/onnx/recurrent").toURI());
    }

    static Stream<String> cases() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(folder())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx") && !n.startsWith("refused_"))
                    .map(n -> n.substring(0, n.length() - ".onnx".length())).sorted().toList().stream();
        }
    }

    static Stream<String> refusedCases() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(folder())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("refused_"))
                    .map(n -> n.substring(0, n.length() - ".onnx".length())).sorted().toList().stream();
        }
    }

    @Test
    void everyCaseIsThere() throws Exception {
        assertThat(cases()).hasSizeGreaterThanOrEqualTo(30).contains("gru_reset_before", "lstm_peepholes", "lstm_clip",
                "lstm_input_forget", "rnn_affine_softplus");
        assertThat(refusedCases()).hasSize(2);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesOnnxRuntime(String name) throws Exception {
        OnnxGolden.assertMatches(folder(), name);
        OnnxGolden.assertMatches(folder(), name, KernelProvider.naive());   // the reference paths too
    }

    @ParameterizedTest
    @MethodSource("refusedCases")
    void refusesAnInvalidNodeInOneLine(String name) throws Exception {
        Path file = folder().resolve(name + ".onnx");
        assertThatThrownBy(() -> OnnxModel.load(file))
                .isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(file + ": node '" + name + "_node' (")
                .hasMessageContaining("opset 14")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void refusalsSayWhatIsWrong() throws Exception {
        Path dir = folder();
        assertThatThrownBy(() -> OnnxModel.load(dir.resolve("refused_rnn_unknown_activation.onnx")))
                .hasMessageContaining("activation 'Swish' is not one of ONNX's: Relu, Tanh, Sigmoid");
        assertThatThrownBy(() -> OnnxModel.load(dir.resolve("refused_lstm_negative_clip.onnx")))
                .hasMessageContaining("clip -1.0, expected a positive threshold");
    }
}
