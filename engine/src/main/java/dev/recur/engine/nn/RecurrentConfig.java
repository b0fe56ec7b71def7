package dev.recur.engine.nn;

import dev.recur.engine.backend.CellMode;

/**
 * The architecture of a recurrent stack, as PyTorch's nn.RNN / nn.GRU / nn.LSTM constructor
 * arguments. {@code projSize} is 0 for none (LSTM only).
 */
public record RecurrentConfig(CellMode mode, int inputSize, int hiddenSize, int numLayers,
                              boolean bidirectional, boolean bias, boolean batchFirst, int projSize) {
    public RecurrentConfig {
        if (inputSize < 1) throw new IllegalArgumentException("input_size must be >= 1, got " + inputSize);
        if (hiddenSize < 1) throw new IllegalArgumentException("hidden_size must be >= 1, got " + hiddenSize);
        if (numLayers < 1) throw new IllegalArgumentException("num_layers must be >= 1, got " + numLayers);
        if (projSize < 0) throw new IllegalArgumentException("proj_size must be >= 0, got " + projSize);
        if (projSize > 0 && mode != CellMode.LSTM) {
            throw new IllegalArgumentException("proj_size is only supported by lstm, not " + mode);
        }
        if (projSize >= hiddenSize && projSize > 0) {
            throw new IllegalArgumentException("proj_size (" + projSize + ") must be smaller than hidden_size (" + hiddenSize + ")");
        }
    }

    public static RecurrentConfig of(CellMode mode, int inputSize, int hiddenSize) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, 1, false, true, false, 0);
    }

    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** Width of h: proj_size when projecting, else hidden_size. */
    public int outputSize() {
        return projSize > 0 ? projSize : hiddenSize;
    }

    public RecurrentConfig withLayers(int layers) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, layers, bidirectional, bias, batchFirst, projSize);
    }
}
