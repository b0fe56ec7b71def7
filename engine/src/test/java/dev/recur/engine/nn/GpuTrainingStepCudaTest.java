package dev.recur.engine.nn;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.backend.cuda.CudaGpuDevice;
import dev.recur.engine.backend.gpu.GpuContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link GpuTrainingStepEmulatedTest}'s training steps with the recurrent layers on GPU 0
 * ({@link CudaGpuDevice}), against the CPU engine, same bars. Skipped, with the bindings' probe
 * line as the reason, where no CUDA device is usable; a skip is not a pass.
 */
@Tag("gpu")
class GpuTrainingStepCudaTest {
    static List<GpuTrainingStepCheck.Case> cases() {
        return GpuTrainingStepCheck.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheCpuEngine(GpuTrainingStepCheck.Case k) {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        long seed = System.nanoTime();
        try (GpuContext gpu = new GpuContext(CudaGpuDevice.open())) {
            Map<String, Double> errors = GpuTrainingStepCheck.compare(gpu, k, seed);
            int layerDirections = k.config().numLayers() * k.config().directions();
            assertThat(GpuTrainingStepCheck.failures(errors, layerDirections)).as("%s, seed %d: %s", k, seed, errors).isEmpty();
            assertThat(gpu.memory().bytesInUse()).isZero();
            System.out.printf("CUDA vs CPU, %s: %s%n", k, errors);
        }
    }
}
