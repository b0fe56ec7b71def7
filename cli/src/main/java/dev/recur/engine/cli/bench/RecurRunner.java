package dev.recur.engine.cli.bench;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Reductions;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.SplittableRandom;

/**
 * Times Recur on one shape through the public API only, so that engine speed-ups show here by
 * themselves, with the recurrent layers run by the given {@link RecurrentExecution} (the fused
 * CPU layer, the textbook reference, or a GPU device). The model (PyTorch's default
 * initialisation, seed 42) and the input [T,B,I] (uniform in ±1, seed 7) are made once, outside
 * the timing. One timed run is what a user pays:
 *
 * <ul>
 *   <li>inference: create an inference {@link Graph}, {@link Recurrent#forward}, close the graph;</li>
 *   <li>training: zero the parameters' gradients, create a training graph, forward,
 *       loss = {@link Reductions#sum} of the output, {@code backward(loss)} (the gradients are then
 *       in {@code model.parameters()}), close the graph. The input needs no gradient, as in the
 *       PyTorch peer.</li>
 * </ul>
 * On a GPU the graph's values live on the host, so a run also moves each layer direction's input
 * and outputs (and, training, its weights and gradients) between host and device; its copies back
 * are synchronous, so a run ends with the device's work done. Inference keeps the weights on the
 * device ({@link RecurrentExecution.Gpu#withResidentWeights}), as a service holding a model
 * would: uploaded by the first run, forgotten when the shape is done.
 */
final class RecurRunner {
    private RecurRunner() {
    }

    static Sampler.Timing measure(BenchShape s, Kernels kernels, RecurrentExecution execution, Sampler sampler) {
        if (s.mode() == BenchShape.Mode.INFERENCE && execution instanceof RecurrentExecution.Gpu gpu) {
            try {
                return run(s, kernels, gpu.withResidentWeights(), sampler);
            } finally {
                gpu.context().forgetResident();   // the next shape's model may reuse these host addresses
            }
        }
        return run(s, kernels, execution, sampler);
    }

    private static Sampler.Timing run(BenchShape s, Kernels kernels, RecurrentExecution execution, Sampler sampler) {
        RecurrentConfig config = RecurrentConfig.of(s.cell(), s.input(), s.hidden()).withLayers(s.layers())
                .withBidirectional(s.bidirectional());
        try (Recurrent model = Recurrent.create(config, 42); TensorArena data = TensorArena.open("bench input")) {
            Tensor x = data.empty(s.steps(), s.batch(), s.input());
            SplittableRandom rng = new SplittableRandom(7);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) rng.nextDouble(-1, 1));
            Runnable run = switch (s.mode()) {
                case INFERENCE -> () -> {
                    // as a service's call (InferenceModel): no liveness handshake when the graph closes
                    try (Graph g = Graph.inferenceUnchecked(kernels)) {
                        model.forward(g, g.constant(x), null, null, null, execution);
                    }
                };
                case TRAINING -> () -> {
                    model.zeroGrad();
                    try (Graph g = Graph.training(kernels)) {
                        Recurrent.Output out = model.forward(g, g.constant(x), null, null, null, execution);
                        g.backward(Reductions.sum(out.output()));
                    }
                };
            };
            return sampler.measure(run);
        }
    }
}
