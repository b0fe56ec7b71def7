package dev.recur.engine.cli.train;

import dev.recur.engine.data.Rng;

/**
 * Picks the next token from a step's logits, as {@code recur generate} does: keep the {@code topK}
 * largest logits (0: all), divide by the temperature, softmax, keep the most probable tokens whose
 * probabilities first reach {@code topP} (nucleus sampling; 1: all), draw one. A temperature below 1
 * sharpens the distribution, above 1 flattens it; as it goes to 0 the draw becomes the argmax, and
 * a temperature of exactly 0 is that limit: greedy decoding, no draw. Ties between equal logits go
 * to the lower token id, both in the top-k cut and in the argmax, so top-k 1 is greedy decoding.
 */
final class TokenSampler {
    private final double temperature;
    private final int topK;
    private final double topP;
    private final Rng rng;

    /**
     * @param temperature >= 0; 0 is greedy
     * @param topK        0 (no cut) or the number of largest logits kept
     */
    TokenSampler(double temperature, int topK, Rng rng) {
        this(temperature, topK, 1.0, rng);
    }

    /** @param topP in (0, 1]: the probability mass of the most likely tokens kept; 1 keeps all */
    TokenSampler(double temperature, int topK, double topP, Rng rng) {
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("the temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0 (0: no cut), got " + topK);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.rng = rng;
    }

    /** The id of the next token; draws one number from the generator unless greedy. */
    int next(float[] logits) {
        if (temperature == 0) return argmax(logits);
        double[] p = nucleus(probabilities(logits, temperature, topK), topP);
        double u = rng.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) continue;
            cumulative += p[i];
            last = i;
            if (u < cumulative) return i;
        }
        return last; // u within rounding of 1
    }

    /**
     * softmax(logits / temperature) over the kept tokens, 0 for the cut ones (temperature > 0).
     * Computed in double with the largest kept logit subtracted first, so no exponent overflows.
     */
    static double[] probabilities(float[] logits, double temperature, int topK) {
        if (!(temperature > 0)) throw new IllegalArgumentException("probabilities need a temperature > 0, got " + temperature);
        boolean[] keep = topKMask(logits, topK);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) if (keep[i]) max = Math.max(max, logits[i]);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            if (!keep[i]) continue;
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /**
     * {@code p} restricted to its most probable tokens whose probabilities first sum to at least
     * {@code topP} (ties: the lower id first), renormalised; p itself when topP is 1.
     */
    static double[] nucleus(double[] p, double topP) {
        if (topP >= 1) return p;
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double[] kept = new double[p.length];
        double mass = 0;
        for (int i : order) {
            if (mass >= topP || p[i] == 0) break;
            kept[i] = p[i];
            mass += p[i];
        }
        for (int i = 0; i < kept.length; i++) kept[i] /= mass;
        return kept;
    }

    /**
     * True for the {@code k} largest logits (all when k is 0 or at least their count): token i is
     * kept when fewer than k tokens rank before it, a token ranking before i when its logit is larger,
     * or equal with a lower id.
     */
    static boolean[] topKMask(float[] logits, int k) {
        boolean[] keep = new boolean[logits.length];
        for (int i = 0; i < logits.length; i++) {
            if (k == 0 || k >= logits.length) {
                keep[i] = true;
                continue;
            }
            int before = 0;
            for (int j = 0; j < logits.length && before < k; j++) {
                if (logits[j] > logits[i] || (logits[j] == logits[i] && j < i)) before++;
            }
            keep[i] = before < k;
        }
        return keep;
    }

    /** The first index of the largest logit. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
