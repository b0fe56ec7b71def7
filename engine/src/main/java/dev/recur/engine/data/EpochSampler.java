package dev.recur.engine.data;

import java.util.Arrays;

/**
 * Batches of sample indices in a new shuffled order each epoch, from a seeded {@link Rng}: every
 * index of the pool appears once per epoch; the last batch of an epoch is smaller when the batch size
 * does not divide the pool (unless {@code dropLast}). The order of epoch {@code e} is drawn from a
 * seed taken from the generator at the epoch's start, so {@link #state()} (epoch, position, that
 * seed, generator) is enough to resume mid-epoch exactly.
 */
public final class EpochSampler {
    private final int[] pool;
    private final int batchSize;
    private final boolean dropLast;
    private final Rng rng;
    private long epoch = -1;
    private int position;
    private long epochSeed;
    private int[] order;

    public EpochSampler(int[] pool, int batchSize, boolean dropLast, Rng rng) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size " + batchSize + " must be positive");
        }
        if (pool.length == 0 || (dropLast && pool.length < batchSize)) {
            throw new IllegalArgumentException("cannot make batches of " + batchSize + " from " + pool.length + " samples");
        }
        this.pool = pool.clone();
        this.batchSize = batchSize;
        this.dropLast = dropLast;
        this.rng = rng;
        this.position = Integer.MAX_VALUE; // the first next() starts epoch 0
    }

    /** The epoch the last batch came from (0-based); -1 before the first batch. */
    public long epoch() {
        return epoch;
    }

    /** Batches per epoch. */
    public int batchesPerEpoch() {
        return dropLast ? pool.length / batchSize : (pool.length + batchSize - 1) / batchSize;
    }

    /** True when the next batch starts a new epoch. */
    public boolean atEpochEnd() {
        return order == null || remaining() == 0;
    }

    private int remaining() {
        int left = pool.length - position;
        return dropLast && left < batchSize ? 0 : Math.max(0, left);
    }

    /** The next batch's sample indices (from the pool). */
    public int[] next() {
        if (atEpochEnd()) {
            epoch++;
            epochSeed = rng.nextLong();
            order = orderFor(epochSeed);
            position = 0;
        }
        int n = Math.min(batchSize, pool.length - position);
        int[] batch = Arrays.copyOfRange(order, position, position + n);
        position += n;
        return batch;
    }

    private int[] orderFor(long seed) {
        int[] perm = new Rng(seed).permutation(pool.length);
        int[] o = new int[pool.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = pool[perm[i]];
        }
        return o;
    }

    /** Epoch, position, epoch seed and the generator's 4 longs: 7 longs. */
    public long[] state() {
        long[] r = rng.state();
        return new long[]{epoch, order == null ? -1 : position, epochSeed, r[0], r[1], r[2], r[3]};
    }

    /** Continues from a {@link #state()} taken from a sampler over the same pool and batch size. */
    public void restore(long[] state) {
        if (state.length != 7) {
            throw new IllegalArgumentException("EpochSampler state has " + state.length + " longs, expected 7");
        }
        rng.restore(Arrays.copyOfRange(state, 3, 7));
        epoch = state[0];
        epochSeed = state[2];
        if (state[1] < 0) {
            order = null;
            position = Integer.MAX_VALUE;
        } else {
            if (state[1] > pool.length) {
                throw new IllegalArgumentException("EpochSampler position " + state[1] + " is beyond the pool of "
                        + pool.length);
            }
            order = orderFor(epochSeed);
            position = (int) state[1];
        }
    }
}
