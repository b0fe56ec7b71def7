package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** One loaded model used from 8 threads at once gives exactly the results of sequential calls; so do its directions side by side. */
class ConcurrentInferenceTest {
    static final int THREADS = 8;

    @Test
    void eightThreadsMatchSequentialCalls() throws Exception {
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, 17, 33).withLayers(2).withBidirectional(true);
        long seed = System.nanoTime();
        try (Recurrent model = Recurrent.create(config, seed); TensorArena inputs = TensorArena.open("inputs")) {
            SplittableRandom rng = new SplittableRandom(seed);
            List<Tensor> xs = new ArrayList<>();
            List<int[]> lengths = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                int steps = 5 + i, batch = 1 + i % 4;
                Tensor x = inputs.empty(steps, batch, 17);
                for (long j = 0; j < x.size(); j++) x.set(j, (float) rng.nextDouble(-1, 1));
                xs.add(x);
                int[] len = new int[batch];
                for (int b = 0; b < batch; b++) len[b] = 1 + rng.nextInt(steps);
                lengths.add(len);
            }
            List<float[]> sequential = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) sequential.add(run(model, xs.get(i), lengths.get(i)));

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<float[]>>> futures = new ArrayList<>();
                for (int i = 0; i < THREADS; i++) {
                    int idx = i;
                    futures.add(pool.submit(() -> {
                        start.await();
                        List<float[]> outs = new ArrayList<>();
                        for (int rep = 0; rep < 20; rep++) outs.add(run(model, xs.get(idx), lengths.get(idx)));
                        return outs;
                    }));
                }
                start.countDown();
                for (int i = 0; i < THREADS; i++) {
                    for (float[] out : futures.get(i).get()) {
                        assertThat(out).as("thread %d (seed %d)", i, seed).containsExactly(sequential.get(i));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * An inference graph runs a bidirectional layer's directions side by side (each on one
     * thread, on a machine of two), a training graph one after another: the same numbers, bit
     * for bit, with lengths and initial states, and for a projected LSTM and a GRU.
     */
    @Test
    void directionsSideBySideMatchOneAfterAnother() {
        long seed = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seed);
        for (RecurrentConfig config : new RecurrentConfig[]{
                RecurrentConfig.of(CellMode.LSTM, 17, 33).withLayers(2).withBidirectional(true).withProjSize(5),
                RecurrentConfig.of(CellMode.GRU, 3, 255).withBidirectional(true)}) {
            try (Recurrent model = Recurrent.create(config, seed); TensorArena inputs = TensorArena.open("inputs")) {
                int steps = 13, batch = 3, layersDirs = config.numLayers() * 2;
                Tensor x = inputs.empty(steps, batch, config.inputSize());
                Tensor h0 = inputs.empty(layersDirs, batch, config.outputSize());
                Tensor c0 = config.mode() == CellMode.LSTM ? inputs.empty(layersDirs, batch, config.hiddenSize()) : null;
                for (Tensor t : new Tensor[]{x, h0, c0}) {
                    for (long j = 0; t != null && j < t.size(); j++) t.set(j, (float) rng.nextDouble(-1, 1));
                }
                int[] lengths = {13, 1, 7};
                float[][] byGraph = new float[2][];
                for (int recording = 0; recording < 2; recording++) {
                    try (Graph g = recording == 1 ? Graph.training(KernelProvider.vector()) : Graph.inference(KernelProvider.vector())) {
                        Recurrent.Output out = model.forward(g, g.constant(x), lengths, g.constant(h0),
                                c0 == null ? null : g.constant(c0), RecurrentExecution.FUSED);
                        float[] y = out.output().value().toArray(), h = out.hN().value().toArray();
                        float[] c = out.cN() == null ? new float[0] : out.cN().value().toArray();
                        float[] all = new float[y.length + h.length + c.length];
                        System.arraycopy(y, 0, all, 0, y.length);
                        System.arraycopy(h, 0, all, y.length, h.length);
                        System.arraycopy(c, 0, all, y.length + h.length, c.length);
                        byGraph[recording] = all;
                    }
                }
                assertThat(byGraph[0]).as("%s (seed %d)", config.mode(), seed).containsExactly(byGraph[1]);
            }
        }
    }

    private static float[] run(Recurrent model, Tensor x, int[] lengths) {
        try (Graph g = Graph.inference(KernelProvider.vector())) {
            Recurrent.Output out = model.forward(g, g.constant(x), lengths, null, null, RecurrentExecution.FUSED);
            float[] y = out.output().value().toArray(), h = out.hN().value().toArray(), c = out.cN().value().toArray();
            float[] all = new float[y.length + h.length + c.length];
            System.arraycopy(y, 0, all, 0, y.length);
            System.arraycopy(h, 0, all, y.length, h.length);
            System.arraycopy(c, 0, all, y.length + h.length, c.length);
            return all;
        }
    }
}
