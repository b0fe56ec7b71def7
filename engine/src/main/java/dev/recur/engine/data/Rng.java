package dev.recur.engine.data;

import java.util.Arrays;

/**
 * The random number generator of data pipelines and training runs: xoshiro256** (Blackman and Vigna,
 * "Scrambled linear pseudorandom number generators", 2021), seeded through SplitMix64 as its authors
 * recommend. Its whole state is four longs, which {@link #state()} gives and {@link #restore} takes
 * back, so a checkpoint can carry it and a resumed run draws exactly what the uninterrupted run would
 * have drawn. Not thread-safe; not for cryptography.
 */
public final class Rng {
    private final long[] s = new long[4];

    /** A generator whose sequence is a pure function of {@code seed}. */
    public Rng(long seed) {
        long x = seed;
        for (int i = 0; i < 4; i++) {
            x += 0x9E3779B97F4A7C15L;
            s[i] = mix64(x);
        }
    }

    private Rng(long[] state) {
        restore(state);
    }

    /** A generator continuing from a saved {@link #state()}. */
    public static Rng fromState(long[] state) {
        return new Rng(state);
    }

    /** SplitMix64's output function (Steele, Lea and Flood 2014). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A copy of the full state (4 longs). */
    public long[] state() {
        return s.clone();
    }

    /** Replaces the full state with a saved one; an all-zero state (a fixed point) is refused. */
    public void restore(long[] state) {
        if (state.length != 4) {
            throw new IllegalArgumentException("Rng state has " + state.length + " longs, expected 4");
        }
        if ((state[0] | state[1] | state[2] | state[3]) == 0) {
            throw new IllegalArgumentException("Rng state is all zeros, which xoshiro256** never reaches");
        }
        System.arraycopy(state, 0, s, 0, 4);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s[1] * 5, 7) * 9;
        long t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = Long.rotateLeft(s[3], 45);
        return result;
    }

    /** Uniform in {@code [0, bound)}, unbiased (Lemire's multiply-and-reject). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound " + bound + " must be positive");
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform in {@code [origin, bound)}. */
    public int nextInt(int origin, int bound) {
        if (origin >= bound) {
            throw new IllegalArgumentException("empty range [" + origin + ", " + bound + ")");
        }
        return origin + nextInt(bound - origin);
    }

    /** Uniform in {@code [0, 1)} with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in {@code [0, 1)} with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Standard normal, by the Box-Muller transform (two uniforms per call, no cached second value). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Shuffles {@code a} in place (Fisher-Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** A random permutation of {@code 0 .. n-1}. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p);
        return p;
    }

    @Override
    public String toString() {
        return "Rng" + Arrays.toString(s);
    }
}
