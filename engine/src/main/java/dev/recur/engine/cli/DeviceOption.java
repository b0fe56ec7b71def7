package dev.recur.engine.cli;

import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

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

    /** Why CUDA cannot be used on this machine, in one line. */
    public static String cudaStatus() {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup("libcuda.so.1", arena);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return "no NVIDIA driver (libcuda.so.1 not found)";
        }
        return "an NVIDIA driver is present, but this build has no CUDA backend yet (CPU only)";
    }
}
