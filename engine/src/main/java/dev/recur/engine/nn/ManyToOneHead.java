package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Gather;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;

import java.util.Arrays;
import java.util.List;

/**
 * Many-to-one: one feature vector per sample, into a Linear (names {@code prefix + "weight"},
 * {@code prefix + "bias"}).
 *
 * <p>{@link Source#LAST_VALID_OUTPUT} takes the output at each sample's last valid step, never a
 * padded one; bidirectional: the forward half at step lengths[b]-1 and the backward half at step 0
 * (where the reverse direction ends), as PyTorch users do with packed sequences.
 * {@link Source#FINAL_HIDDEN} takes the last layer's h_n (both directions, [fwd, bwd]).
 */
public final class ManyToOneHead implements Module {
    public enum Source { LAST_VALID_OUTPUT, FINAL_HIDDEN }

    private final RecurrentConfig rnn;
    private final Source source;
    private final Linear linear;

    public ManyToOneHead(String prefix, RecurrentConfig rnn, int outFeatures, Source source, long seed) {
        this.rnn = rnn;
        this.source = source;
        this.linear = new Linear(prefix, rnn.directions() * rnn.outputSize(), outFeatures, seed);
    }

    public Linear linear() {
        return linear;
    }

    public Source source() {
        return source;
    }

    /** The per-sample features [B, D·P] this head reads; lengths null means every sample has T steps. */
    public Var features(Recurrent.Output out, int[] lengths) {
        if (source == Source.FINAL_HIDDEN) {
            Var hN = out.hN();
            int ld = hN.dim(0), batch = hN.dim(1), p = hN.dim(2), d = rnn.directions();
            Var[] parts = new Var[d];
            for (int i = 0; i < d; i++) {
                int idx = ld - d + i;
                parts[i] = Shapes.reshape(Shapes.slice(hN, 0, idx, idx + 1), batch, p);
            }
            return d == 1 ? parts[0] : Shapes.concat(1, parts);
        }
        Var y = rnn.batchFirst() ? Shapes.swapLeadingAxes(out.output()) : out.output();
        int steps = y.dim(0), batch = y.dim(1), p = rnn.outputSize();
        int[] last = new int[batch];
        if (lengths == null) {
            Arrays.fill(last, steps - 1);
        } else {
            Recurrent.checkLengths(lengths, batch, steps);
            for (int b = 0; b < batch; b++) last[b] = lengths[b] - 1;
        }
        if (rnn.directions() == 1) return Gather.stepPerSample(y, last);
        Var fwd = Gather.stepPerSample(Shapes.slice(y, 2, 0, p), last);
        Var bwd = Gather.stepPerSample(Shapes.slice(y, 2, p, 2 * p), new int[batch]);
        return Shapes.concat(1, fwd, bwd);
    }

    /** [B, outFeatures]. */
    public Var forward(Graph g, Recurrent.Output out, int[] lengths) {
        return linear.forward(g, features(out, lengths));
    }

    @Override
    public List<Parameter> parameters() {
        return linear.parameters();
    }

    @Override
    public void close() {
        linear.close();
    }
}
