package dev.recur.engine.backend;

import java.util.Arrays;

/** The recurrent cell of a layer, with PyTorch's gate counts and gate order. */
public enum CellMode {
    /** h' = tanh(W_ih x + b_ih + W_hh h + b_hh) */
    RNN_TANH("rnn_tanh", 1),
    /** h' = relu(W_ih x + b_ih + W_hh h + b_hh) */
    RNN_RELU("rnn_relu", 1),
    /** gates r, z, n; linear-before-reset as in cuDNN and PyTorch */
    GRU("gru", 3),
    /** gates i, f, g, o */
    LSTM("lstm", 4);

    private final String id;
    private final int gates;

    CellMode(String id, int gates) {
        this.id = id;
        this.gates = gates;
    }

    /** The name used on the command line and in safetensors metadata. */
    public String id() {
        return id;
    }

    public int gates() {
        return gates;
    }

    public static CellMode parse(String id) {
        for (CellMode m : values()) {
            if (m.id.equals(id)) return m;
        }
        throw new IllegalArgumentException("unknown mode '" + id + "': expected one of "
                + Arrays.stream(values()).map(CellMode::id).toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
