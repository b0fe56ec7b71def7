package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.backend.gpu.PersistentPlan;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RecurrentExecution#gpu} on the emulated device: device memory reused across passes, bad inputs refused. */
class GpuExecutionEmulatedTest {
    /** A device without cooperative launch: the plan refuses every shape, the persistent kernels are never chosen. */
    private static final PersistentPlan.DeviceLimits NO_PERSISTENT = new PersistentPlan.DeviceLimits(132, 233_472, 232_448,
            1_024, 1_024, false);

    @Test
    void aSecondPassOfTheSameShapeMakesNoNewDeviceAllocations() {
        RecurrentConfig c = RecurrentConfig.of(CellMode.LSTM, 3, 5).withLayers(2).withBidirectional(true).withProjSize(2);
        EmulatedGpuDevice device = new EmulatedGpuDevice();
        try (GpuContext gpu = new GpuContext(device); Recurrent model = Recurrent.create(c, 1);
             TensorArena a = TensorArena.open("test")) {
            SplittableRandom rng = new SplittableRandom(2);
            Tensor x = a.empty(7, 3, 3), dOut = a.empty(7, 3, 4);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextGaussian());
            for (long i = 0; i < dOut.size(); i++) dOut.set(i, (float) rng.nextGaussian());
            int[] lengths = {7, 2, 5};
            float[] first = null;
            long afterFirst = 0;
            for (int round = 0; round < 3; round++) {
                model.zeroGrad();
                try (Graph g = Graph.training(KernelProvider.naive())) {
                    Recurrent.Output out = model.forward(g, g.constant(x), lengths, null, null, RecurrentExecution.gpu(gpu));
                    g.backward(new Var[]{out.output()}, new Tensor[]{dOut});
                }
                float[] gradient = model.parameter("weight_hh_l1_reverse").grad().toArray();
                if (round == 0) {
                    first = gradient;
                    afterFirst = device.allocationsMade();
                } else {
                    assertThat(gradient).as("gradients are fresh per pass, not accumulated").containsExactly(first);
                }
                assertThat(device.allocationsMade()).as("raw allocations after round %d", round).isEqualTo(afterFirst);
            }
            assertThat(gpu.memory().rawAllocations()).isEqualTo(afterFirst);
        }
    }

    @Test
    void badInputsAreRefusedInOneLine() {
        RecurrentConfig c = RecurrentConfig.of(CellMode.GRU, 3, 4);
        try (GpuContext gpu = new GpuContext(new EmulatedGpuDevice()); Recurrent model = Recurrent.create(c, 1);
             Graph g = Graph.inference(KernelProvider.naive())) {
            TensorArena a = g.arena();
            RecurrentExecution onGpu = RecurrentExecution.gpu(gpu);
            assertThatThrownBy(() -> model.forward(g, g.constant(a.zeros(4, 2, 5)), null, null, null, onGpu))
                    .hasMessage("input has 5 features, expected input_size 3");
            assertThatThrownBy(() -> model.forward(g, g.constant(a.zeros(4, 2, 3)), new int[]{0, 4}, null, null, onGpu))
                    .hasMessage("lengths[0] = 0, expected 1..4");
            assertThatThrownBy(() -> model.forward(g, g.constant(a.zeros(4, 2, 3)), null, null, g.constant(a.zeros(1, 2, 4)), onGpu))
                    .hasMessageContaining("only lstm has a cell state");
            Recurrent.Output out = model.forward(g, g.constant(a.zeros(4, 2, 3)), null, null, null, onGpu);
            assertThatThrownBy(() -> g.backward(new Var[]{out.output()}, new Tensor[]{a.zeros(4, 2, 4)}))
                    .hasMessage("backward on an inference graph");
        }
    }

    /**
     * Resident weights: the first inference call uploads each layer direction's weights, later
     * calls only their inputs, and the outputs are those of the per-call upload; a forward that
     * needs gradients is refused; forgetting and closing give the device memory back.
     */
    @Test
    void residentWeightsAreUploadedOnceAndGiveTheSameOutputs() {
        RecurrentConfig c = RecurrentConfig.of(CellMode.LSTM, 3, 5).withLayers(2).withBidirectional(true).withProjSize(2);
        EmulatedGpuDevice device = new EmulatedGpuDevice();   // proj_size: never the persistent kernels
        try (GpuContext gpu = new GpuContext(device); Recurrent model = Recurrent.create(c, 1);
             TensorArena a = TensorArena.open("test")) {
            SplittableRandom rng = new SplittableRandom(3);
            Tensor x = a.empty(7, 3, 3);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextGaussian());
            int[] lengths = {7, 2, 5};
            RecurrentExecution.Gpu perCall = (RecurrentExecution.Gpu) RecurrentExecution.gpu(gpu);
            RecurrentExecution.Gpu resident = perCall.withResidentWeights();
            float[][] expected = outputs(model, x, lengths, perCall);
            long weightBytes = model.parameters().stream().mapToLong(p -> p.value().size() * Float.BYTES).sum();
            long[] uploaded = new long[3];
            for (int call = 0; call < 3; call++) {
                long before = device.bytesCopiedToDevice();
                float[][] got = outputs(model, x, lengths, resident);
                uploaded[call] = device.bytesCopiedToDevice() - before;
                assertThat(got[0]).as("y, call %d", call).containsExactly(expected[0]);
                assertThat(got[1]).as("h_n, call %d", call).containsExactly(expected[1]);
                assertThat(got[2]).as("c_n, call %d", call).containsExactly(expected[2]);
            }
            assertThat(gpu.residentLayers()).isEqualTo(4);
            assertThat(device.graphsCaptured()).as("one graph per layer direction, captured by the second call").isEqualTo(4);
            assertThat(device.graphsReplayed()).as("replayed by the second call and the later ones").isEqualTo(8);
            assertThat(uploaded[0] - uploaded[1]).as("the weights, uploaded by the first call only")
                    .isGreaterThanOrEqualTo(weightBytes);
            assertThat(uploaded[2]).isEqualTo(uploaded[1]);
            try (Graph g = Graph.training(KernelProvider.naive())) {
                assertThatThrownBy(() -> model.forward(g, g.constant(x), lengths, null, null, resident))
                        .hasMessageContaining("resident GPU weights are for inference");
            }
            gpu.forgetResident();
            assertThat(gpu.residentLayers()).isZero();
            assertThat(gpu.memory().bytesInUse()).isZero();
        }
        assertThat(device.liveAllocations()).isZero();
    }

    /** y, h_n and c_n of an inference pass. */
    private static float[][] outputs(Recurrent model, Tensor x, int[] lengths, RecurrentExecution execution) {
        try (Graph g = Graph.inference(KernelProvider.naive())) {
            Recurrent.Output out = model.forward(g, g.constant(x), lengths, null, null, execution);
            return new float[][]{out.output().value().toArray(), out.hN().value().toArray(),
                    out.cN() == null ? new float[0] : out.cN().value().toArray()};
        }
    }

    /**
     * The graphs of resident layers: a second shape captures its own; a device that cannot capture
     * gives the same outputs through the direct loop on the same buffers; the plain per-call path
     * captures nothing.
     */
    @Test
    void residentLayersCaptureAGraphPerShapeAndFallBackWhenCaptureFails() {
        for (CellMode mode : CellMode.values()) {
            RecurrentConfig c = RecurrentConfig.of(mode, 4, 6).withLayers(2).withBidirectional(mode == CellMode.GRU);
            for (boolean refused : new boolean[]{false, true}) {
                EmulatedGpuDevice device = new EmulatedGpuDevice();
                device.setCaptureRefused(refused);
                device.setPersistentLimits(NO_PERSISTENT);   // this test is about the graphs
                try (GpuContext gpu = new GpuContext(device); Recurrent model = Recurrent.create(c, 5);
                     TensorArena a = TensorArena.open("test")) {
                    SplittableRandom rng = new SplittableRandom(6);
                    RecurrentExecution.Gpu perCall = (RecurrentExecution.Gpu) RecurrentExecution.gpu(gpu);
                    // {T, B} and the lengths: the first pass of a shape runs directly, the second captures and
                    // replays, the third replays, each with new inputs and lengths
                    int[][] shapes = {{5, 3}, {1, 1}, {5, 3}, {5, 3}}, allLengths = {{5, 1, 3}, null, {2, 5, 4}, {4, 4, 1}};
                    for (int p = 0; p < shapes.length; p++) {
                        int[] shape = shapes[p], lengths = allLengths[p];
                        Tensor x = a.empty(shape[0], shape[1], 4);
                        for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextGaussian());
                        float[][] expected = outputs(model, x, lengths, perCall);
                        float[][] got = outputs(model, x, lengths, perCall.withResidentWeights());
                        for (int k = 0; k < 2; k++) {
                            assertThat(got[k]).as("%s %s refused=%s output %d", mode, java.util.Arrays.toString(shape),
                                    refused, k).containsExactly(expected[k]);
                        }
                    }
                    int directions = c.numLayers() * c.directions();
                    assertThat(device.graphsCaptured()).as("%s refused=%s", mode, refused).isEqualTo(refused ? 0 : directions);
                    assertThat(device.graphsReplayed()).isEqualTo(refused ? 0 : 2 * directions);
                }
                assertThat(device.liveAllocations()).isZero();
            }
        }
    }

    /**
     * The persistent kernels for resident inference: a shape the plan accepts is one cooperative
     * launch per layer direction, within float32 rounding of the per-call path (the twin's GEMM
     * sums in another order than the emulated cuBLAS); a shape the plan refuses, or whose launch
     * fails, goes through the graphs. The path is opted in (-Drecur.gpu.persistent=true).
     */
    @Test
    void residentLayersRunTheShapesThePlanAcceptsAsOnePersistentLaunch() {
        System.setProperty(RecurrentExecution.Gpu.PERSISTENT_PROPERTY, "true");   // opt-in until run on a GPU
        try {
            persistentLaunchesAndFallbacks();
        } finally {
            System.clearProperty(RecurrentExecution.Gpu.PERSISTENT_PROPERTY);
        }
    }

    private void persistentLaunchesAndFallbacks() {
        for (CellMode mode : CellMode.values()) {
            RecurrentConfig c = RecurrentConfig.of(mode, 4, 6).withLayers(2).withBidirectional(true);
            EmulatedGpuDevice device = new EmulatedGpuDevice();
            try (GpuContext gpu = new GpuContext(device); Recurrent model = Recurrent.create(c, 8);
                 TensorArena a = TensorArena.open("test")) {
                SplittableRandom rng = new SplittableRandom(9);
                Tensor x = a.empty(5, 3, 4);
                for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextGaussian());
                int[] lengths = {5, 2, 4};
                RecurrentExecution.Gpu perCall = (RecurrentExecution.Gpu) RecurrentExecution.gpu(gpu);
                float[][] expected = outputs(model, x, lengths, perCall);
                float[][] got = outputs(model, x, lengths, perCall.withResidentWeights());
                for (int k = 0; k < 2; k++) {
                    assertThat(dev.recur.engine.tensor.RelativeError.l2(got[k], expected[k])).as("%s output %d", mode, k)
                            .isLessThan(1e-6);
                }
                assertThat(device.cooperativeLaunches()).as(mode.id()).isEqualTo(4);
                assertThat(device.graphsCaptured()).isZero();
            }
            // The plan refuses (no cooperative launch), or the launch fails: the graphs run the shape instead.
            for (boolean launchFails : new boolean[]{false, true}) {
                EmulatedGpuDevice other = new EmulatedGpuDevice();
                if (launchFails) other.setCooperativeLaunchRefused(true);
                else other.setPersistentLimits(NO_PERSISTENT);
                try (GpuContext gpu = new GpuContext(other); Recurrent model = Recurrent.create(c, 8);
                     TensorArena a = TensorArena.open("test")) {
                    Tensor x = a.empty(5, 3, 4);
                    SplittableRandom rng = new SplittableRandom(10);
                    for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextGaussian());
                    RecurrentExecution.Gpu perCall = (RecurrentExecution.Gpu) RecurrentExecution.gpu(gpu);
                    float[][] expected = outputs(model, x, null, perCall);
                    RecurrentExecution resident = perCall.withResidentWeights();
                    // a failed launch's pass runs the plain loop; the graph path's first pass then runs
                    // directly and its second captures the graphs
                    for (int pass = 0; pass < 3; pass++) {
                        float[][] got = outputs(model, x, null, resident);
                        assertThat(got[0]).as("%s launchFails=%s", mode, launchFails).containsExactly(expected[0]);
                    }
                    assertThat(other.cooperativeLaunches()).isZero();
                    assertThat(other.graphsCaptured()).isEqualTo(4);
                }
            }
        }
    }

    /** A resident layer keeps graphs for its most recent shapes only: a service's varying lengths free the old ones. */
    @Test
    void aResidentLayerKeepsBuffersForItsRecentShapesOnly() {
        int batch = 8, hidden = 64;
        RecurrentConfig c = RecurrentConfig.of(CellMode.GRU, 2, hidden);
        EmulatedGpuDevice device = new EmulatedGpuDevice();
        device.setPersistentLimits(NO_PERSISTENT);
        try (GpuContext gpu = new GpuContext(device); Recurrent model = Recurrent.create(c, 4);
             TensorArena a = TensorArena.open("test")) {
            RecurrentExecution resident = ((RecurrentExecution.Gpu) RecurrentExecution.gpu(gpu)).withResidentWeights();
            long everyShape = 0;   // Gx [T, B, 3H] and y [T, B, H] of all 40 lengths, were they all kept
            for (int steps = 1; steps <= 40; steps++) {
                outputs(model, a.zeros(steps, batch, 2), null, resident);
                outputs(model, a.zeros(steps, batch, 2), null, resident);   // the second pass captures
                everyShape += (long) steps * batch * 4 * hidden * Float.BYTES;
            }
            assertThat(device.graphsCaptured()).isEqualTo(40);
            assertThat(gpu.memory().bytesInUse()).as("8 shapes kept of 40").isLessThan(everyShape / 2);
            gpu.forgetResident();
            assertThat(gpu.memory().bytesInUse()).isZero();
        }
    }
}
