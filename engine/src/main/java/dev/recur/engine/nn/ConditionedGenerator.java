package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * One-to-many: a vector initialises the state of a token generator. The vector is a class id
 * (through an Embedding, {@link Condition#CLASS}) or a feature vector (through a Linear,
 * {@link Condition#FEATURES}); it gives h0 [L, B, P] ({@code init_h.*}) and, for LSTM, c0
 * [L, B, H] ({@code init_c.*}). The generator is Embedding -> Recurrent -> time-distributed Linear
 * ({@code embedding.weight}, {@code rnn.*}, {@code head.weight}, {@code head.bias}), trained with
 * teacher forcing and sampled greedily.
 */
public final class ConditionedGenerator implements Module {
    public enum Condition { CLASS, FEATURES }

    /** The generator's initial state: h0 [L, B, P] and c0 [L, B, H] (null unless LSTM). */
    public record State(Var h0, Var c0) {
    }

    private final RecurrentConfig config;
    private final Condition condition;
    private final Module initH, initC;
    private final RecurrentStack body;
    private final TimeDistributedHead head;
    private final List<Parameter> parameters;

    /** @param conditionSize the number of classes (CLASS) or of features (FEATURES) */
    public ConditionedGenerator(RecurrentConfig rnn, Condition condition, int conditionSize, int vocabulary,
                                float dropout, long seed) {
        if (rnn.bidirectional() || rnn.batchFirst()) {
            throw new IllegalArgumentException("a generator needs a unidirectional, time-major stack: " + rnn);
        }
        this.config = rnn;
        this.condition = condition;
        SplittableRandom seeds = new SplittableRandom(seed);
        this.initH = stateModule("init_h.", conditionSize, rnn.numLayers() * rnn.outputSize(), seeds.nextLong());
        this.initC = rnn.mode() == CellMode.LSTM
                ? stateModule("init_c.", conditionSize, rnn.numLayers() * rnn.hiddenSize(), seeds.nextLong()) : null;
        this.body = new RecurrentStack("", rnn, vocabulary, dropout, seeds.nextLong());
        this.head = new TimeDistributedHead("head.", rnn.outputSize(), vocabulary, seeds.nextLong());
        this.parameters = Module.concat(initH.parameters(), initC == null ? List.of() : initC.parameters(),
                body.parameters(), head.parameters());
    }

    private Module stateModule(String prefix, int conditionSize, int width, long seed) {
        return condition == Condition.CLASS ? new Embedding(prefix, conditionSize, width, seed)
                : new Linear(prefix, conditionSize, width, seed);
    }

    /** The initial state for class ids [B] (CLASS). */
    public State initialState(Graph g, int[] classIds) {
        if (condition != Condition.CLASS) throw new IllegalStateException("this generator is conditioned on features");
        int batch = classIds.length;
        Var h = ((Embedding) initH).forward(g, classIds);
        Var c = initC == null ? null : ((Embedding) initC).forward(g, classIds);
        return new State(toState(h, batch, config.outputSize()), c == null ? null : toState(c, batch, config.hiddenSize()));
    }

    /** The initial state for feature vectors [B, F] (FEATURES). */
    public State initialState(Graph g, Var features) {
        if (condition != Condition.FEATURES) throw new IllegalStateException("this generator is conditioned on class ids");
        int batch = features.dim(0);
        Var h = ((Linear) initH).forward(g, features);
        Var c = initC == null ? null : ((Linear) initC).forward(g, features);
        return new State(toState(h, batch, config.outputSize()), c == null ? null : toState(c, batch, config.hiddenSize()));
    }

    /** [B, L·W] -> [L, B, W] (layer-major, as h0 is). */
    private Var toState(Var v, int batch, int width) {
        return Shapes.swapLeadingAxes(Shapes.reshape(v, batch, config.numLayers(), width));
    }

    /** Teacher forcing: logits [T, B, V] for input tokens (time-major [T·B]) from the given state. */
    public Var forward(Graph g, State state, int[] tokens, int steps, int[] lengths) {
        int batch = state.h0().dim(1);
        Var y = body.run(g, body.embed(g, tokens, steps, batch), lengths, state.h0(), state.c0()).output();
        return head.forward(g, y);
    }

    /** Cross-entropy over valid steps only; targets time-major [T·B]. */
    public static Var loss(Var logits, int[] targets, int[] lengths) {
        return TimeDistributedHead.loss(logits, targets, lengths);
    }

    /** Greedy generation from class ids: tokens after {@code bos}, up to {@code eos} (excluded; -1: none) or maxSteps. */
    public int[][] generate(Kernels kernels, int[] classIds, int bos, int eos, int maxSteps) {
        try (Graph g = Graph.inference(kernels)) {
            State s = initialState(g, classIds);
            return GreedyDecoder.decode(g, body, head.linear(), s.h0(), s.c0(), classIds.length, bos, eos, maxSteps);
        }
    }

    /** Greedy generation from feature vectors [B, F]. */
    public int[][] generate(Kernels kernels, Tensor features, int bos, int eos, int maxSteps) {
        try (Graph g = Graph.inference(kernels)) {
            State s = initialState(g, g.constant(features));
            return GreedyDecoder.decode(g, body, head.linear(), s.h0(), s.c0(), features.dim(0), bos, eos, maxSteps);
        }
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
        initH.close();
        if (initC != null) initC.close();
        body.close();
        head.close();
    }
}
