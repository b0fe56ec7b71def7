package dev.recur.engine.train;

import dev.recur.engine.data.TokenBatch;

/**
 * A token sequence read as B parallel streams, chunk after chunk, for truncated BPTT: PyTorch's
 * word_language_model ({@code batchify} and {@code get_batch}). The ids are cut into B contiguous
 * rows of {@code floor(n / B)} ids each (the remainder is dropped); row b is
 * {@code ids[b·R, (b+1)·R)}. A chunk at position p holds the inputs {@code row[p, p+T)} and the
 * targets {@code row[p+1, p+T+1)} of every row, time-major, with T = min(maxSteps, R - 1 - p), so
 * that a pass predicts each of a row's R - 1 targets once and chunk k+1 continues exactly where
 * chunk k stopped: the state a {@link CarriedState} carries belongs to the same text.
 *
 * <p>The position is all the state there is ({@link #position()}, {@link #seek}): a checkpoint
 * that saves it, with the carried state, resumes the stream exactly.
 */
public final class TokenStream {
    private final int[][] rows;
    private final int batch;
    private final int rowLength;
    private int position;

    public TokenStream(int[] ids, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batch);
        int rowLength = ids.length / batch;
        if (rowLength < 2) {
            throw new IllegalArgumentException(ids.length + " tokens are too few for " + batch
                    + " streams: each needs at least 2 (an input and its target)");
        }
        this.batch = batch;
        this.rowLength = rowLength;
        this.rows = new int[batch][];
        for (int b = 0; b < batch; b++) {
            rows[b] = java.util.Arrays.copyOfRange(ids, b * rowLength, (b + 1) * rowLength);
        }
    }

    public int batchSize() {
        return batch;
    }

    /** Ids per stream (R). */
    public int rowLength() {
        return rowLength;
    }

    /** Targets per stream in a pass: R - 1. */
    public int stepsPerPass() {
        return rowLength - 1;
    }

    /** Chunks in a pass of chunks of at most {@code maxSteps}. */
    public int chunksPerPass(int maxSteps) {
        requirePositive(maxSteps);
        return (stepsPerPass() + maxSteps - 1) / maxSteps;
    }

    /** The step of every stream that the next chunk starts at, 0..R-1. */
    public int position() {
        return position;
    }

    public void seek(int position) {
        if (position < 0 || position > stepsPerPass()) {
            throw new IllegalArgumentException("position " + position + " is outside 0.." + stepsPerPass());
        }
        this.position = position;
    }

    /** Back to the start (a new pass; reset the carried state too). */
    public void rewind() {
        position = 0;
    }

    /** True while some target is left in this pass. */
    public boolean hasNext() {
        return position < stepsPerPass();
    }

    /** The next chunk of min(maxSteps, what is left) steps, time-major; advances the position. */
    public TokenBatch next(int maxSteps) {
        requirePositive(maxSteps);
        if (!hasNext()) throw new IllegalStateException("the stream is at its end (" + position + "); rewind() first");
        int steps = Math.min(maxSteps, stepsPerPass() - position);
        int[] in = new int[steps * batch];
        int[] out = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                in[t * batch + b] = rows[b][position + t];
                out[t * batch + b] = rows[b][position + t + 1];
            }
        }
        position += steps;
        return new TokenBatch(steps, batch, in, out);
    }

    private static void requirePositive(int maxSteps) {
        if (maxSteps < 1) throw new IllegalArgumentException("chunk length must be >= 1, got " + maxSteps);
    }
}
