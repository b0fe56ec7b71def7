package dev.recur.engine.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole graphs against ONNX Runtime, each a model with an input file and ONNX Runtime's outputs:
 * <ul>
 *   <li>{@code onnx/exported}: PyTorch models exported with both of torch.onnx.export's exporters
 *       (legacy and dynamo): a text classifier (Embedding, 2-layer LSTM, Linear, LogSoftmax), a
 *       bidirectional GRU, a plain LSTM, a relu RNN (unrolled into MatMul/Add/Relu by the dynamo
 *       exporter) and a GRU with a two-layer head; engine/src/test/python/make_onnx_export_golden.py;</li>
 *   <li>{@code onnx/ops}: one case per operator and rule of {@link OnnxOperators} (broadcasting,
 *       batched MatMul, Gemm's transposes, both Softmax axis rules, Slice's clamping and negative
 *       steps, Gather's negative indices, Split, Expand, Equal, Where, Not, Cast);
 *       engine/src/test/python/make_onnx_op_golden.py.</li>
 * </ul>
 * Float outputs within a relative L2 of 1e-4, integer outputs exactly.
 */
class OnnxGraphGoldenTest {

    static Path folder(String name) throws Exception {
        return Path.of(OnnxGraphGoldenTest.class.getResource("/onnx/" + name).toURI());
    }

    static Stream<String> cases() throws Exception {
        Stream.Builder<String> all = Stream.builder();
        for (String group : new String[]{"exported", "ops"}) {
            try (Stream<Path> files = Files.list(folder(group))) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".onnx")).sorted()
                        .forEach(n -> all.add(group + "/" + n.substring(0, n.length() - ".onnx".length())));
            }
        }
        return all.build();
    }

    @Test
    void everyGroupIsThere() throws Exception {
        assertThat(cases()).contains("exported/classifier_legacy", "exported/classifier_dynamo", "exported/rnn_relu_dynamo",
                "ops/slice_negative_step_clamped", "ops/equal_where", "ops/logsoftmax_opset11_coerced").hasSizeGreaterThanOrEqualTo(43);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesOnnxRuntime(String name) throws Exception {
        int slash = name.indexOf('/');
        OnnxGolden.assertMatches(folder(name.substring(0, slash)), name.substring(slash + 1));
    }
}
