package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link RecurrentExecution#gpu} on the emulated device: device memory reused across passes, bad inputs refused. */
class GpuExecutionEmulatedTest {

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
}
