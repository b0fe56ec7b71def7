package dev.recur.engine.cli.gpucheck;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.backend.cuda.CudaGpuDevice;
import dev.recur.engine.backend.cuda.CudaSession;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.cli.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code recur gpu-check}: on a GPU host, Recur's kernels and cuBLAS against the CPU; exit 1 when a check fails. */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
        description = "On a GPU host: load Recur's CUDA kernels and cuBLAS, compare a few results and the whole recurrent layer (every mode, forward and backward) with the CPU's.")
public final class GpuCheckCommand implements Callable<Integer> {
    @Option(names = "--seed", description = "seed of the random inputs (default: fresh each run)")
    Long seed;

    @Override
    public Integer call() {
        CudaAvailability.Status status = CudaSession.availability();
        if (!status.usable()) {
            throw new UserError("gpu-check needs a usable GPU: " + status.line());
        }
        long s = seed != null ? seed : System.nanoTime();
        System.out.println("gpu-check: " + status.line() + "; seed " + s);
        CudaGpuDevice gpu;
        try {
            gpu = CudaGpuDevice.open();
        } catch (IllegalStateException e) {
            throw new UserError(e.getMessage());
        }
        boolean passed;
        try (GpuContext context = new GpuContext(gpu)) {
            passed = KernelCheck.run(gpu, s, System.out);
            // Then the whole recurrent layer (forward and backward, every mode) against the CPU engine.
            for (LayerCheck.Case k : LayerCheck.cases()) {
                Map<String, Double> errors = LayerCheck.compare(context, k, s);
                List<String> failures = LayerCheck.failures(errors);
                double forward = errors.entrySet().stream().filter(e -> !e.getKey().startsWith("grad."))
                        .mapToDouble(Map.Entry::getValue).max().orElse(0);
                double gradients = errors.entrySet().stream().filter(e -> e.getKey().startsWith("grad."))
                        .mapToDouble(Map.Entry::getValue).max().orElse(0);
                System.out.printf(Locale.ROOT, "gpu-check: layer %-62s forward %.2e (bar %.0e), gradients %.2e (bar %.0e) %s%n",
                        k, forward, LayerCheck.FORWARD_BAR, gradients, LayerCheck.GRADIENT_BAR,
                        failures.isEmpty() ? "ok" : "FAILED " + failures);
                passed &= failures.isEmpty();
            }
        }
        return passed ? 0 : 1;
    }
}
