package dev.recur.engine.nn;

import dev.recur.engine.backend.CellMode;

/**
 * The architecture of a recurrent stack, as PyTorch's nn.RNN / nn.GRU / nn.LSTM constructor
 * arguments. {@code projSize} is 0 for none (LSTM only). Start from {@link #of} (PyTorch's
 * defaults: one layer, one direction, biases, time-major, no projection) and name what differs:
 * {@code RecurrentConfig.of(CellMode.LSTM, 8, 16).withLayers(2).withBidirectional(true)}.
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

    /** PyTorch's defaults for everything but the cell and the sizes. */
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

    /** The number of weights and biases, as {@code sum(p.numel() for p in rnn.parameters())} counts them. */
    public long parameterCount() {
        long gates = (long) mode.gates() * hiddenSize, total = 0;
        for (int layer = 0; layer < numLayers; layer++) {
            long in = layer == 0 ? inputSize : (long) outputSize() * directions();
            long perDirection = gates * (in + outputSize()) + (bias ? 2 * gates : 0)
                    + (projSize > 0 ? (long) projSize * hiddenSize : 0);
            total += perDirection * directions();
        }
        return total;
    }

    /** PyTorch's {@code num_layers}. */
    public RecurrentConfig withLayers(int layers) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, layers, bidirectional, bias, batchFirst, projSize);
    }

    /** PyTorch's {@code bidirectional}. */
    public RecurrentConfig withBidirectional(boolean bidirectional) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, projSize);
    }

    /** PyTorch's {@code bias}: false leaves out bias_ih and bias_hh. */
    public RecurrentConfig withBias(boolean bias) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, projSize);
    }

    /** PyTorch's {@code batch_first}: input and output [B, T, ·] instead of [T, B, ·]. */
    public RecurrentConfig withBatchFirst(boolean batchFirst) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, projSize);
    }

    /** PyTorch's {@code proj_size} (LSTM only; 0 for none). */
    public RecurrentConfig withProjSize(int projSize) {
        return new RecurrentConfig(mode, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, projSize);
    }
}
