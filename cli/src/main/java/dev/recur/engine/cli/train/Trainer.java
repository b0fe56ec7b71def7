package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.Charts;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.train.Checkpoint;
import dev.recur.engine.train.GradientClipping;
import dev.recur.engine.train.Optimizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training loop of {@code recur train}: per step, zero the gradients, build the task's loss on a
 * fresh training graph, backward, clip by global norm, optimizer step, schedule step. Every
 * {@code logEvery} steps a row goes to metrics.csv; every {@code evalEvery} steps (and at the end)
 * the task is evaluated on its validation split, metrics.json, curves.png and the checkpoint are
 * rewritten (each atomically), so a run killed at any point leaves a consistent output folder and
 * {@code --resume} continues it exactly.
 */
public final class Trainer {
    /** The loop's settings (what the common flags give). */
    public record Settings(long steps, int logEvery, int evalEvery, double clip, String optimizer, double lr,
                           String schedule, double timeBudgetSeconds, Path out, boolean resume) {
    }

    /** What the run achieved. */
    public record Result(TrainingLog log, TrainingTask.Evaluation finalEvaluation, long steps, double samplesPerSecond,
                         double wallSeconds) {
    }

    public static final String CHECKPOINT = "checkpoint.safetensors";

    private Trainer() {
    }

    public static Result run(TrainingTask task, Settings s, Kernels kernels, Map<String, Object> config,
                             ProgressReporter progress) throws IOException {
        return run(task, s, kernels, RecurrentExecution.FUSED, config, progress);
    }

    /**
     * As {@link #run(TrainingTask, Settings, Kernels, Map, ProgressReporter)}, with the model's
     * recurrent layers run by {@code execution} (on a GPU: {@link RecurrentExecution#gpu}), in
     * training steps and validations alike. Everything else (embeddings, heads, losses, clipping,
     * the optimizer, checkpoints) runs on the host.
     */
    public static Result run(TrainingTask task, Settings s, Kernels kernels, RecurrentExecution execution,
                             Map<String, Object> config, ProgressReporter progress) throws IOException {
        task.model().setRecurrentExecution(execution);
        List<Parameter> parameters = task.model().parameters();
        try (Optimizer optimizer = OptimizerChoice.optimizer(s.optimizer(), parameters, s.lr())) {
            OptimizerChoice.Schedule schedule = OptimizerChoice.schedule(s.schedule(), optimizer, s.steps(), s.lr());
            TrainingLog log = new TrainingLog(task.id(), task.metricName(), config);
            Path checkpoint = s.out().resolve(CHECKPOINT);
            long firstStep = 1;
            double best = Double.NaN;
            if (s.resume() && Files.exists(checkpoint)) {
                Checkpoint saved = Checkpoint.read(checkpoint);
                if (schedule.perEvaluation() != null) {
                    saved.restore(task.modelConfig(), parameters, optimizer, schedule.perEvaluation());
                } else {
                    saved.restore(task.modelConfig(), parameters, optimizer, schedule.perStep());
                }
                saved.rngState().ifPresent(task::restoreDataState);
                firstStep = saved.progress().step() + 1;
                best = saved.progress().bestMetric();
                log.addAll(TrainingLog.readRows(s.out().resolve("metrics.csv"), saved.progress().step()));
                progress.message("resumed from " + checkpoint + " at step " + saved.progress().step());
            }
            long start = System.nanoTime(), intervalStart = start;
            long samples = 0, intervalSamples = 0;
            double intervalLoss = 0;
            int intervalSteps = 0;
            TrainingTask.Evaluation last = null;
            long step = firstStep - 1;
            while (step < s.steps()) {
                step++;
                optimizer.zeroGrad();
                double loss;
                try (Graph g = Graph.training(kernels)) {
                    TrainingTask.StepLoss stepLoss = task.trainingLoss(g);
                    g.backward(stepLoss.loss());
                    loss = stepLoss.loss().value().get(0);
                    samples += stepLoss.samples();
                    intervalSamples += stepLoss.samples();
                }
                if (!Double.isFinite(loss)) {
                    throw new UserError("the training loss became " + loss + " at step " + step
                            + "; try a smaller --lr or --clip");
                }
                if (s.clip() > 0) GradientClipping.clipGradNorm(parameters, s.clip());
                optimizer.step();
                if (schedule.perStep() != null) schedule.perStep().step();
                intervalLoss += loss;
                intervalSteps++;
                double elapsed = (System.nanoTime() - start) / 1e9;
                boolean outOfTime = s.timeBudgetSeconds() > 0 && elapsed >= s.timeBudgetSeconds();
                boolean end = step == s.steps() || outOfTime;
                progress.update(step, intervalLoss / intervalSteps, samples / Math.max(elapsed, 1e-9));
                boolean evaluate = end || step % s.evalEvery() == 0;
                if (evaluate || step % s.logEvery() == 0) {
                    double intervalSeconds = (System.nanoTime() - intervalStart) / 1e9;
                    double valLoss = Double.NaN, metric = Double.NaN;
                    if (evaluate) {
                        last = task.evaluate(kernels, TrainingTask.Split.VALIDATION);
                        valLoss = last.loss();
                        metric = last.metric();
                        if (schedule.perEvaluation() != null) schedule.perEvaluation().step(valLoss);
                        if (Double.isNaN(best) || (task.higherIsBetter() ? metric > best : metric < best)) best = metric;
                    }
                    log.add(new TrainingLog.Row(step, epoch(task, step), intervalLoss / intervalSteps, valLoss, metric,
                            optimizer.learningRate(), intervalSamples / Math.max(intervalSeconds, 1e-9), elapsed));
                    if (evaluate) {
                        progress.message(String.format(Locale.ROOT, "step %d: validation loss %.5g, %s %.5g", step,
                                valLoss, task.metricName(), metric));
                        Checkpoint.ScheduleState scheduleState = schedule.perEvaluation() != null
                                ? Checkpoint.ScheduleState.of(schedule.perEvaluation())
                                : schedule.perStep() != null ? Checkpoint.ScheduleState.of(schedule.perStep()) : null;
                        Checkpoint.save(checkpoint, parameters, optimizer, scheduleState, new Checkpoint.Info(
                                task.modelConfig(), new Checkpoint.Progress(step, (long) epoch(task, step), samples, best),
                                task.dataState(), task.taskInfo()));
                        writeOutputs(s.out(), task, log, samples, elapsed);
                    }
                    intervalStart = System.nanoTime();
                    intervalSamples = 0;
                    intervalLoss = 0;
                    intervalSteps = 0;
                }
                if (outOfTime) break;
            }
            progress.finish();
            double wall = (System.nanoTime() - start) / 1e9;
            return new Result(log, last, step, samples / Math.max(wall, 1e-9), wall);
        }
    }

    private static double epoch(TrainingTask task, long step) {
        long perEpoch = task.stepsPerEpoch();
        return perEpoch > 0 ? (double) step / perEpoch : 0;
    }

    private static void writeOutputs(Path out, TrainingTask task, TrainingLog log, long samples, double elapsed)
            throws IOException {
        Map<String, Double> finals = new LinkedHashMap<>(task.baselines());
        log.write(out, finals, samples / Math.max(elapsed, 1e-9), elapsed);
        if (Charts.available()) CurvesChart.write(out.resolve("curves.png"), task.id(), log);
    }
}
