package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.ArrayList;
import java.util.List;

/**
 * A define-by-run tape. Each op computes its forward result at once and, when any input needs a
 * gradient and the graph records, appends its backward closure. Ops are appended in the order
 * they run, which is a topological order, so {@link #backward} walks the tape in reverse.
 *
 * <p>All intermediate tensors (values, gradients, workspaces) live in the graph's arena and are
 * freed as one piece by {@link #close()}; a second close throws.
 *
 * <p>The graph knows no device: an op that keeps resources outside the arena for its backward
 * (device memory, say) hands them to {@link #releaseOnClose}, which closes them with the graph at
 * the latest.
 */
public final class Graph implements AutoCloseable {
    /** The backward half of one op: reads its outputs' gradients, accumulates its inputs'. */
    @FunctionalInterface
    public interface Backward {
        void run();
    }

    private record Node(String op, Backward backward) {
    }

    private final Kernels kernels;
    private final TensorArena arena;
    private final boolean recording;
    private final List<Node> tape = new ArrayList<>();
    private final List<AutoCloseable> onClose = new ArrayList<>();
    private boolean backwardDone;

    private Graph(Kernels kernels, boolean recording, String name) {
        this(kernels, recording, TensorArena.open(name));
    }

    private Graph(Kernels kernels, boolean recording, TensorArena arena) {
        this.kernels = kernels;
        this.recording = recording;
        this.arena = arena;
    }

    /** A graph that records backward closures (training, gradient checks). */
    public static Graph training(Kernels kernels) {
        return new Graph(kernels, true, "training graph");
    }

    /** A graph that records nothing: forward results only, no gradient storage. */
    public static Graph inference(Kernels kernels) {
        return new Graph(kernels, false, "inference graph");
    }

    /**
     * An inference graph whose memory is freed at close without the liveness check
     * ({@link TensorArena#openUnchecked}): for a call that copies its results out before closing
     * it (a service's call, a benchmark's), where the check's handshake would cost as much as a
     * small model's batch-1 forward. Touching one of its tensors after close is a use after free.
     */
    public static Graph inferenceUnchecked(Kernels kernels) {
        return new Graph(kernels, false, TensorArena.openUnchecked("inference graph (unchecked)"));
    }

    public Kernels kernels() {
        return kernels;
    }

    /** Closed when this graph closes, before its arena (e.g. device memory an op keeps for its backward). */
    public void releaseOnClose(AutoCloseable resource) {
        onClose.add(resource);
    }

    public TensorArena arena() {
        return arena;
    }

    public boolean recording() {
        return recording;
    }

    /** A value that never needs a gradient (data, masks). */
    public Var constant(Tensor value) {
        return new Var(this, value, false, null);
    }

    /** A leaf whose gradient is allocated in this graph when first needed (inputs under test). */
    public Var variable(Tensor value) {
        return new Var(this, value, recording, null);
    }

    /**
     * A leaf whose gradient accumulates into {@code gradStorage} (a model parameter's gradient,
     * owned by the model, same shape as the value).
     */
    public Var parameter(Tensor value, Tensor gradStorage) {
        if (gradStorage != null && gradStorage.size() != value.size()) {
            throw new IllegalArgumentException("gradient storage " + gradStorage + " for parameter " + value);
        }
        return new Var(this, value, recording && gradStorage != null, gradStorage);
    }

    /** True when an op over these inputs must record a backward closure. */
    public boolean needsGrad(Var... inputs) {
        if (!recording) {
            return false;
        }
        for (Var v : inputs) {
            if (v != null && v.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** The result of an op: requires a gradient when any input does. */
    public Var result(Tensor value, Var... inputs) {
        return new Var(this, value, needsGrad(inputs), null);
    }

    /** Appends an op's backward closure to the tape. */
    public void record(String op, Backward backward) {
        if (!recording) {
            throw new IllegalStateException("op '" + op + "' recorded on an inference graph");
        }
        tape.add(new Node(op, backward));
    }

    /** Backward from a scalar (size-1) value: its gradient is seeded with 1. */
    public void backward(Var loss) {
        if (loss.value().size() != 1) {
            throw new IllegalArgumentException("backward(loss) needs a scalar, got " + loss);
        }
        backward(new Var[]{loss}, new Tensor[]{arena.of(new float[]{1f}, loss.shape())});
    }

    /** Backward seeded with {@code seeds[i]} as the gradient of {@code outputs[i]}. */
    public void backward(Var[] outputs, Tensor[] seeds) {
        if (!recording) {
            throw new IllegalStateException("backward on an inference graph");
        }
        if (backwardDone) {
            throw new IllegalStateException("backward already ran on this graph");
        }
        for (int i = 0; i < outputs.length; i++) {
            if (seeds[i] == null || !outputs[i].requiresGrad()) {
                continue;
            }
            Tensor g = outputs[i].grad();
            kernels.axpy((int) g.size(), 1f, seeds[i].data(), 0, g.data(), 0);
        }
        for (int i = tape.size() - 1; i >= 0; i--) {
            tape.get(i).backward().run();
        }
        backwardDone = true;
    }

    /** Number of recorded ops (tests, diagnostics). */
    public int tapeSize() {
        return tape.size();
    }

    /** The recorded ops' names, in the order they ran (tests, diagnostics). */
    public List<String> tapeOps() {
        return tape.stream().map(Node::op).toList();
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = onClose.size() - 1; i >= 0; i--) {
            try {
                onClose.get(i).close();
            } catch (Exception e) {
                if (failure == null) failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        onClose.clear();
        arena.close();
        if (failure != null) throw failure;
    }
}
