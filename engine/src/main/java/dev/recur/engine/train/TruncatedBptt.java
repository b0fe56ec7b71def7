package dev.recur.engine.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.data.TokenBatch;
import dev.recur.engine.nn.SequenceTagger;

import java.util.Arrays;

/**
 * Truncated backpropagation through time, TBPTT(k1, k2), for a language model read as a stream
 * ({@link TokenStream}): the sequence is consumed in chunks of k1 steps; every chunk starts from
 * the state the previous one ended in ({@link CarriedState}), as a constant, so no gradient
 * crosses a chunk boundary; inside a chunk, backpropagation runs through its last k2 steps only
 * (1 <= k2 <= k1).
 *
 * <p>Semantics, exactly. For a chunk of T steps (T = k1, or fewer at the end of a stream) from
 * state s: let f = max(0, T - k2).
 * <ol>
 *   <li>Steps [0, f) run forward only, from s, to the state s_f (a constant from then on). They
 *       run on a training graph so that dropout applies to them as to the rest (PyTorch: a
 *       forward under {@code torch.no_grad()} in train mode, or a {@code .detach()} of its final
 *       state), but nothing backpropagates through them.</li>
 *   <li>Steps [f, T) run from s_f on a training graph; the loss is the softmax cross-entropy of
 *       their predictions, averaged over those (T - f)·B predictions, and {@code backward} sends
 *       its gradient into the model's parameters (accumulated: the caller zeroes, clips and
 *       steps the optimizer).</li>
 *   <li>The final state of step T - 1 is stored into the carried state (detached).</li>
 * </ol>
 * So the errors differentiated in an update are those of the last k2 steps of the chunk, each
 * propagated back to the start of that window: the first k1 - k2 steps' errors lie in no
 * backward window and never train the model (their cross-entropy is still reported, in
 * {@link Result#crossEntropySum()}, for bits per character over the whole stream). This is
 * TBPTT(k1, k2) of Sutskever (Training Recurrent Neural Networks, PhD thesis, University of
 * Toronto, 2013: "every k1 timesteps, it runs BPTT for k2 timesteps"), restricted to k2 <= k1,
 * where each window's errors are new; with k2 = k1 it is Williams and Peng's BPTT(h; h') with
 * h = h' (An efficient gradient-based algorithm for on-line training of recurrent network
 * trajectories, Neural Computation 2(4), 1990) and what PyTorch's word_language_model does
 * (chunks of {@code --bptt} steps, {@code repackage_hidden} between them). With k1 = k2 = the
 * whole sequence it is full BPTT.
 */
public final class TruncatedBptt {
    private final int forwardSteps;
    private final int backwardSteps;

    /**
     * What one chunk gave.
     *
     * @param loss                the differentiated loss: mean cross-entropy (nats) over the last
     *                            {@code differentiatedSteps} steps of every stream
     * @param differentiatedSteps steps backpropagated through (min(T, k2); 0 for {@link #evaluate})
     * @param crossEntropySum     cross-entropy summed over every prediction of the chunk (all T steps)
     * @param predictions         T·B
     */
    public record Result(double loss, int differentiatedSteps, double crossEntropySum, long predictions) {
        /** Mean cross-entropy over the whole chunk, in bits (bits per character for a char model). */
        public double bitsPerToken() {
            return crossEntropySum / predictions / Math.log(2);
        }
    }

    /**
     * @param forwardSteps  k1, the chunk length: steps between two updates
     * @param backwardSteps k2, the steps backpropagated through, 1..k1
     */
    public TruncatedBptt(int forwardSteps, int backwardSteps) {
        if (forwardSteps < 1) throw new IllegalArgumentException("forward length k1 must be >= 1, got " + forwardSteps);
        if (backwardSteps < 1 || backwardSteps > forwardSteps) {
            throw new IllegalArgumentException("backward length k2 must be in 1..k1 = " + forwardSteps + ", got " + backwardSteps);
        }
        this.forwardSteps = forwardSteps;
        this.backwardSteps = backwardSteps;
    }

    /** Plain truncated BPTT: chunks of k steps, backpropagated through whole. */
    public static TruncatedBptt of(int steps) {
        return new TruncatedBptt(steps, steps);
    }

    /** k1. */
    public int forwardSteps() {
        return forwardSteps;
    }

    /** k2. */
    public int backwardSteps() {
        return backwardSteps;
    }

    /**
     * One chunk ({@link TokenStream#next(int)} with k1): forward from {@code state}, backward through
     * the last min(T, k2) steps, the final state stored into {@code state}. Gradients accumulate into
     * the model's parameters; the optimizer step is the caller's.
     */
    public Result step(SequenceTagger model, CarriedState state, TokenBatch chunk, Kernels kernels) {
        int steps = checkChunk(state, chunk);
        int batch = chunk.batchSize();
        if (steps > forwardSteps) {
            throw new IllegalArgumentException("chunk of " + steps + " steps is longer than k1 = " + forwardSteps);
        }
        int frozen = Math.max(0, steps - backwardSteps);
        double sum = 0;
        if (frozen > 0) {
            try (Graph g = Graph.training(kernels)) {
                SequenceTagger.StatefulOutput out = run(model, g, state, chunk, 0, frozen);
                sum += frozen * batch * (double) lossOf(out, chunk, 0, frozen).value().get(0);
                state.store(out.hN(), out.cN());
            }
        }
        int window = steps - frozen;
        double loss;
        try (Graph g = Graph.training(kernels)) {
            SequenceTagger.StatefulOutput out = run(model, g, state, chunk, frozen, steps);
            Var l = lossOf(out, chunk, frozen, steps);
            g.backward(l);
            loss = l.value().get(0);
            state.store(out.hN(), out.cN());
        }
        sum += window * batch * loss;
        return new Result(loss, window, sum, (long) steps * batch);
    }

    /**
     * A chunk forward only (an inference graph: no dropout), from {@code state}, its final state
     * stored into {@code state}: validation over a stream. {@link Result#loss()} is the mean over
     * the whole chunk.
     */
    public static Result evaluate(SequenceTagger model, CarriedState state, TokenBatch chunk, Kernels kernels) {
        int steps = checkChunk(state, chunk);
        try (Graph g = Graph.inference(kernels)) {
            SequenceTagger.StatefulOutput out = run(model, g, state, chunk, 0, steps);
            double loss = lossOf(out, chunk, 0, steps).value().get(0);
            state.store(out.hN(), out.cN());
            long n = (long) steps * chunk.batchSize();
            return new Result(loss, 0, loss * n, n);
        }
    }

    /**
     * Mean cross-entropy in bits per token over a whole pass of {@code stream} (from its start, from
     * a zero state, carrying the state across chunks of {@code chunkSteps}; inference, no dropout):
     * each stream row is read as one long sequence, so the result does not depend on the chunk
     * length. The stream is left rewound.
     */
    public static double bitsPerToken(SequenceTagger model, TokenStream stream, int chunkSteps, Kernels kernels) {
        stream.rewind();
        double sum = 0;
        long n = 0;
        try (CarriedState state = CarriedState.zeros(model.rnn().config(), stream.batchSize())) {
            while (stream.hasNext()) {
                Result r = evaluate(model, state, stream.next(chunkSteps), kernels);
                sum += r.crossEntropySum();
                n += r.predictions();
            }
        } finally {
            stream.rewind();
        }
        return sum / n / Math.log(2);
    }

    private static int checkChunk(CarriedState state, TokenBatch chunk) {
        if (chunk.batchSize() != state.batchSize()) {
            throw new IllegalArgumentException("chunk of " + chunk.batchSize() + " streams for a carried state of "
                    + state.batchSize());
        }
        if (chunk.steps() < 1) throw new IllegalArgumentException("empty chunk");
        return chunk.steps();
    }

    /** Steps [from, to) of the chunk from the carried state. */
    private static SequenceTagger.StatefulOutput run(SequenceTagger model, Graph g, CarriedState state, TokenBatch chunk,
                                                     int from, int to) {
        if (!model.rnn().config().equals(state.config())) {
            throw new IllegalArgumentException("carried state of " + state.config() + " for a model of " + model.rnn().config());
        }
        int batch = chunk.batchSize(), steps = to - from;
        int[] tokens = Arrays.copyOfRange(chunk.inputs(), from * batch, to * batch);
        if (model.rnn().config().batchFirst()) tokens = batchMajor(tokens, steps, batch);
        return model.forward(g, tokens, steps, batch, state.h0(g), state.c0(g));
    }

    private static Var lossOf(SequenceTagger.StatefulOutput out, TokenBatch chunk, int from, int to) {
        int batch = chunk.batchSize();
        return SequenceTagger.loss(out.logits(), Arrays.copyOfRange(chunk.targets(), from * batch, to * batch), null);
    }

    private static int[] batchMajor(int[] timeMajor, int steps, int batch) {
        int[] out = new int[timeMajor.length];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) out[b * steps + t] = timeMajor[t * batch + b];
        }
        return out;
    }
}
