package dev.recur.engine.cli.train;

import dev.recur.engine.cli.UserError;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.train.Adam;
import dev.recur.engine.train.AdamW;
import dev.recur.engine.train.CosineAnnealingLR;
import dev.recur.engine.train.LRScheduler;
import dev.recur.engine.train.Optimizer;
import dev.recur.engine.train.RMSprop;
import dev.recur.engine.train.ReduceLROnPlateau;
import dev.recur.engine.train.SGD;
import dev.recur.engine.train.StepLR;

import java.util.List;
import java.util.Locale;

/** {@code --optimizer} and {@code --schedule}: names to torch.optim-equivalent objects. */
final class OptimizerChoice {
    static final List<String> OPTIMIZERS = List.of("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw");
    static final List<String> SCHEDULES = List.of("none", "step", "plateau", "cosine");

    private OptimizerChoice() {
    }

    /** sgd: plain; momentum / nesterov: momentum 0.9; the others with PyTorch's defaults. */
    static Optimizer optimizer(String name, List<Parameter> parameters, double lr) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sgd" -> new SGD(parameters, SGD.Options.defaults().withLr(lr));
            case "momentum" -> new SGD(parameters, SGD.Options.defaults().withLr(lr).withMomentum(0.9));
            case "nesterov" -> new SGD(parameters, SGD.Options.defaults().withLr(lr).withMomentum(0.9).withNesterov(true));
            case "rmsprop" -> new RMSprop(parameters, RMSprop.Options.defaults().withLr(lr));
            case "adam" -> new Adam(parameters, Adam.Options.defaults().withLr(lr));
            case "adamw" -> new AdamW(parameters, AdamW.Options.defaults().withLr(lr));
            default -> throw new UserError("--optimizer '" + name + "' is unknown: expected one of " + OPTIMIZERS);
        };
    }

    /** The learning-rate schedule: stepped once per step ({@link LRScheduler}) or per evaluation (plateau). */
    record Schedule(LRScheduler perStep, ReduceLROnPlateau perEvaluation) {
        static final Schedule NONE = new Schedule(null, null);
    }

    /**
     * none; step: x0.1 at half the run (StepLR, step size = steps/2); cosine: annealing over the
     * whole run down to a floor of lr/100; plateau: x0.5 after 3 evaluations without improvement of
     * the validation loss, down to lr/1000.
     */
    static Schedule schedule(String name, Optimizer optimizer, long steps, double lr) {
        int total = (int) Math.min(Integer.MAX_VALUE, Math.max(1, steps));
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "none" -> Schedule.NONE;
            case "step" -> new Schedule(new StepLR(optimizer, Math.max(1, total / 2), 0.1), null);
            case "cosine" -> new Schedule(new CosineAnnealingLR(optimizer, total, lr / 100), null);
            case "plateau" -> new Schedule(null, new ReduceLROnPlateau(optimizer,
                    ReduceLROnPlateau.Options.defaults().withFactor(0.5).withPatience(3).withMinLr(lr / 1000)));
            default -> throw new UserError("--schedule '" + name + "' is unknown: expected one of " + SCHEDULES);
        };
    }
}
