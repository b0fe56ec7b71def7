/**
 * The API a service uses: {@link dev.recur.engine.api.InferenceModel} loads a model once (an ONNX
 * model, or a PyTorch {@code nn.LSTM/GRU/RNN} state_dict) and runs it from any number of threads,
 * inputs and outputs by name as {@link dev.recur.engine.io.OnnxTensor}s (Java arrays and a shape).
 * docs/embedding.md is the guide.
 */
package dev.recur.engine.api;
