package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.Charts;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.io.AtomicFiles;
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
 * the task is evaluated on its validation split, and metrics.json, curves.png and the last
 * checkpoint are rewritten (each atomically); when the validation metric is the best so far, that
 * checkpoint also becomes the kept one. So a run killed at any point leaves a consistent output
 * folder, {@code --resume} continues it exactly, and the model a run leaves is its best.
 *
 * <p>A non-finite loss or gradient norm stops the run with one line naming the step and the
 * first non-finite parameter or gradient; the checkpoints written before it stay.
 */
public final class Trainer {
    /**
     * The loop's settings (what the common flags give).
     *
     * @param lrGiven  on resume, {@code lr} was asked for: it replaces the checkpoint's rate
     * @param patience stop after this many evaluations in a row without a better validation metric; 0: never
     */
    public record Settings(long steps, int logEvery, int evalEvery, double clip, String optimizer, double lr,
                           String schedule, double timeBudgetSeconds, Path out, boolean resume, boolean lrGiven,
                           int patience) {
        /** A run without early stopping, whose resume (if any) keeps the checkpoint's learning rate. */
        public Settings(long steps, int logEvery, int evalEvery, double clip, String optimizer, double lr,
                        String schedule, double timeBudgetSeconds, Path out, boolean resume) {
            this(steps, logEvery, evalEvery, clip, optimizer, lr, schedule, timeBudgetSeconds, out, resume, false, 0);
        }
    }

    /**
     * What the run achieved.
     *
     * @param finalEvaluation the last validation, or null when the run had nothing left to train
     * @param bestStep        the step of the kept checkpoint (the best validation metric)
     * @param stoppedEarly    {@code --patience} ended the run before its steps
     */
    public record Result(TrainingLog log, TrainingTask.Evaluation finalEvaluation, long steps, double samplesPerSecond,
                         double wallSeconds, long bestStep, boolean stoppedEarly) {
    }

    /** The checkpoint a run keeps: the one with the best validation metric. */
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** The checkpoint of the latest validation, which {@code --resume} continues. */
    public static final String LAST_CHECKPOINT = "last.safetensors";

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
        List<Parameter> parameters = task.model().parameters(), trained = task.trainableParameters();
        try (Optimizer optimizer = OptimizerChoice.optimizer(s.optimizer(), trained, s.lr())) {
            OptimizerChoice.Schedule schedule = OptimizerChoice.schedule(s.schedule(), optimizer, s.steps(), s.lr());
            TrainingLog log = new TrainingLog(task.id(), task.metricName(), config);
            Path checkpoint = s.out().resolve(CHECKPOINT), lastCheckpoint = s.out().resolve(LAST_CHECKPOINT);
            long firstStep = 1, bestStep = 0;
            int stale = 0;   // evaluations since the best one
            double best = Double.NaN, bestLoss = Double.NaN;
            Path resumeFrom = resumePoint(s.out());
            if (s.resume() && resumeFrom != null) {
                Checkpoint saved = Checkpoint.read(resumeFrom);
                if (schedule.perEvaluation() != null) {
                    saved.restore(task.modelConfig(), parameters, optimizer, schedule.perEvaluation());
                } else {
                    saved.restore(task.modelConfig(), parameters, optimizer, schedule.perStep());
                }
                progress.message("resumed from " + resumeFrom + " at step " + saved.progress().step());
                if (s.lrGiven() && s.lr() != optimizer.learningRate()) {
                    if (!s.schedule().equalsIgnoreCase("none")) {
                        throw new UserError("--lr cannot change the rate of a run resumed with --schedule " + s.schedule()
                                + " (the schedule sets it; now " + optimizer.learningRate() + "): resume without --lr");
                    }
                    progress.message("learning rate " + optimizer.learningRate() + " -> " + s.lr() + " (--lr)");
                    optimizer.setLearningRate(s.lr());
                }
                saved.rngState().ifPresent(task::restoreDataState);
                firstStep = saved.progress().step() + 1;
                best = saved.progress().bestMetric();
                bestStep = Files.exists(checkpoint) ? Checkpoint.read(checkpoint).progress().step() : 0;
                log.addAll(TrainingLog.readRows(s.out().resolve("metrics.csv"), saved.progress().step()));
                long kept = bestStep;
                bestLoss = log.rows().stream().filter(r -> r.step() == kept).mapToDouble(TrainingLog.Row::valLoss)
                        .findFirst().orElse(Double.NaN);
                stale = (int) log.rows().stream().filter(r -> r.step() > kept && Double.isFinite(r.metric())).count();
                if (s.patience() > 0 && stale >= s.patience()) {
                    progress.message("the run stopped early at step " + saved.progress().step() + " (" + stale
                            + " validations without improvement, --patience " + s.patience() + "): nothing to train");
                    return new Result(log, null, saved.progress().step(), Double.NaN, 0, bestStep, true);
                }
            }
            long start = System.nanoTime(), intervalStart = start;
            long samples = 0, intervalSamples = 0;
            double intervalLoss = 0;
            int intervalSteps = 0;
            TrainingTask.Evaluation last = null;
            boolean stoppedEarly = false;
            long step = firstStep - 1;
            while (step < s.steps()) {
                step++;
                parameters.forEach(Parameter::zeroGrad);   // frozen ones too: their gradients are not kept
                double loss;
                try (Graph g = Graph.training(kernels)) {
                    TrainingTask.StepLoss stepLoss = task.trainingLoss(g);
                    g.backward(stepLoss.loss());
                    loss = stepLoss.loss().value().get(0);
                    samples += stepLoss.samples();
                    intervalSamples += stepLoss.samples();
                }
                if (!Double.isFinite(loss)) {
                    throw new UserError(NonFinite.stopMessage(step, "the training loss is " + loss, parameters));
                }
                if (s.clip() > 0) {
                    double norm = GradientClipping.clipGradNorm(trained, s.clip());
                    if (!Double.isFinite(norm)) {
                        throw new UserError(NonFinite.stopMessage(step, "the gradient norm is " + norm, parameters));
                    }
                }
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
                        if (improves(metric, valLoss, best, bestLoss, task.higherIsBetter())) {
                            best = metric;
                            bestLoss = valLoss;
                            bestStep = step;
                            stale = 0;
                        } else {
                            stale++;
                        }
                    }
                    log.add(new TrainingLog.Row(step, epoch(task, step), intervalLoss / intervalSteps, valLoss, metric,
                            optimizer.learningRate(), intervalSamples / Math.max(intervalSeconds, 1e-9), elapsed));
                    if (evaluate) {
                        progress.message(String.format(Locale.ROOT, "step %d: validation loss %.5g, %s %.5g", step,
                                valLoss, task.metricName(), metric));
                        Checkpoint.ScheduleState scheduleState = schedule.perEvaluation() != null
                                ? Checkpoint.ScheduleState.of(schedule.perEvaluation())
                                : schedule.perStep() != null ? Checkpoint.ScheduleState.of(schedule.perStep()) : null;
                        Checkpoint.save(lastCheckpoint, parameters, optimizer, scheduleState, new Checkpoint.Info(
                                task.modelConfig(), new Checkpoint.Progress(step, (long) epoch(task, step), samples, best),
                                task.dataState(), task.taskInfo()));
                        if (bestStep == step) AtomicFiles.copy(lastCheckpoint, checkpoint);
                        stoppedEarly = s.patience() > 0 && stale >= s.patience() && step < s.steps();
                        if (stoppedEarly) {
                            progress.message(String.format(Locale.ROOT, "stopping early: %d validations without a better "
                                    + "%s than step %d's (--patience %d)", stale, task.metricName(), bestStep, s.patience()));
                        }
                        writeOutputs(s.out(), task, log, samples, elapsed, bestStep);
                    }
                    intervalStart = System.nanoTime();
                    intervalSamples = 0;
                    intervalLoss = 0;
                    intervalSteps = 0;
                }
                if (outOfTime || stoppedEarly) break;
            }
            progress.finish();
            double wall = (System.nanoTime() - start) / 1e9;
            return new Result(log, last, step, samples / Math.max(wall, 1e-9), wall, bestStep, stoppedEarly);
        }
    }

    /**
     * Whether a validation's metric (and loss) beats the best so far: a better metric, or the same
     * metric with a lower loss (an accuracy that has reached 1.0 keeps improving in its loss).
     */
    static boolean improves(double metric, double loss, double best, double bestLoss, boolean higherIsBetter) {
        if (Double.isNaN(best)) return true;
        if (metric == best) return loss < bestLoss || Double.isNaN(bestLoss);
        return higherIsBetter ? metric > best : metric < best;
    }

    /** The checkpoint {@code --resume} continues in {@code out}: the last one (or, from older runs, the only one), or null. */
    public static Path resumePoint(Path out) {
        Path last = out.resolve(LAST_CHECKPOINT), kept = out.resolve(CHECKPOINT);
        return Files.exists(last) ? last : Files.exists(kept) ? kept : null;
    }

    private static double epoch(TrainingTask task, long step) {
        long perEpoch = task.stepsPerEpoch();
        return perEpoch > 0 ? (double) step / perEpoch : 0;
    }

    private static void writeOutputs(Path out, TrainingTask task, TrainingLog log, long samples, double elapsed,
                                     long bestStep) throws IOException {
        Map<String, Double> finals = new LinkedHashMap<>(task.baselines());
        log.write(out, finals, bestStep, samples / Math.max(elapsed, 1e-9), elapsed);
        if (Charts.available()) CurvesChart.write(out.resolve("curves.png"), task.id(), log);
    }
}
