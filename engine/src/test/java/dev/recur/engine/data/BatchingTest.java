package dev.recur.engine.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class BatchingTest {
    /** Sample i has length 1 + i % 4, feature f at step t = 100 i + 10 t + f; class per step = t. */
    static final class Toy implements SequenceDataset {
        public int size() { return 10; }
        public int maxSteps() { return 4; }
        public int features() { return 2; }
        public int length(int i) { return 1 + i % 4; }
        public void copyStep(int i, int t, float[] dst, int offset) {
            dst[offset] = 100 * i + 10 * t;
            dst[offset + 1] = 100 * i + 10 * t + 1;
        }
        public TargetKind targetKind() { return TargetKind.CLASS_PER_STEP; }
        public int targetWidth() { return 1; }
        public int numClasses() { return 4; }
        public int classTarget(int i, int t) { return t + 1 < 4 ? t + 1 : 3; }
        public float valueTarget(int i, int t, int k) { throw new UnsupportedOperationException(); }
    }

    @Test
    void padsToTheLongestSampleTimeMajorWithZeros() {
        SequenceBatch b = Batches.pad(new Toy(), new int[]{4, 2, 9});  // lengths 1, 3, 2
        assertThat(b.steps()).isEqualTo(3);
        assertThat(b.lengths()).containsExactly(1, 3, 2);
        assertThat(b.indices()).containsExactly(4, 2, 9);
        // [T=3, B=3, I=2]
        assertThat(b.inputs()).containsExactly(
                400, 401, 200, 201, 900, 901,
                0, 0, 210, 211, 910, 911,
                0, 0, 220, 221, 0, 0);
        assertThat(b.classTargets()).containsExactly(1, 1, 1, 0, 2, 2, 0, 3, 0);
        assertThat(b.isFull()).isFalse();
        assertThat(Batches.inOrder(new Toy(), Batches.range(10), 4)).extracting(SequenceBatch::batchSize)
                .containsExactly(4, 4, 2);
    }

    @Test
    void indexSplitIsFixedBySeedDisjointAndComplete() {
        IndexSplit a = IndexSplit.random(100, 0.2, 5);
        IndexSplit b = IndexSplit.random(100, 0.2, 5);
        assertThat(a.train()).isEqualTo(b.train());
        assertThat(a.validation()).hasSize(20).isEqualTo(b.validation()).isSorted();
        int[] all = IntStream.concat(Arrays.stream(a.train()), Arrays.stream(a.validation())).sorted().toArray();
        assertThat(all).isEqualTo(Batches.range(100));
        assertThat(IndexSplit.random(100, 0.2, 6).validation()).isNotEqualTo(a.validation());
        assertThat(IndexSplit.random(3, 0.01, 1).validation()).hasSize(1);
    }

    @Test
    void epochsVisitEverySampleOnceInANewOrder() {
        int[] pool = IntStream.range(0, 10).map(i -> 3 * i).toArray();
        EpochSampler s = new EpochSampler(pool, 4, false, new Rng(11));
        assertThat(s.batchesPerEpoch()).isEqualTo(3);
        List<int[]> epochs = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            int[] seen = IntStream.range(0, 3).mapToObj(i -> s.next()).flatMapToInt(Arrays::stream).toArray();
            assertThat(s.epoch()).isEqualTo(e);
            assertThat(Arrays.stream(seen).sorted().toArray()).isEqualTo(pool);
            epochs.add(seen);
        }
        assertThat(epochs.get(0)).isNotEqualTo(epochs.get(1));
        EpochSampler dropping = new EpochSampler(pool, 4, true, new Rng(11));
        assertThat(dropping.batchesPerEpoch()).isEqualTo(2);
        dropping.next();
        dropping.next();
        dropping.next();
        assertThat(dropping.epoch()).isEqualTo(1);
    }

    @Test
    void aResumedSamplerDrawsWhatTheUninterruptedOneDraws() {
        int[] pool = Batches.range(23);
        EpochSampler straight = new EpochSampler(pool, 5, false, new Rng(3));
        EpochSampler first = new EpochSampler(pool, 5, false, new Rng(3));
        List<int[]> expected = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            expected.add(straight.next());
        }
        for (int stopAt : new int[]{0, 3, 5, 9}) {
            EpochSampler a = new EpochSampler(pool, 5, false, new Rng(3));
            for (int i = 0; i < stopAt; i++) {
                a.next();
            }
            long[] saved = a.state();
            EpochSampler resumed = new EpochSampler(pool, 5, false, new Rng(999));
            resumed.restore(saved);
            for (int i = stopAt; i < 17; i++) {
                assertThat(resumed.next()).as("batch %d after resuming at %d", i, stopAt).isEqualTo(expected.get(i));
            }
        }
        assertThat(first.next()).isEqualTo(expected.get(0));
    }
}
