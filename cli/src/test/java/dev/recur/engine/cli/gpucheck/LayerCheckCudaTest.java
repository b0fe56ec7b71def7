package dev.recur.engine.cli.gpucheck;

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
 * The GPU layer on a real GPU (CUDA kernels + cuBLAS) against the CPU engine: the same cases and
 * bars as {@link LayerCheckEmulatedTest}. Skipped, with the bindings' probe line as the reason,
 * where no CUDA device is usable; a skip is not a pass.
 */
@Tag("gpu")
class LayerCheckCudaTest {
    static List<LayerCheck.Case> cases() {
        return LayerCheck.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheCpuEngine(LayerCheck.Case k) {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        long seed = Long.getLong("recur.test.seed", System.nanoTime());   // -Drecur.test.seed=N replays a failure
        try (GpuContext gpu = new GpuContext(CudaGpuDevice.open())) {
            Map<String, Double> errors = LayerCheck.compare(gpu, k, seed);
            assertThat(LayerCheck.failures(errors)).as("%s, seed %d: %s", k, seed, errors).isEmpty();
            System.out.printf("CUDA vs CPU, %s: %s%n", k, errors);
        }
    }
}
