package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;

import java.util.List;
import java.util.SplittableRandom;

/**
 * [Embedding or raw features] -> Recurrent -> time-distributed Linear: one label per step (a
 * tagger; with next-token targets, a language model). Parameters: {@code embedding.weight},
 * {@code rnn.<PyTorch name>}, {@code head.weight}, {@code head.bias}.
 */
public final class SequenceTagger implements Module {
    private final RecurrentStack body;
    private final TimeDistributedHead head;
    private final List<Parameter> parameters;

    public SequenceTagger(RecurrentConfig rnn, int vocabulary, int classes, float dropout, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        this.body = new RecurrentStack("", rnn, vocabulary, dropout, seeds.nextLong());
        this.head = new TimeDistributedHead("head.", rnn.directions() * rnn.outputSize(), classes, seeds.nextLong());
        this.parameters = Module.concat(body.parameters(), head.parameters());
    }

    public Recurrent rnn() {
        return body.rnn;
    }

    /** The recurrent output, time-major [T, B, D·P], for forward() and generation. */
    public Recurrent.Output encode(Graph g, Var x, int[] lengths, Var h0, Var c0) {
        return body.run(g, x, lengths, h0, c0);
    }

    /** x [T, B, I] (or batch-first) -> logits [T, B, classes] (time-major always; at padded steps the head sees zeros, as after pad_packed_sequence, and the loss ignores them). */
    public Var forward(Graph g, Var x, int[] lengths) {
        Var y = encode(g, x, lengths, null, null).output();
        return head.forward(g, body.rnn.config().batchFirst() ? Shapes.swapLeadingAxes(y) : y);
    }

    /** Token ids, time-major [T·B] (batch-major when batch-first) -> logits [T, B, classes]. */
    public Var forward(Graph g, int[] tokens, int steps, int batch, int[] lengths) {
        return forward(g, body.embed(g, tokens, steps, batch), lengths);
    }

    /** Logits [T, B, classes] (time-major) and the final recurrent state: a stateful run, for streaming and generation. */
    public record StatefulOutput(Var logits, Var hN, Var cN) {
    }

    /**
     * Token ids, time-major [T·B] (batch-major when batch-first), from the state (h0 [L·D,B,P],
     * c0 [L·D,B,H] for LSTM; null: zeros) -> logits [T, B, classes] and h_n, c_n: what truncated
     * BPTT and generation carry from one chunk to the next.
     */
    public StatefulOutput forward(Graph g, int[] tokens, int steps, int batch, Var h0, Var c0) {
        Recurrent.Output out = encode(g, body.embed(g, tokens, steps, batch), null, h0, c0);
        Var y = out.output();
        Var logits = head.forward(g, body.rnn.config().batchFirst() ? Shapes.swapLeadingAxes(y) : y);
        return new StatefulOutput(logits, out.hN(), out.cN());
    }

    /** Cross-entropy over valid steps only, averaged over them; targets time-major [T·B]. */
    public static Var loss(Var logits, int[] targets, int[] lengths) {
        return TimeDistributedHead.loss(logits, targets, lengths);
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public void setRecurrentExecution(RecurrentExecution execution) {
        body.setRecurrentExecution(execution);
    }

    @Override
    public void close() {
        body.close();
        head.close();
    }
}
