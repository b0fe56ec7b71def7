package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.TokenBatch;
import dev.recur.engine.data.TokenCorpus;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;

import java.util.List;

/**
 * What the language-model tasks (chars, words) share: a {@link SequenceTagger} predicting the next
 * token of a {@link TokenCorpus}. Each training batch is B windows of T tokens at random positions
 * of the training part, the state starting at zero in every window (no state carried between
 * batches); the loss is the mean cross-entropy of the next token. Validation reads the validation
 * part once, as consecutive windows of T tokens (at most {@value #MAX_VALIDATION_WINDOWS}), each
 * also from a zero state; the corpus has no test part, so {@link Split#TEST} reads it too.
 */
abstract class LanguageModelTask extends AbstractTrainingTask<SequenceTagger, TokenBatch> {
    /** Validation reads at most this many windows of T tokens (the whole part for texts up to ~2 MB at T=100). */
    static final int MAX_VALIDATION_WINDOWS = 2048;

    private final TokenCorpus tokens;
    final RecurrentConfig rnn;
    final int steps, batchSize;
    private final Rng data;
    private final List<TokenBatch> validation;

    LanguageModelTask(TokenCorpus tokens, int vocabulary, RecurrentConfig rnn, int steps, int batchSize, float dropout,
                      long seed, Rng data) {
        super(new SequenceTagger(rnn, vocabulary, vocabulary, dropout, seed), DataState.of(data));
        this.tokens = tokens;
        this.rnn = rnn;
        this.steps = steps;
        this.batchSize = batchSize;
        this.data = data;
        List<TokenBatch> all = tokens.validationBatches(steps, batchSize);
        int keep = (MAX_VALIDATION_WINDOWS + batchSize - 1) / batchSize;
        this.validation = all.size() > keep ? List.copyOf(all.subList(0, keep)) : all;
    }

    @Override
    public final boolean higherIsBetter() {
        return false;
    }

    @Override
    public final StepLoss trainingLoss(Graph g) {
        return new StepLoss(crossEntropy(g, tokens.trainBatch(data, steps, batchSize)), batchSize);
    }

    @Override
    final List<TokenBatch> evaluationBatches(Split split) {
        return validation;
    }

    /** Loss and metric both sum the cross-entropy in nats per token; {@link #metric} turns the mean into the task's unit. */
    @Override
    final void score(Graph g, TokenBatch batch, Totals totals) {
        long n = (long) batch.steps() * batch.batchSize();
        double sum = (double) crossEntropy(g, batch).value().get(0) * n;
        totals.add(sum, sum, n);
    }

    /** One "epoch" = as many random windows as cover the training part once (in expectation). */
    @Override
    public final long stepsPerEpoch() {
        return Math.max(1, tokens.trainLength() / ((long) steps * batchSize));
    }

    /** The mean cross-entropy (nats) of the next token over the batch's T·B positions. */
    private Var crossEntropy(Graph g, TokenBatch batch) {
        Var logits = model().forward(g, batch.inputs(), batch.steps(), batch.batchSize(), null);
        return SequenceTagger.loss(logits, batch.targets(), null);
    }
}
