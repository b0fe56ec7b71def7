package dev.recur.engine.cli;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.nn.RecurrentExecution;
import picocli.CommandLine.Option;

/** {@code --kernels vector|naive}: naive forces the reference kernels and the textbook layer. */
public final class KernelsOption {
    @Option(names = "--kernels", description = "vector (default, or -Drecur.kernels) or naive: the scalar "
            + "reference kernels and the textbook per-gate layer")
    String kernels;

    public Kernels kernels() {
        try {
            return kernels == null ? KernelProvider.defaultKernels() : KernelProvider.byName(kernels);
        } catch (IllegalArgumentException e) {
            throw new UserError("--kernels '" + kernels + "' is unknown: expected vector or naive");
        }
    }

    /** The recurrent layer on the CPU: the textbook reference with naive kernels, else the fused layer. */
    public RecurrentExecution execution() {
        return execution(WeightPrecision.FP32);
    }

    /**
     * As {@link #execution()}, with the weights at {@code weights}. bf16 always runs the fused
     * layer: on naive kernels that is its reference (W_hh rounded, then the stepwise loop).
     */
    public RecurrentExecution execution(WeightPrecision weights) {
        if (weights != WeightPrecision.FP32) {
            return RecurrentExecution.fused(weights);
        }
        return kernels().name().equals("naive") ? RecurrentExecution.TEXTBOOK : RecurrentExecution.FUSED;
    }
}
