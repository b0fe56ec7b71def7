package dev.recur.engine.cli.train;

import dev.recur.engine.data.Rng;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** recur generate's sampling math on fixed logits: temperature, top-k cut, greedy limits, draw frequencies. */
class TokenSamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};

    private static double[] softmax(float[] logits, double scale) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(logits[i] * scale);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    @Test
    void temperatureDividesTheLogits() {
        assertThat(TokenSampler.probabilities(LOGITS, 1.0, 0)).containsExactly(softmax(LOGITS, 1.0), within(1e-12));
        assertThat(TokenSampler.probabilities(LOGITS, 0.5, 0)).containsExactly(softmax(LOGITS, 2.0), within(1e-12));
        assertThat(TokenSampler.probabilities(LOGITS, 4.0, 0)).containsExactly(softmax(LOGITS, 0.25), within(1e-12));
        // Low temperatures put (almost) all the mass on the largest logits, shared by the tie 1 and 3.
        double[] cold = TokenSampler.probabilities(LOGITS, 0.01, 0);
        assertThat(cold[1]).isCloseTo(0.5, within(1e-9));
        assertThat(cold[3]).isCloseTo(0.5, within(1e-9));
        // Large logits do not overflow.
        double[] big = TokenSampler.probabilities(new float[]{1000f, 999f}, 1.0, 0);
        assertThat(big[0]).isCloseTo(1 / (1 + Math.exp(-1)), within(1e-12));
    }

    @Test
    void topKKeepsTheKLargestTiesToTheLowerId() {
        assertThat(TokenSampler.topKMask(LOGITS, 1)).containsExactly(false, true, false, false, false);
        assertThat(TokenSampler.topKMask(LOGITS, 2)).containsExactly(false, true, false, true, false);
        assertThat(TokenSampler.topKMask(LOGITS, 3)).containsExactly(true, true, false, true, false);
        assertThat(TokenSampler.topKMask(LOGITS, 4)).containsExactly(true, true, false, true, true);
        assertThat(TokenSampler.topKMask(LOGITS, 0)).containsOnly(true);
        assertThat(TokenSampler.topKMask(LOGITS, 99)).containsOnly(true);

        // The kept logits are renormalised; the others get exactly 0.
        double[] p = TokenSampler.probabilities(LOGITS, 0.7, 3);
        double[] kept = softmax(new float[]{1.0f, 3.0f, 3.0f}, 1 / 0.7);
        assertThat(p).containsExactly(new double[]{kept[0], kept[1], 0, kept[2], 0}, within(1e-12));
    }

    @Test
    void greedyIsTemperatureZeroAndTopKOne() {
        assertThat(TokenSampler.argmax(LOGITS)).isEqualTo(1);
        assertThat(new TokenSampler(0, 0, new Rng(1)).next(LOGITS)).isEqualTo(1);
        for (long seed = 0; seed < 20; seed++) {
            assertThat(new TokenSampler(2.0, 1, new Rng(seed)).next(LOGITS)).isEqualTo(1);
        }
    }

    @Test
    void drawsFollowTheProbabilities() {
        double[] expected = TokenSampler.probabilities(LOGITS, 1.3, 4);
        TokenSampler sampler = new TokenSampler(1.3, 4, new Rng(42));
        int draws = 200_000;
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < draws; i++) counts[sampler.next(LOGITS)]++;
        for (int i = 0; i < counts.length; i++) {
            assertThat((double) counts[i] / draws).as("token " + i).isCloseTo(expected[i], within(0.005));
        }
        assertThat(counts[2]).isZero(); // cut by top-k
    }

    /** Nucleus sampling keeps the most probable tokens until their mass reaches top-p, renormalised. */
    @Test
    void topPKeepsTheSmallestMostProbableSetReachingP() {
        double[] p = {0.1, 0.5, 0.25, 0.15};
        assertThat(TokenSampler.nucleus(p, 0.7)).containsExactly(0, 0.5 / 0.75, 0.25 / 0.75, 0);
        assertThat(TokenSampler.nucleus(p, 0.5)).containsExactly(0, 1, 0, 0);
        assertThat(TokenSampler.nucleus(p, 1.0)).isSameAs(p);
        TokenSampler sampler = new TokenSampler(1.0, 0, 0.5, new Rng(3));
        float[] logits = {0f, 2f, 1f, 0.5f};
        for (int i = 0; i < 50; i++) assertThat(sampler.next(logits)).isEqualTo(1);
        assertThatThrownBy(() -> new TokenSampler(1.0, 0, 0, new Rng(1))).hasMessageContaining("top-p must be in (0, 1]");
    }

    @Test
    void refusesBadSettings() {
        assertThatThrownBy(() -> new TokenSampler(-1, 0, new Rng(1))).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new TokenSampler(Double.NaN, 0, new Rng(1))).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new TokenSampler(1, -2, new Rng(1))).hasMessageContaining("top-k");
    }
}
