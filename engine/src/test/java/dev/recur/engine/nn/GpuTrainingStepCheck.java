package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Elementwise;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Reductions;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import dev.recur.engine.train.SGD;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training steps of a small model (a 2-layer bidirectional recurrent stack with dropout between
 * the layers, a Linear head, MSE plus terms on h_n and c_n) on a training graph whose recurrent
 * layers run on a GPU device ({@link RecurrentExecution#gpu}) and on one that runs all on the CPU, from the
 * same weights and data (lengths, NaN in the padding, h0/c0): loss and every gradient (input, h0,
 * c0, each parameter of the stack and of the head) compared by relative L2, the loss relative to
 * the sum of its terms' magnitudes. Two steps with an
 * SGD update between them, so weights left stale on the device would show in the second; the
 * second does not zero the gradients first, so its parameter gradients are the sum of both steps'
 * (an op that overwrote instead of accumulating would show there).
 */
final class GpuTrainingStepCheck {
    static final double LOSS_BAR = 1e-5, GRADIENT_BAR = 1e-4;
    static final int STEPS = 2;

    record Case(RecurrentConfig config, int steps, int batch) {
        @Override
        public String toString() {
            RecurrentConfig c = config;
            return c.mode().id() + " L" + c.numLayers() + (c.bidirectional() ? " bidir" : "")
                    + (c.batchFirst() ? " batch-first" : "") + (c.projSize() > 0 ? " proj " + c.projSize() : "")
                    + " T" + steps + " B" + batch + " I" + c.inputSize() + " H" + c.hiddenSize() + " lengths h0/c0";
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case(RecurrentConfig.of(CellMode.LSTM, 5, 6).withLayers(2).withBidirectional(true), 7, 4),
                new Case(RecurrentConfig.of(CellMode.LSTM, 5, 6).withLayers(2).withBidirectional(true)
                        .withProjSize(3), 7, 4),
                new Case(RecurrentConfig.of(CellMode.GRU, 5, 6).withLayers(2).withBidirectional(true)
                        .withBatchFirst(true), 7, 4),
                new Case(RecurrentConfig.of(CellMode.RNN_TANH, 5, 6).withLayers(2).withBidirectional(true), 7, 4),
                new Case(RecurrentConfig.of(CellMode.RNN_RELU, 5, 6).withLayers(2).withBidirectional(true), 7, 4));
    }

    private GpuTrainingStepCheck() {
    }

    /**
     * What one step gives: the loss, the sum of its terms' magnitudes (mse + 0.1·Σ|h_n·r| ...: the
     * terms can cancel, and a loss near zero would make any difference look large relative to
     * it), and every gradient by name.
     */
    private record StepResult(double loss, double lossScale, Map<String, float[]> gradients, int gpuOps) {
    }

    private static Tensor random(TensorArena a, SplittableRandom rng, int... shape) {
        Tensor t = a.empty(shape);
        for (long i = 0; i < t.size(); i++) t.set(i, (float) rng.nextGaussian());
        return t;
    }

    /**
     * Runs {@link #STEPS} steps on {@code gpu} and on the CPU; returns every compared quantity's
     * relative L2 error, named "step N loss" / "step N grad.NAME", and "step N gpu ops" (the
     * number of recurrent layer directions the GPU graph ran on the device, as a double).
     */
    static Map<String, Double> compare(GpuContext gpu, Case k, long seed) {
        RecurrentConfig c = k.config();
        SplittableRandom rng = new SplittableRandom(seed);
        long modelSeed = rng.nextLong(), headSeed = rng.nextLong();
        int layersDirs = c.numLayers() * c.directions(), width = c.directions() * c.outputSize();
        Kernels kernels = KernelProvider.naive();
        Map<String, Double> errors = new LinkedHashMap<>();
        try (Recurrent cpuModel = Recurrent.create(c, modelSeed); Recurrent gpuModel = Recurrent.create(c, modelSeed);
             Linear cpuHead = new Linear("head.", width, 2, headSeed); Linear gpuHead = new Linear("head.", width, 2, headSeed);
             TensorArena a = TensorArena.open("gpu training step check");
             SGD cpuSgd = new SGD(parameters(cpuModel, cpuHead), SGD.Options.defaults().withLr(0.5));
             SGD gpuSgd = new SGD(parameters(gpuModel, gpuHead), SGD.Options.defaults().withLr(0.5))) {
            int[] lengths = new int[k.batch()];
            for (int b = 0; b < k.batch(); b++) lengths[b] = 1 + rng.nextInt(k.steps());
            lengths[rng.nextInt(k.batch())] = k.steps();
            int[] xShape = c.batchFirst() ? new int[]{k.batch(), k.steps(), c.inputSize()} : new int[]{k.steps(), k.batch(), c.inputSize()};
            Tensor x = random(a, rng, xShape);
            for (int t = 0; t < k.steps(); t++) {
                for (int b = 0; b < k.batch(); b++) {
                    if (t < lengths[b]) continue;   // garbage in the padding: it must reach nothing
                    long row = c.batchFirst() ? (long) b * k.steps() + t : (long) t * k.batch() + b;
                    for (int i = 0; i < c.inputSize(); i++) x.set(row * c.inputSize() + i, Float.NaN);
                }
            }
            Tensor h0 = random(a, rng, layersDirs, k.batch(), c.outputSize());
            Tensor c0 = c.mode() == CellMode.LSTM ? random(a, rng, layersDirs, k.batch(), c.hiddenSize()) : null;
            int[] targetShape = c.batchFirst() ? new int[]{k.batch(), k.steps(), 2} : new int[]{k.steps(), k.batch(), 2};
            Tensor target = random(a, rng, targetShape);
            Tensor rh = random(a, rng, layersDirs, k.batch(), c.outputSize());
            Tensor rc = c0 == null ? null : random(a, rng, layersDirs, k.batch(), c.hiddenSize());
            for (int step = 1; step <= STEPS; step++) {
                long dropoutSeed = rng.nextLong();
                boolean zeroGrad = step == 1;
                StepResult cpu = step(cpuModel, cpuHead, null, kernels, x, lengths, h0, c0, target, rh, rc, dropoutSeed, zeroGrad);
                StepResult dev = step(gpuModel, gpuHead, gpu, kernels, x, lengths, h0, c0, target, rh, rc, dropoutSeed, zeroGrad);
                errors.put("step " + step + " loss", Math.abs(dev.loss() - cpu.loss()) / cpu.lossScale());
                for (var e : cpu.gradients().entrySet()) {
                    float[] got = dev.gradients().get(e.getKey());
                    errors.put("step " + step + " grad." + e.getKey(),
                            got == null ? Double.POSITIVE_INFINITY : RelativeError.l2(got, e.getValue()));
                }
                errors.put("step " + step + " gpu ops", (double) dev.gpuOps());
                cpuSgd.step();
                gpuSgd.step();
            }
        }
        return errors;
    }

    /**
     * The same model on an INFERENCE graph ({@code RecurrentExecution.gpu(gpu)} on {@code Graph.inference(kernels)}: the op keeps
     * nothing, records nothing) against the CPU: output, h_n and c_n relative L2; "tape" is the
     * GPU graph's tape size (0 expected).
     */
    static Map<String, Double> compareInference(GpuContext gpu, Case k, long seed) {
        RecurrentConfig c = k.config();
        SplittableRandom rng = new SplittableRandom(seed);
        int layersDirs = c.numLayers() * c.directions();
        Map<String, Double> errors = new LinkedHashMap<>();
        try (Recurrent model = Recurrent.create(c, rng.nextLong()); TensorArena a = TensorArena.open("inference check")) {
            int[] lengths = new int[k.batch()];
            for (int b = 0; b < k.batch(); b++) lengths[b] = 1 + rng.nextInt(k.steps());
            Tensor x = c.batchFirst() ? random(a, rng, k.batch(), k.steps(), c.inputSize()) : random(a, rng, k.steps(), k.batch(), c.inputSize());
            Tensor h0 = random(a, rng, layersDirs, k.batch(), c.outputSize());
            Tensor c0 = c.mode() == CellMode.LSTM ? random(a, rng, layersDirs, k.batch(), c.hiddenSize()) : null;
            Map<String, float[]> cpu = new LinkedHashMap<>(), dev = new LinkedHashMap<>();
            for (GpuContext on : new GpuContext[]{null, gpu}) {
                Map<String, float[]> into = on == null ? cpu : dev;
                try (Graph g = Graph.inference(KernelProvider.naive())) {
                    Recurrent.Output out = model.forward(g, g.constant(x), lengths, g.constant(h0),
                            c0 == null ? null : g.constant(c0), on == null ? RecurrentExecution.FUSED : RecurrentExecution.gpu(on));
                    into.put("output", out.output().value().toArray());
                    into.put("h_n", out.hN().value().toArray());
                    if (out.cN() != null) into.put("c_n", out.cN().value().toArray());
                    if (on != null) errors.put("tape", (double) g.tapeSize());
                }
            }
            cpu.forEach((name, values) -> errors.put(name, RelativeError.l2(dev.get(name), values)));
        }
        return errors;
    }

    private static List<Parameter> parameters(Recurrent model, Linear head) {
        List<Parameter> all = new ArrayList<>(model.parameters());
        all.addAll(head.parameters());
        return all;
    }

    private static StepResult step(Recurrent model, Linear head, GpuContext gpu, Kernels kernels, Tensor x, int[] lengths,
                                   Tensor h0, Tensor c0, Tensor target, Tensor rh, Tensor rc, long dropoutSeed,
                                   boolean zeroGrad) {
        if (zeroGrad) {
            model.zeroGrad();
            head.parameters().forEach(Parameter::zeroGrad);
        }
        Map<String, float[]> gradients = new LinkedHashMap<>();
        try (Graph g = Graph.training(kernels)) {
            Var xs = g.variable(g.arena().copyOf(x));
            Var h0v = g.variable(g.arena().copyOf(h0));
            Var c0v = c0 == null ? null : g.variable(g.arena().copyOf(c0));
            RecurrentExecution execution = gpu == null ? RecurrentExecution.FUSED : RecurrentExecution.gpu(gpu);
            Recurrent.Output out = model.forward(g, xs, lengths, h0v, c0v, execution, 0.25f,
                    new SplittableRandom(dropoutSeed));
            Var loss = Losses.mse(head.forward(g, out.output()), g.constant(target));
            double lossScale = Math.abs(loss.value().get(0)) + 0.1 * sumOfAbsoluteProducts(out.hN().value(), rh);
            loss = Elementwise.add(loss, Elementwise.scale(Reductions.sum(Elementwise.mul(out.hN(), g.constant(rh))), 0.1f));
            if (out.cN() != null) {
                lossScale += 0.1 * sumOfAbsoluteProducts(out.cN().value(), rc);
                loss = Elementwise.add(loss, Elementwise.scale(Reductions.sum(Elementwise.mul(out.cN(), g.constant(rc))), 0.1f));
            }
            g.backward(loss);
            gradients.put("input", xs.grad().toArray());
            gradients.put("h0", h0v.grad().toArray());
            if (c0v != null) gradients.put("c0", c0v.grad().toArray());
            for (Parameter p : parameters(model, head)) gradients.put(p.name(), p.grad().toArray());
            int gpuOps = (int) g.tapeOps().stream().filter(op -> op.endsWith("(gpu)")).count();
            return new StepResult(loss.value().get(0), lossScale, gradients, gpuOps);
        }
    }

    private static double sumOfAbsoluteProducts(Tensor a, Tensor b) {
        double sum = 0;
        for (long i = 0; i < a.size(); i++) sum += Math.abs((double) a.get(i) * b.get(i));
        return sum;
    }

    /** The entries over their bar, as lines; empty when everything passed. {@code layerDirections}: gpu ops expected per step. */
    static List<String> failures(Map<String, Double> errors, int layerDirections) {
        List<String> failed = new ArrayList<>();
        errors.forEach((name, err) -> {
            if (name.endsWith("gpu ops")) {
                if (err != layerDirections) failed.add(name + ": " + err.intValue() + ", expected " + layerDirections);
                return;
            }
            double bar = name.endsWith("loss") ? LOSS_BAR : GRADIENT_BAR;
            if (!(err <= bar)) failed.add(name + ": " + err + " (bar " + bar + ")");
        });
        return failed;
    }
}
