package dev.recur.engine.cli.gpucheck;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.backend.cuda.CudaGpuDevice;
import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Kernels and cuBLAS against the CPU where a GPU is usable, and on the emulated device. */
class KernelCheckTest {

    @Test
    @Tag("gpu")
    void kernelsAndCublasMatchTheCpu() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        boolean passed;
        try (CudaGpuDevice device = CudaGpuDevice.open()) {
            passed = KernelCheck.run(device, System.nanoTime(), new PrintStream(printed, true, StandardCharsets.UTF_8));
        }
        assertThat(passed).as(printed.toString(StandardCharsets.UTF_8)).isTrue();
    }

    /** The same checks on the emulated device: what recur gpu-check launches and multiplies is exercised here too. */
    @Test
    void kernelsAndGemmMatchTheCpuOnTheEmulatedDevice() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        boolean passed;
        try (EmulatedGpuDevice device = new EmulatedGpuDevice()) {
            passed = KernelCheck.run(device, System.nanoTime(), new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertThat(device.liveAllocations()).as("every device block given back").isZero();
        }
        String lines = printed.toString(StandardCharsets.UTF_8);
        assertThat(passed).as(lines).isTrue();
        assertThat(lines.lines().filter(l -> l.startsWith("gpu-check: ") && l.endsWith(" ok"))).hasSize(5);
    }
}
