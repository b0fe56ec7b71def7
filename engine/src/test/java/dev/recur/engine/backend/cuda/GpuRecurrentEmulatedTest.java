package dev.recur.engine.backend.cuda;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GPU layer's orchestration (launch sequence, pointer arithmetic, cuBLAS's column-major operand
 * swap, slots, lengths, directions, projection) on the emulated device against the CPU engine.
 * Twice: with the kernels' Java twins, and with the CUDA kernel sources compiled for the host
 * (one host thread per grid), so that the real kernels' parameter order, indexing and float32
 * arithmetic run under the same launches. What only a GPU shows (the device's math library,
 * cuBLAS, the grid itself) is left to {@link GpuRecurrentCudaTest}.
 */
class GpuRecurrentEmulatedTest {
    /** The two kinds of emulated kernels. */
    enum EmulatedKernelsKind {
        /** The Java twins (the engine's naive kernels behind each kernel's C signature). */
        JAVA_TWINS,
        /** The CUDA sources themselves, compiled for the host (native/host/build.sh). */
        HOST_COMPILED_CUDA;

        EmulatedGpuDevice open() {
            if (this == JAVA_TWINS) return new EmulatedGpuDevice();
            Path library = Path.of(System.getProperty("recur.host.kernels", "../native/target/host-kernels/librecur_kernels_host.so"));
            Path notBuilt = library.resolveSibling("not-built.txt");
            assumeTrue(Files.isRegularFile(library), "skipped: no host-compiled kernels at " + library
                    + (Files.isRegularFile(notBuilt) ? " (" + read(notBuilt) + ")" : " (build the native module first)"));
            return EmulatedGpuDevice.withHostCompiledKernels(library);
        }

        private static String read(Path p) {
            try {
                return Files.readString(p).strip();
            } catch (java.io.IOException e) {
                return e.toString();
            }
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(EmulatedKernelsKind.values())
                .flatMap(kind -> GpuLayerCheck.cases().stream().map(k -> Arguments.of(kind, k)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void matchesTheCpuEngine(EmulatedKernelsKind kind, GpuLayerCheck.Case k) {
        long seed = System.nanoTime();
        try (EmulatedGpuDevice device = kind.open(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device)) {
            Map<String, Double> errors = GpuLayerCheck.compare(device, memory, k, seed);
            assertThat(GpuLayerCheck.failures(errors)).as("%s, seed %d: %s", k, seed, errors).isEmpty();
            assertThat(errors).containsKeys("output", "h_n", "output (inference)", "grad.input", "grad.weight_ih_l0",
                    "grad.weight_hh_l0");
            double worstForward = errors.entrySet().stream().filter(e -> !e.getKey().startsWith("grad.")).mapToDouble(Map.Entry::getValue).max().orElse(0);
            double worstGradient = errors.entrySet().stream().filter(e -> e.getKey().startsWith("grad.")).mapToDouble(Map.Entry::getValue).max().orElse(0);
            System.out.printf("emulated GPU (%s) vs CPU, %s: forward %.1e, gradients %.1e%n", kind, k, worstForward, worstGradient);
            assertThat(memory.bytesInUse()).as("every pass and stack gave its memory back").isZero();
        }
    }

    /** The comparison itself can fail: a gradient perturbed by one part in 1e3 is caught. */
    @Test
    void theComparisonCatchesAWrongGradient() {
        Map<String, Double> errors = new java.util.LinkedHashMap<>();
        errors.put("output", 1e-7);
        errors.put("grad.weight_hh_l0", 1e-3);
        assertThat(GpuLayerCheck.failures(errors)).containsExactly("grad.weight_hh_l0: 0.001 (bar 1.0E-4)");
    }

    @Test
    void aSecondPassOfTheSameShapeMakesNoNewDeviceAllocations() {
        RecurrentConfig c = new RecurrentConfig(CellMode.LSTM, 3, 5, 2, true, true, false, 2);
        try (EmulatedGpuDevice device = new EmulatedGpuDevice(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
             Recurrent model = Recurrent.create(c, 1); TensorArena a = TensorArena.open("test");
             GpuRecurrent stack = new GpuRecurrent(device, memory, model)) {
            SplittableRandom rng = new SplittableRandom(2);
            Tensor x = a.empty(7, 3, 3), dOut = a.empty(7, 3, 4);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextGaussian());
            for (long i = 0; i < dOut.size(); i++) dOut.set(i, (float) rng.nextGaussian());
            int[] lengths = {7, 2, 5};
            float[] first = null;
            long afterFirst = 0;
            for (int round = 0; round < 3; round++) {
                try (GpuRecurrent.Pass pass = stack.forward(x, lengths, null, null, true)) {
                    GpuRecurrent.Gradients g = pass.backward(a, dOut, null, null);
                    if (round == 0) {
                        first = g.parameters().get("weight_hh_l1_reverse").toArray();
                        afterFirst = device.allocationsMade();
                    } else {
                        assertThat(g.parameters().get("weight_hh_l1_reverse").toArray()).as("gradients are fresh per pass, not accumulated")
                                .containsExactly(first);
                    }
                }
                assertThat(device.allocationsMade()).as("raw allocations after round %d", round).isEqualTo(afterFirst);
            }
            assertThat(memory.rawAllocations()).isEqualTo(afterFirst);
        }
    }

    @Test
    void badInputsAreRefusedInOneLine() {
        RecurrentConfig c = new RecurrentConfig(CellMode.GRU, 3, 4, 1, false, true, false, 0);
        try (EmulatedGpuDevice device = new EmulatedGpuDevice(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
             Recurrent model = Recurrent.create(c, 1); TensorArena a = TensorArena.open("test");
             GpuRecurrent stack = new GpuRecurrent(device, memory, model)) {
            assertThatThrownBy(() -> stack.forward(a.zeros(4, 2, 5), null, null, null, false))
                    .hasMessage("input has 5 features, expected input_size 3");
            assertThatThrownBy(() -> stack.forward(a.zeros(4, 2, 3), new int[]{0, 4}, null, null, false))
                    .hasMessage("lengths[0] = 0, expected 1..4");
            assertThatThrownBy(() -> stack.forward(a.zeros(4, 2, 3), null, null, a.zeros(1, 2, 4), false))
                    .hasMessageContaining("only lstm has a cell state");
            try (GpuRecurrent.Pass pass = stack.forward(a.zeros(4, 2, 3), null, null, null, false)) {
                assertThatThrownBy(() -> pass.backward(a, a.zeros(4, 2, 4), null, null))
                        .hasMessage("backward needs a forward run with keepForBackward");
            }
        }
    }
}
