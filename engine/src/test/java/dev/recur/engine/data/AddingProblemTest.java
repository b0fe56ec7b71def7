package dev.recur.engine.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AddingProblemTest {
    @Test
    void twoMarkersOneInEachHalfAndTheTargetIsTheirSum() {
        AddingProblem problem = new AddingProblem(11);
        SequenceBatch b = problem.batch(new Rng(1), 64);
        assertThat(b.steps()).isEqualTo(11);
        assertThat(b.features()).isEqualTo(2);
        assertThat(b.isFull()).isTrue();
        for (int s = 0; s < 64; s++) {
            int firstHalf = 0;
            int secondHalf = 0;
            float sum = 0;
            for (int t = 0; t < 11; t++) {
                float value = b.inputs()[(t * 64 + s) * 2];
                float marker = b.inputs()[(t * 64 + s) * 2 + 1];
                assertThat(value).isBetween(0f, 1f);
                assertThat(marker).isIn(0f, 1f);
                if (marker == 1f) {
                    sum += value;
                    if (t < 11 / 2) {
                        firstHalf++;
                    } else {
                        secondHalf++;
                    }
                }
            }
            assertThat(firstHalf).isEqualTo(1);
            assertThat(secondHalf).isEqualTo(1);
            assertThat(b.valueTargets()[s]).isEqualTo(sum);
        }
    }

    @Test
    void alwaysPredictingOneHasMseAboutOneSixth() {
        AddingProblem problem = new AddingProblem(AddingProblem.DEFAULT_STEPS);
        Rng rng = new Rng(2026);
        double sq = 0;
        int n = 0;
        for (int i = 0; i < 200; i++) {
            for (float y : problem.batch(rng, 500).valueTargets()) {
                sq += (y - 1.0) * (y - 1.0);
                n++;
            }
        }
        // Var(U1 + U2) = 2/12; the standard error over 100 000 samples is about 0.0006.
        assertThat(sq / n).isCloseTo(1.0 / 6, within(0.003));
    }

    @Test
    void seededAndTheFixedSetIsTheSameEveryTime() {
        AddingProblem problem = new AddingProblem(20);
        assertThat(problem.batch(new Rng(5), 8).inputs()).isEqualTo(problem.batch(new Rng(5), 8).inputs());
        List<SequenceBatch> a = problem.fixedSet(9, 10, 4);
        List<SequenceBatch> b = problem.fixedSet(9, 10, 4);
        assertThat(a).extracting(SequenceBatch::batchSize).containsExactly(4, 4, 2);
        for (int i = 0; i < a.size(); i++) {
            assertThat(a.get(i).inputs()).isEqualTo(b.get(i).inputs());
            assertThat(a.get(i).valueTargets()).isEqualTo(b.get(i).valueTargets());
        }
    }
}
