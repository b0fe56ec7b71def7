package dev.recur.engine.nn;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.cuda.CudaGpuDevice;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On GPU 0, the three ways a resident layer runs an inference shape: the persistent kernels (where
 * PersistentPlan holds the shape), the per-step loop as a CUDA graph (first pass direct, second
 * captured, third replayed), and the plain loop, each against the per-call GPU path and the CPU
 * engine: 2 layers, bidirectional, lengths, fresh random inputs (seed printed). What
 * GpuExecutionEmulatedTest checks on the emulator, here with the real kernels, cuBLAS, stream
 * capture and cooperative launch. Skipped, with the probe line, where no GPU is usable.
 */
@Tag("gpu")
class GpuInferencePathsCudaTest {
    @ParameterizedTest
    @EnumSource(CellMode.class)
    void persistentGraphAndPlainLoopsMatchThePerCallPathAndTheCpu(CellMode mode) {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        long seed = System.nanoTime();
        RecurrentConfig c = RecurrentConfig.of(mode, 64, 256).withLayers(2).withBidirectional(true);
        try (GpuContext gpu = new GpuContext(CudaGpuDevice.open()); Recurrent model = Recurrent.create(c, seed);
             TensorArena a = TensorArena.open("test")) {
            SplittableRandom rng = new SplittableRandom(seed);
            Tensor x = a.empty(33, 5, 64);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextDouble(-1, 1));
            int[] lengths = {33, 1, 17, 32, 5};
            float[] cpu = output(model, x, lengths, RecurrentExecution.FUSED);
            RecurrentExecution.Gpu perCall = (RecurrentExecution.Gpu) RecurrentExecution.gpu(gpu);
            float[] standard = output(model, x, lengths, perCall);
            assertThat(RelativeError.l2(standard, cpu)).as("%s per-call GPU vs CPU, seed %d", mode, seed).isLessThan(1e-5);
            String[][] paths = {{"persistent", "true", "true"}, {"graphs", "false", "true"}, {"plain", "false", "false"}};
            for (String[] path : paths) {
                System.setProperty(RecurrentExecution.Gpu.PERSISTENT_PROPERTY, path[1]);
                System.setProperty(RecurrentExecution.Gpu.GRAPHS_PROPERTY, path[2]);
                try {
                    RecurrentExecution resident = perCall.withResidentWeights();
                    for (int pass = 0; pass < 3; pass++) {
                        float[] got = output(model, x, lengths, resident);
                        assertThat(RelativeError.l2(got, standard)).as("%s %s pass %d vs per-call GPU, seed %d", mode, path[0],
                                pass, seed).isLessThan(1e-5);
                    }
                } finally {
                    System.clearProperty(RecurrentExecution.Gpu.PERSISTENT_PROPERTY);
                    System.clearProperty(RecurrentExecution.Gpu.GRAPHS_PROPERTY);
                    gpu.forgetResident();
                }
            }
        }
    }

    private static float[] output(Recurrent model, Tensor x, int[] lengths, RecurrentExecution execution) {
        try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
            return model.forward(g, g.constant(x), lengths, null, null, execution).output().value().toArray();
        }
    }
}
