package dev.recur.engine.cli;

import dev.recur.bindings.CudaAvailability;
import picocli.CommandLine.Option;

/** {@code --device cpu|cuda}, shared by every command that computes. */
public final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device;

    /** True when the user asked for {@code --device cuda}. */
    public boolean isCuda() {
        return "cuda".equals(device);
    }

    /** Throws a one-line {@link UserError} unless the chosen device can run. */
    public void requireUsable() {
        switch (device) {
            case "cpu" -> { }
            case "cuda" -> throw new UserError("--device cuda is not usable: " + cudaStatus());
            default -> throw new UserError("--device '" + device + "' is unknown: expected cpu or cuda");
        }
    }

    /**
     * Why the engine cannot compute on CUDA here, in one line: what the bindings' probe found
     * (no driver, no device, no cuBLAS, ...), or, where all of that is there, that the engine's
     * CUDA backend is not built yet.
     */
    public static String cudaStatus() {
        CudaAvailability.Status status = CudaAvailability.status();
        return status.usable() ? status.line() + "; but the engine's CUDA backend is not built yet (CPU only)" : status.line();
    }
}
