package dev.recur.engine.cli.bench;

import dev.recur.engine.cli.bench.Sampler.Rules;
import dev.recur.engine.cli.bench.Sampler.Timing;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The timing rule, driven by a fake clock that each run advances by a scripted duration. */
class SamplerTest {
    private static final long MS = 1_000_000L;

    /** A clock and a runner that advances it by {@code durations[i]} ms on run i (the last one repeats). */
    private static final class FakeRuns implements Runnable {
        final long[] durationsMs;
        long now;
        int runs;

        FakeRuns(long... durationsMs) {
            this.durationsMs = durationsMs;
        }

        @Override
        public void run() {
            now += durationsMs[Math.min(runs, durationsMs.length - 1)] * MS;
            runs++;
        }

        Timing measure() {
            return new Sampler(Rules.STANDARD, () -> now).measure(this);
        }
    }

    @Test
    void fastRunsStopAtTwentySamplesAfterWarmUpAndTwoSettledWindows() {
        FakeRuns runs = new FakeRuns(10);
        Timing t = runs.measure();
        assertThat(t.samples()).isEqualTo(20);
        // warm-up: 30 runs of 10 ms reach 0.3 s; then two 0.2-s windows with equal medians
        assertThat(runs.runs).isEqualTo(30 + 20 + 20 + 20);
        assertThat(t.medianMs()).isEqualTo(10.0);
    }

    @Test
    void warmUpGoesOnWhileRunsKeepGettingFaster() {
        // 0.3 s of 100-ms runs (interpreted), then 0.2-s windows of 50, 20 and 10 ms runs
        // (compiling), then steady 10 ms: warm-up must end only once two windows agree.
        long[] durations = new long[3 + 4 + 10 + 20 + 20 + 20];
        java.util.Arrays.fill(durations, 0, 3, 100);
        java.util.Arrays.fill(durations, 3, 7, 50);
        java.util.Arrays.fill(durations, 7, 17, 20);
        java.util.Arrays.fill(durations, 17, durations.length, 10);
        FakeRuns runs = new FakeRuns(durations);
        Timing t = runs.measure();
        assertThat(t.maxMs()).as("no slow run is sampled").isEqualTo(10.0);
        assertThat(runs.runs - t.samples()).isEqualTo(3 + 4 + 10 + 20 + 20);
    }

    @Test
    void warmUpWaitsForTheJitToGoQuiet() {
        // Steady 10-ms runs, but the JIT keeps compiling for the first second: windows during
        // which it compiled do not count as settled.
        FakeRuns runs = new FakeRuns(10);
        long[] compiledMs = {0};
        Sampler sampler = new Sampler(Rules.STANDARD, () -> runs.now, () -> {
            if (runs.now < 1000 * MS) compiledMs[0] += 1;
            return compiledMs[0];
        });
        Timing t = sampler.measure(runs);
        long warmupMs = (runs.runs - t.samples()) * 10L;
        assertThat(warmupMs).isGreaterThanOrEqualTo(1000).isLessThanOrEqualTo(1000 + 2 * 200);
    }

    @Test
    void warmUpNeverExceedsItsCap() {
        // Runs that keep getting faster forever: the 6-s cap ends the warm-up.
        long[] durations = java.util.stream.IntStream.range(0, 1000).mapToLong(i -> 1 + Math.round(2000 * Math.pow(0.95, i))).toArray();
        FakeRuns runs = new FakeRuns(durations);
        Timing t = runs.measure();
        long warmupMs = java.util.stream.LongStream.of(runs.durationsMs).limit(runs.runs - t.samples()).sum();
        assertThat(warmupMs).isBetween(6_000L, 6_000L + 3 * 2000L);
    }

    @Test
    void slowRunsStopOnceTheBudgetIsSpentButTakeAtLeastThree() {
        FakeRuns medium = new FakeRuns(300);
        Timing t = medium.measure();
        assertThat(medium.runs - t.samples()).isEqualTo(2 + 3 + 3); // two runs pass 0.3 s; two windows of 3 runs
        assertThat(t.samples()).isEqualTo(7);                // 7 · 0.3 s is the first total >= 2 s

        FakeRuns slow = new FakeRuns(5000);
        assertThat(slow.measure().samples()).isEqualTo(3);
        assertThat(slow.runs).isEqualTo(5);
    }

    @Test
    void statisticsAreMedianMinAndMaxOfTheSamplesOnly() {
        // Warm-up runs (1000 ms, 1000 ms) must not count; samples 5, 1, 9, 3 ms, then 3 ms each.
        FakeRuns runs = new FakeRuns(1000, 1000, 5, 1, 9, 3);
        Rules noSettling = new Rules(2, 300 * MS, 3, 20, 2000 * MS, 1500 * MS, 0, 0, 0);
        Timing t = new Sampler(noSettling, () -> runs.now).measure(runs);
        assertThat(t.samples()).isEqualTo(20);
        assertThat(t.minMs()).isEqualTo(1.0);
        assertThat(t.maxMs()).isEqualTo(9.0);
        assertThat(t.medianMs()).isEqualTo(3.0);
    }

    @Test
    void theFirstShapeOfAKindWarmsUpLonger() {
        FakeRuns runs = new FakeRuns(10);
        Timing t = new Sampler(Rules.STANDARD.firstOfKind(), () -> runs.now).measure(runs);
        assertThat(runs.runs - t.samples()).isEqualTo(150 + 20 + 20); // 1.5 s of 10 ms runs, two windows
        assertThat(Rules.STANDARD.firstOfKind().firstOfKind()).isEqualTo(Rules.STANDARD.firstOfKind());
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        Timing t = Timing.of(new double[]{4, 1, 3, 2});
        assertThat(t.medianMs()).isEqualTo(2.5);
        assertThat(t.minMs()).isEqualTo(1);
        assertThat(t.maxMs()).isEqualTo(4);
        assertThat(t.samples()).isEqualTo(4);
    }

    @Test
    void estimateAppliesTheSameRules() {
        assertThat(Sampler.estimateSeconds(Rules.STANDARD, 0.010)).isCloseTo(0.3 + 0.4 + 0.2, within(1e-9));
        assertThat(Sampler.estimateSeconds(Rules.STANDARD, 5.0)).isCloseTo(25.0, within(1e-9));
    }
}
