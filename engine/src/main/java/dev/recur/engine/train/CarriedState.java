package dev.recur.engine.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The recurrent state a stream carries from one chunk to the next in truncated BPTT: h [L, B, P]
 * and, for an LSTM, c [L, B, H] (PyTorch's h_n / c_n layout, one row per stream), in its own arena.
 *
 * <p>It holds values only, never a graph's {@link Var}: storing a chunk's final state copies it out
 * of the graph, which is the detach ({@code h.detach()} in PyTorch) that stops gradients at the
 * chunk boundary; the next chunk reads it as a constant ({@link #h0}, {@link #c0}).
 *
 * <p>Unidirectional stacks only: a backward direction runs from the end of the sequence, which a
 * stream does not have yet.
 *
 * <p>Checkpoints: {@link #stateDict()} names the tensors {@value #H} and {@value #C};
 * {@link #checkpointEntries(String)} wraps them so that {@link Checkpoint#save} writes them and
 * {@link Checkpoint#restore} reads them back into this object, so a resumed run continues from
 * the very state the stopped one had.
 */
public final class CarriedState implements AutoCloseable {
    /** The hidden state's name in {@link #stateDict()}. */
    public static final String H = "h";
    /** The LSTM cell state's name in {@link #stateDict()}. */
    public static final String C = "c";
    /** The prefix {@link #checkpointEntries()} uses. */
    public static final String CHECKPOINT_PREFIX = "tbptt.";

    private final RecurrentConfig config;
    private final int batch;
    private final TensorArena arena;
    private final Tensor h;
    private final Tensor c;
    private List<Parameter> checkpointEntries;
    private String checkpointPrefix;

    private CarriedState(RecurrentConfig config, int batch) {
        if (config.bidirectional()) {
            throw new IllegalArgumentException("truncated BPTT needs a unidirectional model: the backward direction of a"
                    + " bidirectional layer starts at the end of the sequence, which a stream read chunk by chunk does not have");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batch);
        }
        this.config = config;
        this.batch = batch;
        this.arena = TensorArena.open("carried state");
        this.h = arena.zeros(config.numLayers(), batch, config.outputSize());
        this.c = config.mode() == CellMode.LSTM ? arena.zeros(config.numLayers(), batch, config.hiddenSize()) : null;
    }

    /** A zero state (what PyTorch uses when h0/c0 are not given) for {@code batch} streams. */
    public static CarriedState zeros(RecurrentConfig config, int batch) {
        return new CarriedState(config, batch);
    }

    public RecurrentConfig config() {
        return config;
    }

    public int batchSize() {
        return batch;
    }

    /** h [L, B, P] (the live tensor). */
    public Tensor h() {
        return h;
    }

    /** c [L, B, H] for an LSTM (the live tensor), else null. */
    public Tensor c() {
        return c;
    }

    /** Zeros every stream's state (the start of an epoch). */
    public void reset() {
        h.fill(0f);
        if (c != null) c.fill(0f);
    }

    /** Zeros one stream's state (its text ended; the next chunk starts a new one), every layer. */
    public void reset(int row) {
        if (row < 0 || row >= batch) {
            throw new IndexOutOfBoundsException("row " + row + " of a state of " + batch + " streams");
        }
        zeroRow(h, row);
        if (c != null) zeroRow(c, row);
    }

    private void zeroRow(Tensor t, int row) {
        int layers = t.dim(0), width = t.dim(2);
        for (int l = 0; l < layers; l++) {
            t.data().asSlice(((long) l * batch + row) * width * Float.BYTES, (long) width * Float.BYTES).fill((byte) 0);
        }
    }

    /** h as a constant of {@code g} (a copy in the graph's arena): no gradient reaches the previous chunk. */
    public Var h0(Graph g) {
        return g.constant(g.arena().copyOf(h));
    }

    /** c as a constant of {@code g} (a copy), or null for a cell without one. */
    public Var c0(Graph g) {
        return c == null ? null : g.constant(g.arena().copyOf(c));
    }

    /** Keeps a chunk's final state (h_n, c_n) as the next chunk's initial state: values only, i.e. detached. */
    public void store(Var hN, Var cN) {
        requireShape(H, hN.value(), h);
        if (c != null) {
            if (cN == null) throw new IllegalArgumentException("an lstm state needs c_n");
            requireShape(C, cN.value(), c);
        }
        h.copyFrom(hN.value());
        if (c != null) c.copyFrom(cN.value());
    }

    /** The carried tensors by name ({@value #H}, and {@value #C} for an LSTM); the live tensors, not copies. */
    public SequencedMap<String, Tensor> stateDict() {
        SequencedMap<String, Tensor> out = new LinkedHashMap<>();
        out.put(H, h);
        if (c != null) out.put(C, c);
        return out;
    }

    /** Copies a {@link #stateDict()} in; checks every name and shape before it changes anything. */
    public void loadStateDict(Map<String, Tensor> state) {
        SequencedMap<String, Tensor> mine = stateDict();
        if (!state.keySet().equals(mine.keySet())) {
            throw new IllegalArgumentException("carried state has " + state.keySet() + ", expected " + mine.keySet());
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            requireShape(e.getKey(), state.get(e.getKey()), e.getValue());
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            e.getValue().copyFrom(state.get(e.getKey()));
        }
    }

    /** {@link #checkpointEntries(String)} with the prefix {@value #CHECKPOINT_PREFIX}. */
    public List<Parameter> checkpointEntries() {
        return checkpointEntries(CHECKPOINT_PREFIX);
    }

    /**
     * The carried tensors as {@link Parameter}s named {@code prefix + "h"} and {@code prefix + "c"},
     * over the live tensors: append them to the model's parameters for {@link Checkpoint#save} and
     * {@link Checkpoint#restore}, which then save and restore the state with everything else. Their
     * gradient storage is a zero placeholder (never pass them to an optimizer).
     */
    public List<Parameter> checkpointEntries(String prefix) {
        if (checkpointEntries == null || !checkpointPrefix.equals(prefix)) {
            checkpointEntries = stateDict().entrySet().stream()
                    .map(e -> new Parameter(prefix + e.getKey(), e.getValue(), arena.zeros(e.getValue().shape())))
                    .toList();
            checkpointPrefix = prefix;
        }
        return checkpointEntries;
    }

    private static void requireShape(String name, Tensor given, Tensor expected) {
        if (given == null || !Arrays.equals(given.shape(), expected.shape())) {
            throw new IllegalArgumentException("carried state '" + name + "' has shape "
                    + (given == null ? "none" : Tensor.shapeString(given.shape())) + ", expected "
                    + Tensor.shapeString(expected.shape()));
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
