package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Var;

import java.util.List;
import java.util.SplittableRandom;

/**
 * [Embedding or raw features] -> Recurrent -> many-to-one head: one label per sequence.
 * Parameters: {@code embedding.weight} (with a vocabulary), {@code rnn.<PyTorch name>},
 * {@code head.weight}, {@code head.bias}.
 */
public final class SequenceClassifier implements Module {
    private final RecurrentStack body;
    private final ManyToOneHead head;
    private final List<Parameter> parameters;

    /**
     * @param vocabulary 0 for feature-vector inputs [T, B, I]; else the number of token ids, embedded
     *                   into {@code rnn.inputSize()} features
     * @param dropout    between stacked recurrent layers, training graphs only (PyTorch's {@code dropout})
     */
    public SequenceClassifier(RecurrentConfig rnn, int vocabulary, int classes, ManyToOneHead.Source source,
                              float dropout, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        this.body = new RecurrentStack("", rnn, vocabulary, dropout, seeds.nextLong());
        this.head = new ManyToOneHead("head.", rnn, classes, source, seeds.nextLong());
        this.parameters = Module.concat(body.parameters(), head.parameters());
    }

    public SequenceClassifier(RecurrentConfig rnn, int classes, long seed) {
        this(rnn, 0, classes, ManyToOneHead.Source.LAST_VALID_OUTPUT, 0f, seed);
    }

    public Recurrent rnn() {
        return body.rnn;
    }

    public ManyToOneHead head() {
        return head;
    }

    /** Feature inputs x [T, B, I] (or batch-first) and lengths [B] (or null) -> logits [B, classes]. */
    public Var forward(Graph g, Var x, int[] lengths) {
        return head.forward(g, body.run(g, x, lengths, null, null), lengths);
    }

    /** Token ids, time-major [T·B] (batch-major when batch-first) -> logits [B, classes]. */
    public Var forward(Graph g, int[] tokens, int steps, int batch, int[] lengths) {
        return forward(g, body.embed(g, tokens, steps, batch), lengths);
    }

    /** Mean softmax cross-entropy over the batch. */
    public static Var loss(Var logits, int[] targets) {
        return Losses.softmaxCrossEntropy(logits, targets, (float[]) null);
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
