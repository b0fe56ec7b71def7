package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaAvailability;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Kernels and cuBLAS against the CPU where a GPU is usable (and on the emulated device); the clear refusal where none is. */
class GpuCheckTest {

    @Test
    @Tag("gpu")
    void kernelsAndCublasMatchTheCpu() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        boolean passed;
        try (CudaGpuDevice device = CudaGpuDevice.open()) {
            passed = GpuCheck.run(device, System.nanoTime(), new PrintStream(printed, true, StandardCharsets.UTF_8));
        }
        assertThat(passed).as(printed.toString(StandardCharsets.UTF_8)).isTrue();
    }

    /** The same checks on the emulated device: what recur gpu-check launches and multiplies is exercised here too. */
    @Test
    void kernelsAndGemmMatchTheCpuOnTheEmulatedDevice() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        boolean passed;
        try (EmulatedGpuDevice device = new EmulatedGpuDevice()) {
            passed = GpuCheck.run(device, System.nanoTime(), new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertThat(device.liveAllocations()).as("every device block given back").isZero();
        }
        String lines = printed.toString(StandardCharsets.UTF_8);
        assertThat(passed).as(lines).isTrue();
        assertThat(lines.lines().filter(l -> l.startsWith("gpu-check: ") && l.endsWith(" ok"))).hasSize(5);
    }

    @Test
    void withoutAGpuOpeningSaysWhyInOneLine() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeFalse(status.usable(), "skipped: this machine has a usable GPU");
        assertThatThrownBy(CudaDevice::open).isInstanceOf(IllegalStateException.class)
                .hasMessage("no usable GPU: " + status.line())
                .hasMessageNotContaining("\n");
    }

    @Test
    void theKernelsComeFromTheJarOrTheBuildSaysWhyNot() throws Exception {
        java.util.Properties info = new java.util.Properties();
        try (var in = CudaDevice.class.getResourceAsStream(CudaDevice.FATBIN_INFO)) {
            assertThat(in).as(CudaDevice.FATBIN_INFO + " in the jar").isNotNull();
            info.load(in);
        }
        if (Boolean.parseBoolean(info.getProperty("built"))) {
            byte[] fatbin = CudaDevice.fatbin();
            assertThat(new byte[]{fatbin[0], fatbin[1], fatbin[2], fatbin[3]}).as("fatbin magic 0xBA55ED50")
                    .containsExactly(0x50, 0xED, 0x55, 0xBA);
        } else {
            assertThatThrownBy(CudaDevice::fatbin).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("this build has no CUDA kernels");
        }
    }
}
