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
 * Whole PyTorch models exported with both of torch.onnx.export's exporters (legacy and dynamo),
 * against ONNX Runtime: a text classifier (Embedding, 2-layer LSTM, Linear, LogSoftmax), a
 * bidirectional GRU, a plain LSTM, a relu RNN (unrolled into MatMul/Add/Relu by the dynamo
 * exporter) and a GRU with a two-layer head; made by
 * engine/src/test/python/make_onnx_export_golden.py. The bar: relative L2 at most 1e-4.
 */
class OnnxExportedModelTest {

    static Path folder() throws Exception {
        return Path.of(OnnxExportedModelTest.class.getResource("/onnx/exported").toURI());
    }

    static Stream<String> models() throws Exception {
        try (Stream<Path> files = Files.list(folder())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx"))
                    .map(n -> n.substring(0, n.length() - ".onnx".length())).sorted().toList().stream();
        }
    }

    @Test
    void bothExportersOfEveryModelAreThere() throws Exception {
        assertThat(models()).contains("classifier_legacy", "classifier_dynamo", "rnn_relu_dynamo").hasSize(10);
    }

    @ParameterizedTest
    @MethodSource("models")
    void matchesOnnxRuntime(String name) throws Exception {
        Path dir = folder();
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(dir.resolve(name + ".inputs.safetensors"));
        Map<String, OnnxTensor> expected = OnnxTensorFiles.read(dir.resolve(name + ".expected.safetensors"));
        try (OnnxModel model = OnnxModel.load(dir.resolve(name + ".onnx"))) {
            Map<String, OnnxTensor> actual = model.run(inputs);
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            for (String output : expected.keySet()) {
                assertThat(actual.get(output).shape()).as(name + " " + output).containsExactly(expected.get(output).shape());
                double error = RelativeError.l2(actual.get(output).floats(), expected.get(output).floats());
                System.out.printf("onnx exported %s %s: relative L2 %.2e%n", name, output, error);
                assertThat(error).as(name + " " + output + " relative L2 against ONNX Runtime").isLessThanOrEqualTo(1e-4);
            }
        }
    }
}
