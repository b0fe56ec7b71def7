package dev.recur.engine.cli;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.backend.cuda.CudaDevice;
import dev.recur.engine.backend.cuda.GpuCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code recur gpu-check}: on a GPU host, Recur's kernels and cuBLAS against the CPU; exit 1 when a check fails. */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
        description = "On a GPU host: load Recur's CUDA kernels and cuBLAS, compare a few results with the CPU's.")
public final class GpuCheckCommand implements Callable<Integer> {
    @Option(names = "--seed", description = "seed of the random inputs (default: fresh each run)")
    Long seed;

    @Override
    public Integer call() {
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.usable()) {
            throw new UserError("gpu-check needs a usable GPU: " + status.line());
        }
        long s = seed != null ? seed : System.nanoTime();
        System.out.println("gpu-check: " + status.line() + "; seed " + s);
        CudaDevice device;
        try {
            device = CudaDevice.open();
        } catch (IllegalStateException e) {
            throw new UserError(e.getMessage());
        }
        try (device) {
            return GpuCheck.run(device, s, System.out) ? 0 : 1;
        }
    }
}
