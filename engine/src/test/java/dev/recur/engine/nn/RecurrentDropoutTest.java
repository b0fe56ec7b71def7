package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** PyTorch's inter-layer dropout: between stacked layers only, and only when training. */
class RecurrentDropoutTest {
    private static float[] output(Recurrent model, boolean training, float dropout) {
        try (Graph g = training ? Graph.training(KernelProvider.vector()) : Graph.inference(KernelProvider.vector())) {
            Tensor x = g.arena().empty(6, 3, 4);
            SplittableRandom data = new SplittableRandom(5);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) data.nextDouble(-1, 1));
            return model.forward(g, g.variable(x), null, null, null, RecurrentExecution.FUSED, dropout,
                    new SplittableRandom(9)).output().value().toArray();
        }
    }

    @Test
    void dropoutActsBetweenLayersWhenTrainingOnly() {
        RecurrentConfig oneLayer = RecurrentConfig.of(CellMode.GRU, 4, 8);
        try (Recurrent single = Recurrent.create(oneLayer, 3); Recurrent stacked = Recurrent.create(oneLayer.withLayers(2), 3)) {
            // One layer: nothing sits between layers, so dropout changes nothing.
            assertThat(output(single, true, 0.5f)).containsExactly(output(single, true, 0f));
            // Inference ignores dropout.
            assertThat(output(stacked, false, 0.5f)).containsExactly(output(stacked, false, 0f));
            // Training with two layers: the second layer sees a dropped-out input.
            assertThat(output(stacked, true, 0.5f)).isNotEqualTo(output(stacked, true, 0f));
        }
    }
}
