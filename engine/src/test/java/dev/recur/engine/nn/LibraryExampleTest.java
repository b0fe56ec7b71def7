package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Reductions;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The training example of docs/library.md ("From Java"), kept compiling and running. */
class LibraryExampleTest {
    @Test
    void libraryExampleRuns() {
        try (Recurrent lstm = Recurrent.create(RecurrentConfig.of(CellMode.LSTM, 8, 16).withLayers(2)
                .withBidirectional(true), 42);
             Graph g = Graph.training(KernelProvider.defaultKernels())) {
            Var x = g.variable(g.arena().zeros(20, 4, 8));                  // [T, B, I]
            Recurrent.Output out = lstm.forward(g, x, new int[]{20, 7, 13, 1}, null, null, RecurrentExecution.FUSED);
            g.backward(Reductions.sum(out.output()));                        // gradients land in lstm.parameters()

            assertThat(out.output().shape()).containsExactly(20, 4, 32);
            assertThat(out.hN().shape()).containsExactly(4, 4, 16);
            assertThat(lstm.parameter("weight_hh_l1_reverse").grad().toArray()).isNotEqualTo(new float[16 * 4 * 16]);
        }
    }
}
