package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaAvailability;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GPU layer on a real GPU (CUDA kernels + cuBLAS) against the CPU engine: the same cases and
 * bars as {@link GpuRecurrentEmulatedTest}. Skipped, with the bindings' probe line as the reason,
 * where no CUDA device is usable; a skip is not a pass.
 */
@Tag("gpu")
class GpuRecurrentCudaTest {
    static List<GpuLayerCheck.Case> cases() {
        return GpuLayerCheck.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheCpuEngine(GpuLayerCheck.Case k) {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        long seed = System.nanoTime();
        try (CudaGpuDevice device = CudaGpuDevice.open(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device)) {
            Map<String, Double> errors = GpuLayerCheck.compare(device, memory, k, seed);
            assertThat(GpuLayerCheck.failures(errors)).as("%s, seed %d: %s", k, seed, errors).isEmpty();
            System.out.printf("CUDA vs CPU, %s: %s%n", k, errors);
        }
    }
}
