package dev.recur.engine.cli.gpucheck;

import dev.recur.engine.backend.emulated.EmulatedKernelsKind;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The GPU layer's orchestration (launch sequence, pointer arithmetic, cuBLAS's column-major operand
 * swap, slots, lengths, directions, projection) on the emulated device against the CPU engine.
 * Twice: with the kernels' Java twins, and with the CUDA kernel sources compiled for the host
 * (one host thread per grid), so that the real kernels' parameter order, indexing and float32
 * arithmetic run under the same launches. What only a GPU shows (the device's math library,
 * cuBLAS, the grid itself) is left to {@link LayerCheckCudaTest}.
 */
class LayerCheckEmulatedTest {
    static Stream<Arguments> cases() {
        return Stream.of(EmulatedKernelsKind.values())
                .flatMap(kind -> LayerCheck.cases().stream().map(k -> Arguments.of(kind, k)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void matchesTheCpuEngine(EmulatedKernelsKind kind, LayerCheck.Case k) {
        long seed = Long.getLong("recur.test.seed", System.nanoTime());   // -Drecur.test.seed=N replays a failure
        try (GpuContext gpu = new GpuContext(kind.open())) {
            Map<String, Double> errors = LayerCheck.compare(gpu, k, seed);
            assertThat(LayerCheck.failures(errors)).as("%s, seed %d: %s", k, seed, errors).isEmpty();
            assertThat(errors).containsKeys("output", "h_n", "output (inference)", "grad.input", "grad.weight_ih_l0",
                    "grad.weight_hh_l0");
            double worstForward = errors.entrySet().stream().filter(e -> !e.getKey().startsWith("grad.")).mapToDouble(Map.Entry::getValue).max().orElse(0);
            double worstGradient = errors.entrySet().stream().filter(e -> e.getKey().startsWith("grad.")).mapToDouble(Map.Entry::getValue).max().orElse(0);
            System.out.printf("emulated GPU (%s) vs CPU, %s: forward %.1e, gradients %.1e%n", kind, k, worstForward, worstGradient);
            assertThat(gpu.memory().bytesInUse()).as("every pass and stack gave its memory back").isZero();
        }
    }

    /** The comparison itself can fail: a gradient perturbed by one part in 1e3 is caught. */
    @Test
    void theComparisonCatchesAWrongGradient() {
        Map<String, Double> errors = new java.util.LinkedHashMap<>();
        errors.put("output", 1e-7);
        errors.put("grad.weight_hh_l0", 1e-3);
        assertThat(LayerCheck.failures(errors)).containsExactly("grad.weight_hh_l0: 0.001 (bar 1.0E-4)");
    }

    /**
     * The forward error: relative to the output's norm, floored at 1e-2 per element, so that a
     * tiny output (terms near 1 cancelling) is judged by its absolute error; NaN always fails.
     */
    @Test
    void forwardErrorsOfTinyOutputsAreJudgedAbsolutely() {
        assertThat(forwardError(new float[]{1e-3f + 3e-8f}, new float[]{1e-3f})).isLessThan(LayerCheck.FORWARD_BAR);
        assertThat(forwardError(new float[]{1e-3f + 3e-6f}, new float[]{1e-3f})).isGreaterThan(LayerCheck.FORWARD_BAR);
        assertThat(forwardError(new float[]{0.5f, -0.25f}, new float[]{0.5f, -0.2502f})).isGreaterThan(LayerCheck.FORWARD_BAR);
        assertThat(forwardError(new float[]{0.5f, -0.25f}, new float[]{0.5f, -0.25f})).isZero();
        assertThat(forwardError(new float[]{Float.NaN}, new float[]{0.5f})).isNaN();
    }

    private static double forwardError(float[] got, float[] expected) {
        return RelativeError.l2(got, expected, LayerCheck.FORWARD_FLOOR);
    }
}
