package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.CellMode;

import java.util.Locale;

/**
 * One benchmark problem: a recurrent stack (cell, input and hidden size, layers, directions) run
 * on a batch of B sequences of T steps, for inference or for a training step.
 */
public record BenchShape(CellMode cell, int batch, int steps, int input, int hidden, int layers,
                         boolean bidirectional, Mode mode) {
    /** What one timed run does. */
    public enum Mode {
        /** forward only, nothing recorded */
        INFERENCE("inference"),
        /** forward, loss = sum of the output, backward to every parameter */
        TRAINING("training");

        private final String id;

        Mode(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Mode parse(String id) {
            for (Mode m : values()) {
                if (m.id.equals(id)) return m;
            }
            throw new IllegalArgumentException("unknown mode '" + id + "': expected inference or training");
        }

        @Override
        public String toString() {
            return id;
        }
    }

    public BenchShape {
        if (batch < 1 || steps < 1 || input < 1 || hidden < 1 || layers < 1) {
            throw new IllegalArgumentException("batch, seq, input, hidden and layers must be >= 1, got B=" + batch
                    + " T=" + steps + " I=" + input + " H=" + hidden + " L=" + layers);
        }
    }

    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** Floating-point operations of one run of this shape; see {@link #flops(CellMode, int, int, int, int, int, boolean, boolean)}. */
    public long flops() {
        return flops(cell, batch, steps, input, hidden, layers, bidirectional, mode == Mode.TRAINING);
    }

    /**
     * The matrix-multiply FLOPs of a recurrent stack, as DeepBench and cuDNN count them:
     * {@code 2·G·H·(I_l + H)·B·T} per layer and direction, where G is the gate count (4 LSTM,
     * 3 GRU, 1 RNN) and I_l the layer's input width (input size for layer 0, D·H after); a
     * training step (forward and backward) counts three times the forward. Pointwise work is not
     * counted.
     */
    public static long flops(CellMode cell, int batch, int steps, int input, int hidden, int layers,
                             boolean bidirectional, boolean training) {
        int directions = bidirectional ? 2 : 1;
        long total = 0;
        for (int layer = 0; layer < layers; layer++) {
            long layerInput = layer == 0 ? input : (long) directions * hidden;
            long perDirection = 2L * cell.gates() * hidden * (layerInput + hidden) * batch * steps;
            total = Math.addExact(total, Math.multiplyExact(perDirection, directions));
        }
        return training ? Math.multiplyExact(total, 3) : total;
    }

    /** e.g. {@code lstm inference B=64 T=50 I=256 H=512 L=1 uni}. */
    public String label() {
        return String.format(Locale.ROOT, "%s %s B=%d T=%d I=%d H=%d L=%d %s", cell, mode, batch, steps, input,
                hidden, layers, bidirectional ? "bi" : "uni");
    }

    /** A short label for chart axes, e.g. {@code lstm inf B64 T50 I256 H512}. */
    public String shortLabel() {
        return String.format(Locale.ROOT, "%s %s B%d T%d I%d H%d%s%s", cell, mode == Mode.TRAINING ? "train" : "inf",
                batch, steps, input, hidden, layers > 1 ? " L" + layers : "", bidirectional ? " bi" : "");
    }

    @Override
    public String toString() {
        return label();
    }
}
