package dev.recur.engine.nn;

import dev.recur.engine.backend.emulated.EmulatedKernelsKind;
import dev.recur.engine.backend.gpu.GpuContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training steps whose recurrent layers run on the emulated device ({@code RecurrentExecution.gpu}, i.e.
 * {@code GpuRecurrentLayerOp}) against the same steps on the CPU engine: every mode, 2 layers,
 * bidirectional, lengths, h0/c0, dropout between the layers; loss within 1e-5 and every gradient
 * within 1e-4, over two steps with an SGD update between them. With the Java twins and with the
 * CUDA kernels compiled for the host. Says nothing about a real GPU ({@link GpuTrainingStepCudaTest}).
 */
class GpuTrainingStepEmulatedTest {
    static Stream<Arguments> cases() {
        return Stream.of(EmulatedKernelsKind.values())
                .flatMap(kind -> GpuTrainingStepCheck.cases().stream().map(k -> Arguments.of(kind, k)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void matchesTheCpuEngine(EmulatedKernelsKind kind, GpuTrainingStepCheck.Case k) {
        long seed = Long.getLong("recur.test.seed", System.nanoTime());   // -Drecur.test.seed=N replays a failure
        try (GpuContext gpu = new GpuContext(kind.open())) {
            Map<String, Double> errors = GpuTrainingStepCheck.compare(gpu, k, seed);
            int layerDirections = k.config().numLayers() * k.config().directions();
            assertThat(GpuTrainingStepCheck.failures(errors, layerDirections)).as("%s, seed %d: %s", k, seed, errors).isEmpty();
            assertThat(errors).containsKeys("step 2 grad.weight_hh_l1_reverse", "step 2 grad.head.weight", "step 2 grad.input");
            // Every block a step kept for its backward went back to the allocator when its graph closed.
            assertThat(gpu.memory().bytesInUse()).isZero();
            assertThat(gpu.memory().rawAllocations()).isPositive();
            System.out.printf("%s vs CPU, %s: %s%n", kind, k, errors);
        }
    }

    /** On an inference graph the op runs the 2-slot ring, records nothing and keeps no device memory. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void inferenceGraphsMatchTheCpuEngine(EmulatedKernelsKind kind, GpuTrainingStepCheck.Case k) {
        long seed = Long.getLong("recur.test.seed", System.nanoTime());   // -Drecur.test.seed=N replays a failure
        try (GpuContext gpu = new GpuContext(kind.open())) {
            Map<String, Double> errors = GpuTrainingStepCheck.compareInference(gpu, k, seed);
            assertThat(errors.remove("tape")).isZero();
            assertThat(errors).containsKeys("output", "h_n").allSatisfy((name, err) ->
                    assertThat(err).as("%s, seed %d: %s", k, seed, name).isLessThanOrEqualTo(1e-5));
            assertThat(gpu.memory().bytesInUse()).isZero();
            assertThat(gpu.memory().rawAllocations()).isPositive();
        }
    }
}
