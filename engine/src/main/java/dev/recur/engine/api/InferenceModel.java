package dev.recur.engine.api;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.DataFileException;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.WarmUp;
import dev.recur.engine.onnx.OnnxModel;
import dev.recur.engine.train.Checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model loaded once for inference and called from any number of threads: each call keeps its
 * values to itself and shares only the model's read-only weights. Inputs and outputs go by name,
 * as {@link OnnxTensor}s (Java arrays and a shape), which belong to the caller; a Recur
 * {@link dev.recur.engine.tensor.Tensor} goes in and out by copy ({@link OnnxTensor#of},
 * {@link OnnxTensor#toTensor}).
 *
 * <pre>{@code
 * try (InferenceModel model = InferenceModel.load(Path.of("classifier.onnx"))) {
 *     model.warmUp(example, Duration.ofSeconds(10));
 *     Map<String, OnnxTensor> out = model.run(Map.of("x", OnnxTensor.ofInt64(tokens, 1, 7)));
 * }
 * }</pre>
 */
public interface InferenceModel extends AutoCloseable {

    /**
     * Loads {@code file}: an ONNX model ({@code .onnx}, see docs/onnx.md); a checkpoint of
     * {@code recur train} ({@code .safetensors} whose metadata says {@code format =
     * recur-checkpoint}: the model its task trained, inputs {@code x} and {@code lengths}, see
     * docs/embedding.md); or a PyTorch {@code nn.LSTM/GRU/RNN} state_dict saved with safetensors
     * (with its {@code mode} and {@code batch_first} in the metadata, as {@code recur infer} writes them).
     *
     * @throws DataFileException (one line) for a file of another kind, or one that does not load
     */
    static InferenceModel load(Path file) throws IOException {
        return load(file, KernelProvider.defaultKernels());
    }

    /** As {@link #load(Path)}, running on {@code kernels} (the vector kernels, or the naive twins). */
    static InferenceModel load(Path file, Kernels kernels) throws IOException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(file) && name.endsWith(".onnx")) return new OnnxInferenceModel(OnnxModel.load(file, kernels));
        if (Files.isRegularFile(file) && name.endsWith(".safetensors")) {
            return isCheckpoint(file) ? CheckpointInferenceModel.load(file, kernels) : StateDictInferenceModel.load(file, kernels);
        }
        DataFileException.requireExists(file, "model", null);
        throw new DataFileException(file, "expected an ONNX model (.onnx), a checkpoint of recur train or a PyTorch "
                + "nn.LSTM/GRU/RNN state_dict (.safetensors)");
    }

    /** Whether {@code file} (safetensors) is a checkpoint of {@code recur train}: its metadata's {@code format}. */
    static boolean isCheckpoint(Path file) throws IOException {
        return Checkpoint.FORMAT.equals(SafeTensorsFile.read(file).metadata().get("format"));
    }

    /** The inputs a call gives, in order. */
    List<OnnxModel.Port> inputs();

    /** The outputs a call returns, in order. */
    List<OnnxModel.Port> outputs();

    /**
     * Runs the model.
     *
     * @throws IllegalArgumentException (one line) for an input that is missing, unknown, or of the
     *                                  wrong type or shape
     * @throws IllegalStateException    after {@link #close()}
     */
    Map<String, OnnxTensor> run(Map<String, OnnxTensor> inputs);

    /** Calls {@link #run} on {@code example} until the JIT has compiled what it needs, or the budget ends ({@link WarmUp#run}). */
    default WarmUp warmUp(Map<String, OnnxTensor> example, Duration budget) {
        return WarmUp.run(() -> run(example), budget);
    }

    /** Frees the model's native memory; a later call fails, naming the model. Closing twice is allowed. */
    @Override
    void close();
}
