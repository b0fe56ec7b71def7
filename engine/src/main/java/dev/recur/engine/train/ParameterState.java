package dev.recur.engine.train;

import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * One parameter's optimizer state: named float32 tensors in the optimizer's arena, in torch's
 * order. Like torch's {@code optimizer.state[p]} it is empty until the first step; the tensors,
 * once allocated, are kept and zeroed again when the state is reset, so that loading state
 * repeatedly allocates nothing new.
 */
final class ParameterState {
    private final SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
    private boolean initialised;

    boolean initialised() {
        return initialised;
    }

    /** The tensors of every key, zero-filled: the state before a parameter's first step. */
    void initialiseZeros(TensorArena arena, List<String> keys, int[] parameterShape) {
        for (String key : keys) {
            allocate(arena, key, parameterShape).fill(0f);
        }
        initialised = true;
    }

    /** The tensor of {@code key}, allocated (zero-filled) if this state never had it. */
    Tensor allocate(TensorArena arena, String key, int[] parameterShape) {
        return tensors.computeIfAbsent(key, k -> arena.zeros(shapeOf(k, parameterShape)));
    }

    void markInitialised() {
        initialised = true;
    }

    void reset() {
        initialised = false;
    }

    /** The step count is a 0-dim tensor, as torch keeps it; every other entry has the parameter's shape. */
    static int[] shapeOf(String key, int[] parameterShape) {
        return key.equals(Optimizer.STEP) ? new int[0] : parameterShape;
    }

    Tensor tensor(String key) {
        Tensor t = tensors.get(key);
        if (t == null || !initialised) {
            throw new IllegalStateException("no optimizer state '" + key + "'");
        }
        return t;
    }

    /**
     * torch's {@code step_t += 1} on its float32 step tensor; returns the new count. Being a
     * float32 like torch's, the count stops growing at 2^24 steps, as torch's does.
     */
    float incrementStep() {
        Tensor step = tensor(Optimizer.STEP);
        float next = step.get(0) + 1f;
        step.set(0, next);
        return next;
    }

    /** The live tensors, in torch's key order; meaningful only when {@link #initialised()}. */
    SequencedMap<String, Tensor> tensors() {
        return Collections.unmodifiableSequencedMap(tensors);
    }
}
