package dev.recur.engine.cli.gpucheck;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One configuration of a recurrent stack run on a GPU device and on the CPU engine, on the same
 * fresh random inputs (NaN in padded steps), compared by relative L2: the outputs within 1e-5,
 * every gradient (input, h0, c0, each parameter) within 1e-4. Run by {@code recur gpu-check} on a
 * GPU host, and by the emulated and the CUDA tests.
 *
 * <p>An output's error is taken relative to its L2 norm, but to no less than
 * {@link #FORWARD_FLOOR} per element: a state is a sum of gated terms of magnitude up to about 1,
 * each correct to a few ulps (1e-7), and where they cancel to a tiny output (a single unit of
 * H = 1 at 1e-3, say) that output is still correct to 1e-7 absolute, but only to 1e-4 of itself.
 */
public final class LayerCheck {
    public static final double FORWARD_BAR = 1e-5, GRADIENT_BAR = 1e-4;
    /** The smallest root-mean-square output an output's error is taken relative to. */
    static final double FORWARD_FLOOR = 1e-2;

    /** A stack configuration and the data's sizes. */
    public record Case(RecurrentConfig config, int steps, int batch, boolean withLengths, boolean withInitialState) {
        @Override
        public String toString() {
            RecurrentConfig c = config;
            return c.mode().id() + " L" + c.numLayers() + (c.bidirectional() ? " bidir" : "") + (c.bias() ? "" : " no-bias")
                    + (c.batchFirst() ? " batch-first" : "") + (c.projSize() > 0 ? " proj " + c.projSize() : "")
                    + " T" + steps + " B" + batch + " I" + c.inputSize() + " H" + c.hiddenSize()
                    + (withLengths ? " lengths" : "") + (withInitialState ? " h0/c0" : "");
        }
    }

    public static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (CellMode mode : CellMode.values()) {
            cases.add(new Case(RecurrentConfig.of(mode, 3, 5), 17, 3, false, false));
            cases.add(new Case(RecurrentConfig.of(mode, 17, 3).withLayers(2)
                    .withBidirectional(true), 17, 3, true, true));
            cases.add(new Case(RecurrentConfig.of(mode, 1, 17).withBidirectional(true).withBias(false)
                    .withBatchFirst(true), 3, 17, true, true));
            cases.add(new Case(RecurrentConfig.of(mode, 1, 1).withLayers(2), 1, 1, false, true));
        }
        cases.add(new Case(RecurrentConfig.of(CellMode.LSTM, 3, 5).withLayers(2).withBidirectional(true)
                .withProjSize(2), 17, 3, true, true));
        cases.add(new Case(RecurrentConfig.of(CellMode.LSTM, 17, 3).withBatchFirst(true)
                .withProjSize(1), 3, 17, false, false));
        cases.add(new Case(RecurrentConfig.of(CellMode.LSTM, 3, 17).withLayers(2).withBias(false)
                .withProjSize(3), 1, 3, true, true));
        return cases;
    }

    /** Everything compared: outputs and gradients by name. */
    record Results(Map<String, float[]> forward, Map<String, float[]> gradients) {
    }

    private LayerCheck() {
    }

    private static Tensor random(TensorArena a, SplittableRandom rng, int... shape) {
        Tensor t = a.empty(shape);
        for (long i = 0; i < t.size(); i++) t.set(i, (float) rng.nextGaussian());
        return t;
    }

    /**
     * Runs the case on the CPU engine and through {@link RecurrentExecution#gpu} on {@code gpu}'s
     * device; returns the worst forward and gradient errors, each entry named.
     */
    public static Map<String, Double> compare(GpuContext gpu, Case k, long seed) {
        RecurrentConfig c = k.config();
        SplittableRandom rng = new SplittableRandom(seed);
        int layersDirs = c.numLayers() * c.directions(), width = c.directions() * c.outputSize();
        try (Recurrent model = Recurrent.create(c, rng.nextLong()); TensorArena a = TensorArena.open("gpu check")) {
            int[] lengths = null;
            if (k.withLengths()) {
                lengths = new int[k.batch()];
                for (int b = 0; b < k.batch(); b++) lengths[b] = 1 + rng.nextInt(k.steps());
                lengths[rng.nextInt(k.batch())] = k.steps();
            }
            Tensor x = c.batchFirst() ? random(a, rng, k.batch(), k.steps(), c.inputSize()) : random(a, rng, k.steps(), k.batch(), c.inputSize());
            if (lengths != null) {
                // Garbage in the padding: it must reach nothing.
                for (int t = 0; t < k.steps(); t++) {
                    for (int b = 0; b < k.batch(); b++) {
                        if (t < lengths[b]) continue;
                        long row = c.batchFirst() ? (long) b * k.steps() + t : (long) t * k.batch() + b;
                        for (int i = 0; i < c.inputSize(); i++) x.set(row * c.inputSize() + i, Float.NaN);
                    }
                }
            }
            Tensor h0 = k.withInitialState() ? random(a, rng, layersDirs, k.batch(), c.outputSize()) : null;
            Tensor c0 = k.withInitialState() && c.mode() == CellMode.LSTM ? random(a, rng, layersDirs, k.batch(), c.hiddenSize()) : null;
            Tensor dOut = c.batchFirst() ? random(a, rng, k.batch(), k.steps(), width) : random(a, rng, k.steps(), k.batch(), width);
            Tensor dhN = random(a, rng, layersDirs, k.batch(), c.outputSize());
            Tensor dcN = c.mode() == CellMode.LSTM ? random(a, rng, layersDirs, k.batch(), c.hiddenSize()) : null;

            Results cpu = training(model, RecurrentExecution.FUSED, x, lengths, h0, c0, dOut, dhN, dcN);
            Results device = training(model, RecurrentExecution.gpu(gpu), x, lengths, h0, c0, dOut, dhN, dcN);
            // Inference (a 2-slot ring, no kept activations) must give the same forward.
            inference(model, RecurrentExecution.gpu(gpu), x, lengths, h0, c0)
                    .forEach((name, values) -> device.forward().put(name + " (inference)", values));
            Map<String, Double> errors = new LinkedHashMap<>();
            device.forward().forEach((name, values) -> errors.put(name,
                    RelativeError.l2(values, cpu.forward().get(name.replace(" (inference)", "")), FORWARD_FLOOR)));
            cpu.gradients().forEach((name, values) -> errors.put("grad." + name, device.gradients().containsKey(name)
                    ? RelativeError.l2(device.gradients().get(name), values) : Double.POSITIVE_INFINITY));
            return errors;
        }
    }

    /** Forward and backward on a training graph (naive CPU kernels around the layers). */
    static Results training(Recurrent model, RecurrentExecution execution, Tensor x, int[] lengths, Tensor h0, Tensor c0,
                            Tensor dOut, Tensor dhN, Tensor dcN) {
        model.zeroGrad();
        Map<String, float[]> forward = new LinkedHashMap<>(), gradients = new LinkedHashMap<>();
        try (Graph g = Graph.training(KernelProvider.naive())) {
            Var xs = g.variable(g.arena().copyOf(x));
            Var h0v = h0 == null ? null : g.variable(g.arena().copyOf(h0));
            Var c0v = c0 == null ? null : g.variable(g.arena().copyOf(c0));
            Recurrent.Output out = model.forward(g, xs, lengths, h0v, c0v, execution);
            forward.put("output", out.output().value().toArray());
            forward.put("h_n", out.hN().value().toArray());
            if (out.cN() != null) forward.put("c_n", out.cN().value().toArray());
            List<Var> outs = new ArrayList<>(List.of(out.output(), out.hN()));
            List<Tensor> seeds = new ArrayList<>(List.of(dOut, dhN));
            if (out.cN() != null) {
                outs.add(out.cN());
                seeds.add(dcN);
            }
            g.backward(outs.toArray(Var[]::new), seeds.toArray(Tensor[]::new));
            gradients.put("input", xs.grad().toArray());
            if (h0v != null) gradients.put("h0", h0v.grad().toArray());
            if (c0v != null) gradients.put("c0", c0v.grad().toArray());
            for (Parameter p : model.parameters()) gradients.put(p.name(), p.grad().toArray());
        }
        return new Results(forward, gradients);
    }

    /** The forward alone on an inference graph: output, h_n and c_n by name. */
    static Map<String, float[]> inference(Recurrent model, RecurrentExecution execution, Tensor x, int[] lengths,
                                          Tensor h0, Tensor c0) {
        Map<String, float[]> forward = new LinkedHashMap<>();
        try (Graph g = Graph.inference(KernelProvider.naive())) {
            Recurrent.Output out = model.forward(g, g.constant(x), lengths, h0 == null ? null : g.constant(h0),
                    c0 == null ? null : g.constant(c0), execution);
            forward.put("output", out.output().value().toArray());
            forward.put("h_n", out.hN().value().toArray());
            if (out.cN() != null) forward.put("c_n", out.cN().value().toArray());
        }
        return forward;
    }

    /** The entries over their bar, as lines; empty when everything passed. */
    public static List<String> failures(Map<String, Double> errors) {
        List<String> failed = new ArrayList<>();
        errors.forEach((name, err) -> {
            double bar = name.startsWith("grad.") ? GRADIENT_BAR : FORWARD_BAR;
            if (!(err <= bar)) failed.add(name + ": " + err + " (bar " + bar + ")");
        });
        return failed;
    }
}
