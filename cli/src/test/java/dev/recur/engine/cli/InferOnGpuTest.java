package dev.recur.engine.cli;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.GoldenFixture;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.recur.engine.tensor.RelativeError.l2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code recur infer --device cuda} under the emulation test hook ({@code -Drecur.gpu.emulate=true}):
 * on every PyTorch golden configuration its output file reproduces the CPU's (forward within 1e-5,
 * gradients within 1e-4) and PyTorch's. This exercises the CLI's GPU path and the GPU layer's
 * orchestration on host memory; it says nothing about a real GPU. The {@code gpu}-tagged twin runs
 * the same on GPU 0 where one is usable.
 */
class InferOnGpuTest {
    @TempDir
    Path dir;

    @AfterEach
    void noEmulation() {
        System.clearProperty(DeviceOption.EMULATE_PROPERTY);
    }

    static List<GoldenFixture> fixtures() {
        return GoldenFixture.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void emulatedCudaReproducesTheCpuOutputFile(GoldenFixture fixture) throws IOException {
        reproducesTheCpuOutputFile(fixture, "true");
    }

    /** The same with the CUDA kernel sources compiled for the host under the emulated device. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void emulatedCudaWithTheHostCompiledKernelsReproducesTheCpuOutputFile(GoldenFixture fixture) throws IOException {
        Path library = Path.of(System.getProperty("recur.host.kernels", "../native/target/host-kernels/librecur_kernels_host.so"));
        assumeTrue(java.nio.file.Files.isRegularFile(library), "skipped: no host-compiled kernels at " + library);
        reproducesTheCpuOutputFile(fixture, "host:" + library);
    }

    /** The same on a real GPU; skipped, with the probe's line, where none is usable. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    @Tag("gpu")
    void cudaReproducesTheCpuOutputFile(GoldenFixture fixture) throws IOException {
        CudaAvailability.Status probe = CudaAvailability.status();
        assumeTrue(probe.usable(), "skipped: no usable GPU here (" + probe.line() + ")");
        reproducesTheCpuOutputFile(fixture, null);
    }

    /** {@code emulate}: the value of the emulation hook, or null for GPU 0. */
    private void reproducesTheCpuOutputFile(GoldenFixture fixture, String emulate) throws IOException {
        SafeTensorsFile f = fixture.file();
        try (TensorArena arena = TensorArena.open("split")) {
            Path weights = InferCommandTest.split(f, "param.", dir.resolve("w.safetensors"), arena, true, fixture);
            Path input = InferCommandTest.split(f, "in.", dir.resolve("in.safetensors"), arena, false, fixture);
            Path dy = InferCommandTest.split(f, "dy.", dir.resolve("dy.safetensors"), arena, false, fixture);
            for (boolean backward : new boolean[]{true, false}) {
                Path cpuOut = dir.resolve("cpu.safetensors"), gpuOut = dir.resolve("gpu.safetensors");
                List<String> args = new ArrayList<>(List.of("infer", "--weights", weights.toString(), "--input", input.toString()));
                if (backward) args.addAll(List.of("--grad-output", dy.toString()));
                List<String> cpuArgs = new ArrayList<>(args), gpuArgs = new ArrayList<>(args);
                cpuArgs.addAll(List.of("--output", cpuOut.toString()));
                gpuArgs.addAll(List.of("--output", gpuOut.toString(), "--device", "cuda"));
                CliRun cpu = CliRun.recur(cpuArgs.toArray(String[]::new));
                assertThat(cpu.exit()).as(cpu.err()).isZero();
                if (emulate != null) System.setProperty(DeviceOption.EMULATE_PROPERTY, emulate);
                CliRun gpu = CliRun.recur(gpuArgs.toArray(String[]::new));
                System.clearProperty(DeviceOption.EMULATE_PROPERTY);
                assertThat(gpu.exit()).as(gpu.err()).isZero();

                SafeTensorsFile expected = SafeTensorsFile.read(cpuOut), actual = SafeTensorsFile.read(gpuOut);
                assertThat(actual.names()).as("the same keys as the CPU's file").containsExactlyInAnyOrderElementsOf(expected.names());
                assertThat(actual.names().stream().anyMatch(n -> n.startsWith("grad."))).isEqualTo(backward);
                List<String> failures = new ArrayList<>();
                for (String key : expected.names()) {
                    double bar = key.startsWith("grad.") ? 1e-4 : 1e-5;
                    float[] got = actual.readFloat(key, arena).toArray();
                    double vsCpu = l2(got, expected.readFloat(key, arena).toArray());
                    if (!(vsCpu <= bar)) failures.add(key + " vs CPU: " + vsCpu);
                    if (f.contains("out." + key)) {
                        double vsTorch = l2(got, f.readDoubles("out." + key));
                        if (!(vsTorch <= bar)) failures.add(key + " vs PyTorch: " + vsTorch);
                    }
                }
                assertThat(failures).as("backward=%s", backward).isEmpty();
            }
        }
    }

    /** --tf32 reaches the device's GEMMs: the output moves by TF32's error (not 0, not more than ~1e-2), and CPU refuses it. */
    @Test
    void tf32OnTheEmulatedDeviceAndRefusedOnTheCpu() throws IOException {
        GoldenFixture fixture = fixtures().stream().filter(g -> g.file().contains("param.weight_hh_l0")).findFirst().orElseThrow();
        try (TensorArena arena = TensorArena.open("tf32")) {
            Path weights = InferCommandTest.split(fixture.file(), "param.", dir.resolve("w.safetensors"), arena, true, fixture);
            Path input = InferCommandTest.split(fixture.file(), "in.", dir.resolve("in.safetensors"), arena, false, fixture);
            Path fp32 = dir.resolve("fp32.safetensors"), tf32 = dir.resolve("tf32.safetensors");
            System.setProperty(DeviceOption.EMULATE_PROPERTY, "true");
            try {
                for (Path out : List.of(fp32, tf32)) {
                    List<String> args = new ArrayList<>(List.of("infer", "--weights", weights.toString(), "--input",
                            input.toString(), "--output", out.toString(), "--device", "cuda"));
                    if (out == tf32) args.add("--tf32");
                    CliRun run = CliRun.recur(args.toArray(String[]::new));
                    assertThat(run.exit()).as(run.err()).isZero();
                }
            } finally {
                System.clearProperty(DeviceOption.EMULATE_PROPERTY);
            }
            float[] exact = SafeTensorsFile.read(fp32).readFloat("output", arena).toArray();
            float[] rounded = SafeTensorsFile.read(tf32).readFloat("output", arena).toArray();
            assertThat(l2(rounded, exact)).isBetween(1e-6, 1e-2);

            CliRun cpu = CliRun.recur("infer", "--weights", weights.toString(), "--input",
                    input.toString(), "--output", dir.resolve("cpu.safetensors").toString(), "--tf32");
            assertThat(cpu.exit()).isEqualTo(2);
            assertThat(cpu.err().strip()).isEqualTo("recur infer: --tf32 applies to --device cuda only");
            assertThat(dir.resolve("cpu.safetensors")).doesNotExist();
        }
    }

    @Test
    void withoutEmulationCudaFailsWithTheProbeLineAndExitTwo() throws IOException {
        CudaAvailability.Status probe = CudaAvailability.status();
        assumeFalse(probe.usable(), "skipped: this machine has a usable GPU");
        try (TensorArena a = TensorArena.open("w")) {
            Path w = new dev.recur.engine.io.SafeTensorsWriter()
                    .put("weight_ih_l0", a.zeros(8, 3)).put("weight_hh_l0", a.zeros(8, 2))
                    .put("bias_ih_l0", a.zeros(8)).put("bias_hh_l0", a.zeros(8)).write(dir.resolve("w.safetensors"));
            Path in = new dev.recur.engine.io.SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).write(dir.resolve("in.safetensors"));
            CliRun run = CliRun.recur("infer", "--weights", w.toString(), "--input", in.toString(),
                    "--output", dir.resolve("out.safetensors").toString(), "--device", "cuda");
            assertThat(run.exit()).isEqualTo(2);
            assertThat(run.err().strip()).isEqualTo("recur infer: --device cuda is not usable: " + probe.line());
            assertThat(dir.resolve("out.safetensors")).doesNotExist();
        }
    }
}
