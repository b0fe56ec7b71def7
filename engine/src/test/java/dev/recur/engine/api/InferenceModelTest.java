package dev.recur.engine.api;

import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.GoldenFixture;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One API for the model kinds a service brings: ONNX files and PyTorch state_dicts, against their goldens. */
class InferenceModelTest {
    @TempDir
    Path dir;

    /** A golden PyTorch configuration's weights as the state_dict file a user saves (mode and batch_first in the metadata). */
    private Path stateDict(GoldenFixture fixture) throws Exception {
        SafeTensorsFile f = fixture.file();
        SafeTensorsWriter w = new SafeTensorsWriter().metadata("mode", fixture.meta("mode"))
                .metadata("batch_first", fixture.meta("batch_first"));
        try (TensorArena arena = TensorArena.open("state_dict")) {
            for (String key : f.names()) {
                if (key.startsWith("param.")) w.put(key.substring("param.".length()), f.readFloat(key, arena));
            }
            return w.write(dir.resolve(fixture.name() + ".safetensors"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lstm_bidir_lengths", "gru_batch_first_lengths", "lstm_proj_bidir_2layer_lengths_h0", "rnn_relu_bidir_2layer"})
    void aStateDictRunsAsPyTorchDid(String name) throws Exception {
        GoldenFixture fixture = GoldenFixture.all().stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
        SafeTensorsFile f = fixture.file();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (TensorArena arena = TensorArena.open("inputs")) {
            inputs.put("input", OnnxTensor.ofFloats(f.readFloat("in.input", arena).toArray(), f.shape("in.input")));
            if (f.contains("in.lengths")) inputs.put("lengths", OnnxTensor.ofInt64(f.readLongs("in.lengths"), f.shape("in.lengths")));
            if (f.contains("in.h0")) inputs.put("h0", OnnxTensor.ofFloats(f.readFloat("in.h0", arena).toArray(), f.shape("in.h0")));
            if (f.contains("in.c0")) inputs.put("c0", OnnxTensor.ofFloats(f.readFloat("in.c0", arena).toArray(), f.shape("in.c0")));
        }
        try (InferenceModel model = InferenceModel.load(stateDict(fixture))) {
            Map<String, OnnxTensor> out = model.run(inputs);
            assertThat(out.keySet()).containsExactlyElementsOf(model.outputs().stream().map(p -> p.name()).toList());
            for (String key : out.keySet()) {
                double error = RelativeError.l2(out.get(key).floats(), f.readDoubles("out." + key));
                assertThat(error).as(name + " " + key + " against PyTorch's float64").isLessThanOrEqualTo(1e-5);
            }
            Map<String, OnnxTensor> wrong = new HashMap<>(inputs);
            wrong.put("hx", inputs.get("input"));
            assertThatThrownBy(() -> model.run(wrong)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'hx' is not an input of the model");
        }
    }

    @Test
    void anOnnxModelRunsThroughTheSameApi() throws Exception {
        Path folder = Path.of(InferenceModelTest.class.getResource("/onnx/exported").toURI());
        Map<String, OnnxTensor> inputs = OnnxTensorFiles.read(folder.resolve("bigru_legacy.inputs.safetensors"));
        Map<String, OnnxTensor> expected = OnnxTensorFiles.read(folder.resolve("bigru_legacy.expected.safetensors"));
        InferenceModel model = InferenceModel.load(folder.resolve("bigru_legacy.onnx"));
        try (model) {
            assertThat(model.inputs()).extracting(p -> p.name()).containsExactly("x");
            Map<String, OnnxTensor> out = model.run(inputs);
            for (String key : expected.keySet()) {
                assertThat(RelativeError.l2(out.get(key).floats(), expected.get(key).floats())).isLessThanOrEqualTo(1e-4);
            }
        }
        assertThatThrownBy(() -> model.run(inputs)).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    }

    @Test
    void otherFilesAreRefusedInOneLine() throws Exception {
        Path text = Files.writeString(dir.resolve("model.pt"), "not a model");
        assertThatThrownBy(() -> InferenceModel.load(text)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("expected an ONNX model (.onnx), a checkpoint of recur train or a PyTorch nn.LSTM/GRU/RNN state_dict (.safetensors)");
        assertThatThrownBy(() -> InferenceModel.load(dir.resolve("absent.onnx"))).hasMessageContaining("does not exist");
        Path noMode = new SafeTensorsWriter().putF32("weight_ih_l0", new float[12], 4, 3).write(dir.resolve("w.safetensors"));
        assertThatThrownBy(() -> InferenceModel.load(noMode)).isInstanceOf(java.io.IOException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
