package dev.recur.engine.api;

import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.onnx.OnnxModel;

import java.util.List;
import java.util.Map;

/** An {@link OnnxModel} behind {@link InferenceModel}. */
final class OnnxInferenceModel implements InferenceModel {
    private final OnnxModel model;

    OnnxInferenceModel(OnnxModel model) {
        this.model = model;
    }

    @Override
    public List<OnnxModel.Port> inputs() {
        return model.inputs();
    }

    @Override
    public List<OnnxModel.Port> outputs() {
        return model.outputs();
    }

    @Override
    public Map<String, OnnxTensor> run(Map<String, OnnxTensor> inputs) {
        return model.run(inputs);
    }

    @Override
    public void close() {
        model.close();
    }
}
