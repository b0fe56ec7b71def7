package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The body shared by the models: an optional Embedding (names {@code prefix + "embedding.weight"})
 * feeding a Recurrent stack (PyTorch's names under {@code prefix + "rnn."}).
 */
final class RecurrentStack implements Module {
    final Embedding embedding;
    final Recurrent rnn;
    final float dropout;
    private final List<Parameter> parameters;
    private final SplittableRandom dropoutRng;
    private RecurrentExecution execution = RecurrentExecution.FUSED;

    RecurrentStack(String prefix, RecurrentConfig config, int vocabulary, float dropout, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        this.embedding = vocabulary > 0 ? new Embedding(prefix + "embedding.", vocabulary, config.inputSize(), seeds.nextLong()) : null;
        this.rnn = Recurrent.create(config, seeds.nextLong());
        this.dropout = dropout;
        this.dropoutRng = new SplittableRandom(seeds.nextLong());
        this.parameters = Module.concat(embedding == null ? List.of() : embedding.parameters(),
                Module.prefixed(prefix + "rnn.", rnn.parameters()));
    }

    /** Token ids, time-major [T·B] (or batch-major when the config is batch-first), into the input Var. */
    Var embed(Graph g, int[] tokens, int steps, int batch) {
        if (embedding == null) throw new IllegalStateException("this model reads feature vectors, not token ids");
        return rnn.config().batchFirst() ? embedding.forward(g, tokens, batch, steps) : embedding.forward(g, tokens, steps, batch);
    }

    Recurrent.Output run(Graph g, Var input, int[] lengths, Var h0, Var c0) {
        return rnn.forward(g, input, lengths, h0, c0, execution, dropout, dropoutRng);
    }

    @Override
    public void setRecurrentExecution(RecurrentExecution execution) {
        this.execution = Objects.requireNonNull(execution, "execution");
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public void close() {
        if (embedding != null) embedding.close();
        rnn.close();
    }
}
