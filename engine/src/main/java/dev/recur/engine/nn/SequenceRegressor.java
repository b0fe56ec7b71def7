package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Var;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Feature sequences -> Recurrent -> many-to-one head -> {@code outputs} real values per sequence
 * (e.g. the adding problem, or the next 7 values of a series). Parameters: {@code rnn.<PyTorch
 * name>}, {@code head.weight}, {@code head.bias}.
 */
public final class SequenceRegressor implements Module {
    private final RecurrentStack body;
    private final ManyToOneHead head;
    private final List<Parameter> parameters;

    public SequenceRegressor(RecurrentConfig rnn, int outputs, ManyToOneHead.Source source, float dropout, long seed) {
        this(rnn, 0, outputs, source, dropout, seed);
    }

    /**
     * @param vocabulary 0 for feature-vector inputs [T, B, I]; else the number of token ids, embedded
     *                   into {@code rnn.inputSize()} features
     */
    public SequenceRegressor(RecurrentConfig rnn, int vocabulary, int outputs, ManyToOneHead.Source source, float dropout,
                             long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        this.body = new RecurrentStack("", rnn, vocabulary, dropout, seeds.nextLong());
        this.head = new ManyToOneHead("head.", rnn, outputs, source, seeds.nextLong());
        this.parameters = Module.concat(body.parameters(), head.parameters());
    }

    public SequenceRegressor(RecurrentConfig rnn, int outputs, long seed) {
        this(rnn, outputs, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, seed);
    }

    public Recurrent rnn() {
        return body.rnn;
    }

    /** x [T, B, I] (or batch-first), lengths [B] or null -> predictions [B, outputs]. */
    public Var forward(Graph g, Var x, int[] lengths) {
        return head.forward(g, body.run(g, x, lengths, null, null), lengths);
    }

    /** Token ids, time-major [T·B] (batch-major when batch-first) -> predictions [B, outputs]. */
    public Var forward(Graph g, int[] tokens, int steps, int batch, int[] lengths) {
        return forward(g, body.embed(g, tokens, steps, batch), lengths);
    }

    /** Mean squared error against target [B, outputs]. */
    public static Var loss(Var prediction, Var target) {
        return Losses.mse(prediction, target);
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
