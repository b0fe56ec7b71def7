package dev.recur.engine.onnx;

import com.google.protobuf.ByteString;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.io.onnx.OnnxProto;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OnnxModel's API around the golden cases: bad files, bad inputs, external data, the two recurrent paths, threads, close. */
class OnnxModelTest {

    private static Path golden(String name) throws Exception {
        return OnnxRecurrentGoldenTest.folder().resolve(name);
    }

    @Test
    void describesItsInputsAndOutputs() throws Exception {
        try (OnnxModel model = OnnxModel.load(golden("lstm_lengths_initial.onnx"))) {
            assertThat(model.inputs()).extracting(OnnxModel.Port::name)
                    .containsExactly("X", "sequence_lens", "initial_h", "initial_c");
            assertThat(model.inputs().get(1).describe()).isEqualTo("int32 [4]");
            assertThat(model.outputs()).extracting(OnnxModel.Port::name).containsExactly("Y", "Y_h", "Y_c");
        }
    }

    @Test
    void badInputsGetOneLineNamingTheInput() throws Exception {
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(golden("lstm_lengths_initial.inputs.safetensors"));
        try (OnnxModel model = OnnxModel.load(golden("lstm_lengths_initial.onnx"))) {
            Map<String, OnnxTensor> missing = new HashMap<>(inputs);
            missing.remove("initial_c");
            assertThatThrownBy(() -> model.run(missing)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageEndingWith("input 'initial_c' (float32 [2, 4, 5]) is missing");

            Map<String, OnnxTensor> unknown = new HashMap<>(inputs);
            unknown.put("x", inputs.get("X"));
            assertThatThrownBy(() -> model.run(unknown)).hasMessageContaining("'x' is not an input of the model; its inputs: X, sequence_lens");

            Map<String, OnnxTensor> wrongShape = new HashMap<>(inputs);
            wrongShape.put("X", OnnxTensor.ofFloats(new float[7 * 4 * 2], 7, 4, 2));
            assertThatThrownBy(() -> model.run(wrongShape))
                    .hasMessageEndingWith("input 'X' is float32 [7, 4, 2], the model declares float32 [7, 4, 3]");

            Map<String, OnnxTensor> wrongType = new HashMap<>(inputs);
            wrongType.put("sequence_lens", OnnxTensor.ofInt64(new long[]{3, 7, 1, 5}, 4));
            assertThatThrownBy(() -> model.run(wrongType)).hasMessageContaining("input 'sequence_lens' is int64 [4], the model declares int32 [4]");

            Map<String, OnnxTensor> tooLong = new HashMap<>(inputs);
            tooLong.put("sequence_lens", OnnxTensor.ofInt32(new int[]{3, 8, 1, 5}, 4));
            assertThatThrownBy(() -> model.run(tooLong)).hasMessageContaining("input 'sequence_lens'[1] = 8, expected 1..7");
        }
    }

    @Test
    void warmUpRunsUntilTheCallsSettleOrTheBudgetEnds() throws Exception {
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(golden("lstm_forward.inputs.safetensors"));
        try (OnnxModel model = OnnxModel.load(golden("lstm_forward.onnx"))) {
            dev.recur.engine.nn.WarmUp done = model.warmUp(inputs, java.time.Duration.ofSeconds(20));
            assertThat(done.calls()).isGreaterThanOrEqualTo(10);   // the first call, then three windows of 3 at least
            assertThat(done.firstCallMs()).isPositive();
            assertThat(done.settledCallMs()).isPositive();
            assertThat(done.seconds()).isLessThan(25);
            dev.recur.engine.nn.WarmUp brief = model.warmUp(inputs, java.time.Duration.ZERO);
            assertThat(brief.calls()).isEqualTo(1);
            assertThat(brief.settled()).isFalse();
        }
    }

    /** An output that is an input or a constant passed through (Identity here) is a copy: the model's constants stay its own. */
    @Test
    void outputsPassedThroughAreTheCallersCopies(@TempDir Path dir) throws Exception {
        OnnxProto.TensorProto constant = OnnxProto.TensorProto.newBuilder().setName("c").setDataType(OnnxTensor.Type.FLOAT.code())
                .addDims(2).addFloatData(1f).addFloatData(2f).build();
        OnnxProto.GraphProto graph = OnnxProto.GraphProto.newBuilder().setName("pass")
                .addNode(OnnxProto.NodeProto.newBuilder().setOpType("Identity").addInput("c").addOutput("y"))
                .addNode(OnnxProto.NodeProto.newBuilder().setOpType("Identity").addInput("x").addOutput("z"))
                .addInitializer(constant)
                .addInput(OnnxProto.ValueInfoProto.newBuilder().setName("x").setType(floatType()))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("y").setType(floatType()))
                .addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("z").setType(floatType())).build();
        Path file = Files.write(dir.resolve("pass.onnx"), OnnxProto.ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(OnnxProto.OperatorSetIdProto.newBuilder().setVersion(14)).build().toByteArray());
        try (OnnxModel model = OnnxModel.load(file)) {
            float[] x = {5f, 6f};
            Map<String, OnnxTensor> out = model.run(Map.of("x", OnnxTensor.ofFloats(x, 2)));
            assertThat(out.get("z").floats()).containsExactly(5f, 6f).isNotSameAs(x);
            out.get("y").floats()[0] = 99f;
            assertThat(model.run(Map.of("x", OnnxTensor.ofFloats(x, 2))).get("y").floats()).containsExactly(1f, 2f);
        }
    }

    private static OnnxProto.TypeProto floatType() {
        return OnnxProto.TypeProto.newBuilder().setTensorType(OnnxProto.TypeProto.Tensor.newBuilder()
                .setElemType(OnnxTensor.Type.FLOAT.code())).build();
    }

    @Test
    void aClosedModelSaysSo() throws Exception {
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(golden("gru_forward.inputs.safetensors"));
        OnnxModel model = OnnxModel.load(golden("gru_forward.onnx"));
        model.close();
        model.close();
        assertThatThrownBy(() -> model.run(inputs)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("gru_forward.onnx is closed");
    }

    @Test
    void badFilesGetOneLineNamingTheFile(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("model.onnx"), "this is not a model\n");
        assertThatThrownBy(() -> OnnxModel.load(text)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(text + ": not an ONNX model");
        byte[] whole = Files.readAllBytes(golden("lstm_forward.onnx"));
        Path truncated = Files.write(dir.resolve("truncated.onnx"), java.util.Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> OnnxModel.load(truncated)).isInstanceOf(DataFileException.class)
                .hasMessageStartingWith(truncated + ": not an ONNX model, or truncated");
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        assertThatThrownBy(() -> OnnxModel.load(empty)).hasMessageStartingWith(empty + ": not an ONNX model: no graph");
        assertThatThrownBy(() -> OnnxModel.load(dir.resolve("absent.onnx"))).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> OnnxModel.load(dir)).hasMessageContaining("is a folder");
    }

    @Test
    void readsExternalDataInsideTheModelsFolderAndRefusesItOutside(@TempDir Path dir) throws Exception {
        OnnxProto.ModelProto inline = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(golden("rnn_tanh.onnx")));
        Path folder = Files.createDirectories(dir.resolve("model"));
        OnnxProto.GraphProto.Builder graph = inline.getGraph().toBuilder().clearInitializer();
        ByteBuffer side = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (OnnxProto.TensorProto t : inline.getGraph().getInitializerList()) {
            ByteBuffer bytes = ByteBuffer.allocate(t.getFloatDataCount() > 0 ? t.getFloatDataCount() * 4 : t.getRawData().size())
                    .order(ByteOrder.LITTLE_ENDIAN);
            if (t.getFloatDataCount() > 0) t.getFloatDataList().forEach(bytes::putFloat);
            else bytes.put(t.getRawData().asReadOnlyByteBuffer());
            int offset = side.position();
            side.put(bytes.flip());
            graph.addInitializer(t.toBuilder().clearFloatData().clearRawData()
                    .setDataLocation(OnnxProto.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", "weights.bin"))
                    .addExternalData(entry("offset", Integer.toString(offset)))
                    .addExternalData(entry("length", Integer.toString(bytes.limit()))));
        }
        Files.write(folder.resolve("weights.bin"), java.util.Arrays.copyOf(side.array(), side.position()));
        Path model = Files.write(folder.resolve("external.onnx"), inline.toBuilder().setGraph(graph).build().toByteArray());

        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(golden("rnn_tanh.inputs.safetensors"));
        Map<String, OnnxTensor> expected = OnnxTensorFiles.read(golden("rnn_tanh.expected.safetensors"));
        try (OnnxModel loaded = OnnxModel.load(model)) {
            assertThat(loaded.run(inputs).get("Y").floats()).containsExactly(runGolden("rnn_tanh", inputs).get("Y").floats());
            assertThat(expected).containsKey("Y");
        }

        Files.move(folder.resolve("weights.bin"), dir.resolve("weights.bin"));
        OnnxProto.GraphProto.Builder escaping = graph.clone();
        for (int i = 0; i < escaping.getInitializerCount(); i++) {
            OnnxProto.TensorProto.Builder t = escaping.getInitializerBuilder(i);
            t.setExternalData(0, entry("location", "../weights.bin"));
        }
        Path outside = Files.write(folder.resolve("outside.onnx"), inline.toBuilder().setGraph(escaping).build().toByteArray());
        assertThatThrownBy(() -> OnnxModel.load(outside)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("external data location '../weights.bin' is outside the model's folder");
        assertThatThrownBy(() -> OnnxModel.load(model)).hasMessageContaining("weights.bin does not exist");
    }

    private static OnnxProto.StringStringEntryProto entry(String key, String value) {
        return OnnxProto.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static Map<String, OnnxTensor> runGolden(String name, Map<String, OnnxTensor> inputs) throws Exception {
        try (OnnxModel model = OnnxModel.load(golden(name + ".onnx"))) {
            return model.run(inputs);
        }
    }

    /**
     * The paths of a recurrent node agree where all apply: a clip too large to bind sends a plain
     * node off the fused layer, to the kernel path (OnnxKernelRecurrence) on the vector kernels and
     * to the spec's equations (OnnxStepwiseRecurrence) on the naive ones; both give the fused
     * layer's results.
     */
    @ParameterizedTest
    @ValueSource(strings = {"lstm_lengths_initial", "gru_reverse_lengths", "rnn_relu_bidirectional", "lstm_layout1",
            "gru_bidirectional_layout1"})
    void kernelAndStepwisePathsAgreeWithTheFusedLayer(String name, @TempDir Path dir) throws Exception {
        OnnxProto.ModelProto fused = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(golden(name + ".onnx")));
        OnnxProto.GraphProto.Builder graph = fused.getGraph().toBuilder();
        graph.getNodeBuilder(0).addAttribute(OnnxProto.AttributeProto.newBuilder().setName("clip").setF(1e30f)
                .setType(OnnxProto.AttributeProto.AttributeType.FLOAT));
        Path file = Files.write(dir.resolve("clipped.onnx"), fused.toBuilder().setGraph(graph).build().toByteArray());
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(golden(name + ".inputs.safetensors"));
        Map<String, OnnxTensor> viaFused = runGolden(name, inputs);
        for (Kernels kernels : new Kernels[]{KernelProvider.vector(), KernelProvider.naive()}) {
            try (OnnxModel model = OnnxModel.load(file, kernels)) {
                Map<String, OnnxTensor> got = model.run(inputs);
                for (String output : viaFused.keySet()) {
                    assertThat(RelativeError.l2(got.get(output).floats(), viaFused.get(output).floats()))
                            .as(name + " " + kernels.name() + " " + output).isLessThanOrEqualTo(1e-5);
                }
            }
        }
    }

    /**
     * Transpose(perm = [1, 0, 2]) into a layout-0 node, as the exporters write for batch_first:
     * the node reads the batch-major value itself (one step fewer), unless the transposed value is
     * used elsewhere too; both give the golden node's outputs bit for bit.
     */
    @Test
    void aBatchTimeTransposeBeforeARecurrentNodeIsFoldedIntoIt(@TempDir Path dir) throws Exception {
        String name = "lstm_lengths_initial";
        OnnxProto.ModelProto golden = OnnxProto.ModelProto.parseFrom(Files.readAllBytes(golden(name + ".onnx")));
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(golden(name + ".inputs.safetensors"));
        Map<String, OnnxTensor> expected = runGolden(name, inputs);
        OnnxTensor x = inputs.get("X");   // [T, B, I]
        Map<String, OnnxTensor> batchMajor = new HashMap<>(inputs);
        batchMajor.remove("X");
        batchMajor.put("X_bt", OnnxShapeOps.transpose(x, new long[]{1, 0, 2}));
        int goldenSteps;
        try (OnnxModel model = OnnxModel.load(golden(name + ".onnx"))) {
            goldenSteps = model.stepCount();
        }
        for (boolean transposedIsAlsoAnOutput : new boolean[]{false, true}) {
            OnnxProto.GraphProto.Builder graph = golden.getGraph().toBuilder();
            int xAt = graph.getInputList().stream().map(OnnxProto.ValueInfoProto::getName).toList().indexOf("X");
            graph.setInput(xAt, OnnxProto.ValueInfoProto.newBuilder().setName("X_bt").setType(floatType()));
            List<OnnxProto.NodeProto> nodes = new ArrayList<>(graph.getNodeList());
            nodes.addFirst(OnnxProto.NodeProto.newBuilder().setOpType("Transpose").addInput("X_bt").addOutput("X")
                    .addAttribute(OnnxProto.AttributeProto.newBuilder().setName("perm").addAllInts(List.of(1L, 0L, 2L))
                            .setType(OnnxProto.AttributeProto.AttributeType.INTS)).build());
            graph.clearNode().addAllNode(nodes);
            if (transposedIsAlsoAnOutput) graph.addOutput(OnnxProto.ValueInfoProto.newBuilder().setName("X").setType(floatType()));
            Path file = Files.write(dir.resolve("transposed" + transposedIsAlsoAnOutput + ".onnx"),
                    golden.toBuilder().setGraph(graph).build().toByteArray());
            try (OnnxModel model = OnnxModel.load(file)) {
                assertThat(model.stepCount()).isEqualTo(transposedIsAlsoAnOutput ? goldenSteps + 1 : goldenSteps);
                Map<String, OnnxTensor> got = model.run(batchMajor);
                for (String output : expected.keySet()) {
                    assertThat(got.get(output).floats()).as(output).containsExactly(expected.get(output).floats());
                }
                if (transposedIsAlsoAnOutput) assertThat(got.get("X").floats()).containsExactly(x.floats());
            }
        }
    }

    @Test
    void oneModelServesEightThreadsWithTheSequentialResults() throws Exception {
        try (OnnxModel model = OnnxModel.load(golden("lstm_lengths_initial.onnx"))) {
            SplittableRandom rng = new SplittableRandom(11);
            List<Map<String, OnnxTensor>> calls = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                float[] x = new float[7 * 4 * 3], h = new float[2 * 4 * 5], c = new float[2 * 4 * 5];
                for (int j = 0; j < x.length; j++) x[j] = (float) rng.nextDouble(-1, 1);
                for (int j = 0; j < h.length; j++) h[j] = (float) rng.nextDouble(-1, 1);
                for (int j = 0; j < c.length; j++) c[j] = (float) rng.nextDouble(-1, 1);
                int[] lengths = {1 + rng.nextInt(7), 1 + rng.nextInt(7), 1 + rng.nextInt(7), 1 + rng.nextInt(7)};
                calls.add(Map.of("X", OnnxTensor.ofFloats(x, 7, 4, 3), "sequence_lens", OnnxTensor.ofInt32(lengths, 4),
                        "initial_h", OnnxTensor.ofFloats(h, 2, 4, 5), "initial_c", OnnxTensor.ofFloats(c, 2, 4, 5)));
            }
            List<Map<String, OnnxTensor>> sequential = calls.stream().map(model::run).toList();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Map<String, OnnxTensor>>> futures = new ArrayList<>();
                for (int round = 0; round < 4; round++) {
                    for (Map<String, OnnxTensor> call : calls) futures.add(pool.submit(() -> model.run(call)));
                }
                for (int i = 0; i < futures.size(); i++) {
                    assertThat(futures.get(i).get()).isEqualTo(sequential.get(i % calls.size()));
                }
            } finally {
                pool.shutdown();
            }
        }
    }
}
