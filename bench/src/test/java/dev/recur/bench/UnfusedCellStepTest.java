package dev.recur.bench;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The unfused baseline of {@link CellStepBenchmark} does the fused step's work: same outputs as
 * the fused naive kernel, forward and backward, within 1e-6 relative L2 (the operations are the
 * same float operations in the same order, so in practice they agree bit for bit).
 */
class UnfusedCellStepTest {
    static final double TOLERANCE = 1e-6;
    private static final Kernels NAIVE = KernelProvider.naive();

    static Stream<Arguments> cases() {
        return Stream.of(CellMode.values()).flatMap(mode -> Stream.of(
                Arguments.of(mode, 1, 3), Arguments.of(mode, 5, 17), Arguments.of(mode, 3, 255)));
    }

    @ParameterizedTest(name = "{0} batch {1} hidden {2}")
    @MethodSource("cases")
    void unfusedStepWritesWhatTheFusedNaiveStepWrites(CellMode mode, int batch, int hidden) {
        try (CellStepOperands fused = new CellStepOperands(mode, batch, hidden, 11);
             CellStepOperands unfused = new CellStepOperands(mode, batch, hidden, 11)) {
            fused.fusedForward(NAIVE);
            UnfusedCellStep.forward(NAIVE, unfused);
            assertSame("forward", fused.forwardOutputs(), unfused.forwardOutputs());

            fused.fusedBackward(NAIVE);
            UnfusedCellStep.backward(NAIVE, unfused);
            assertSame("backward", fused.backwardOutputs(), unfused.backwardOutputs());
        }
    }

    private static void assertSame(String pass, List<CellStepOperands.Named> expected, List<CellStepOperands.Named> actual) {
        assertThat(actual).extracting(CellStepOperands.Named::name)
                .containsExactlyElementsOf(expected.stream().map(CellStepOperands.Named::name).toList());
        for (int i = 0; i < expected.size(); i++) {
            float[] want = expected.get(i).tensor().toArray(), got = actual.get(i).tensor().toArray();
            assertThat(got).as("%s %s has no NaN left", pass, expected.get(i).name()).doesNotContain(Float.NaN);
            assertThat(RelativeError.l2(got, want)).as("%s %s relative L2", pass, expected.get(i).name())
                    .isLessThanOrEqualTo(TOLERANCE);
        }
    }
}
