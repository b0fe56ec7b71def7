/**
 * ONNX models in Recur: {@link dev.recur.engine.onnx.OnnxModel} loads a {@code .onnx} file (parsed
 * by {@link dev.recur.engine.io.OnnxModelFile}) and turns its graph into an execution plan once:
 * initializers become constants, each node a bound step, and ONNX's LSTM, GRU and RNN nodes run on
 * Recur's fused recurrent layer with their weights reordered into PyTorch's gate order at load.
 * Inference only. What a node asks for that Recur does not run is refused at load, in one line
 * naming the node, its operator and the opset.
 */
package dev.recur.engine.onnx;
