package dev.recur.engine.onnx;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.OnnxTensor;

import java.util.Map;

/** One node of a model's execution plan, bound at load: reads its inputs from, and writes its outputs to, a call's values. */
interface OnnxStep {
    void run(Map<String, OnnxTensor> values, Kernels kernels);
}
