package dev.recur.engine.cli;

import dev.recur.engine.backend.WeightPrecision;
import picocli.CommandLine.Option;

/** {@code --weight-precision fp32|bf16}: how the recurrent layers' W_ih and W_hh are used for inference. */
public final class WeightPrecisionOption {
    @Option(names = "--weight-precision", paramLabel = "P", description = "fp32 (default: PyTorch's results) or bf16: "
            + "W_ih and W_hh rounded to bfloat16 and W_hh streamed as bf16 each step, faster where the weights' "
            + "bytes bound the time (small batches); fp32 state and sums; CPU inference only")
    String precision;

    public WeightPrecision precision() {
        if (precision == null) {
            return WeightPrecision.FP32;
        }
        try {
            return WeightPrecision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new UserError("--weight-precision '" + precision + "' is unknown: expected fp32 or bf16");
        }
    }

    /** Refuses bf16 where it does not apply, naming why (e.g. "--device cuda", "--mode training"). */
    public void requireFp32Because(boolean condition, String why) {
        if (condition && precision() != WeightPrecision.FP32) {
            throw new UserError("--weight-precision " + precision() + " is for CPU inference only, not with " + why);
        }
    }
}
