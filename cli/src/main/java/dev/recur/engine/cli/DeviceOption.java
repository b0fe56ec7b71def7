package dev.recur.engine.cli;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.backend.cuda.CudaGpuDevice;
import dev.recur.engine.backend.cuda.CudaSession;
import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.backend.gpu.GpuDevice;
import dev.recur.engine.nn.RecurrentExecution;
import picocli.CommandLine.Option;

/** {@code --device cpu|cuda}, shared by every command that computes. */
public final class DeviceOption {
    /**
     * TEST HOOK ONLY: with {@code -Drecur.gpu.emulate=true}, {@code --device cuda} runs on
     * {@link EmulatedGpuDevice} (host memory, Java twins of the kernels) instead of a GPU, so that
     * the CLI's GPU path can be tested where there is none; {@code -Drecur.gpu.emulate=host:LIB}
     * uses the CUDA kernels compiled for the host instead ({@code native/host/build.sh} writes LIB).
     * It says nothing about GPU speed, nor about the kernels on a real GPU.
     */
    public static final String EMULATE_PROPERTY = "recur.gpu.emulate";

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--tf32", description = "with --device cuda: GEMMs in TF32 on tensor cores (faster, ~1e-3 relative "
            + "error per product); default fp32")
    boolean tf32;

    /** True when the user asked for {@code --device cuda}. */
    public boolean isCuda() {
        return "cuda".equals(device);
    }

    /** For commands that run on the CPU only: throws a one-line {@link UserError} unless the device is cpu. */
    public void requireUsable() {
        switch (device) {
            case "cpu" -> requireNoTf32();
            case "cuda" -> throw new UserError("--device cuda is not usable: " + cudaStatus());
            default -> throw new UserError("--device '" + device + "' is unknown: expected cpu or cuda");
        }
    }

    /**
     * For commands with a GPU path: null for cpu; for cuda, the device (GPU 0, or the emulated one
     * under the {@link #EMULATE_PROPERTY} test hook) with its allocator, or a one-line
     * {@link UserError} saying why CUDA is not usable here (the bindings' probe line).
     */
    public GpuContext openGpu() {
        switch (device) {
            case "cpu" -> {
                requireNoTf32();
                return null;
            }
            case "cuda" -> {
                GpuDevice gpu = openCuda();
                if (tf32) gpu.setTf32(true);
                return new GpuContext(gpu);
            }
            default -> throw new UserError("--device '" + device + "' is unknown: expected cpu or cuda");
        }
    }

    /** TF32 is cuBLAS's: on the CPU it has no meaning, so asking for it there is a mistake worth a line. */
    private void requireNoTf32() {
        if (tf32) throw new UserError("--tf32 applies to --device cuda only");
    }

    private static GpuDevice openCuda() {
        String emulate = System.getProperty(EMULATE_PROPERTY, "");
        if (emulate.equals("true")) return new EmulatedGpuDevice();
        if (emulate.startsWith("host:")) return EmulatedGpuDevice.withHostCompiledKernels(java.nio.file.Path.of(emulate.substring(5)));
        // The bindings' probe, then the device itself: its open loads the kernels, so a failure
        // there is the same "not usable" as CudaSession.availability() would report, without
        // opening GPU 0 twice.
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.usable()) throw new UserError("--device cuda is not usable: " + status.line());
        try {
            return CudaGpuDevice.open();
        } catch (RuntimeException e) {
            throw new UserError("--device cuda is not usable: " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    /** How the recurrent layers run: on {@code gpu} when one was opened ({@link #openGpu}), else {@code onCpu}. */
    public static RecurrentExecution execution(GpuContext gpu, RecurrentExecution onCpu) {
        return gpu == null ? onCpu : RecurrentExecution.gpu(gpu);
    }

    /** True when {@code --tf32} was given (with {@code --device cuda}). */
    public boolean tf32() {
        return tf32;
    }

    /**
     * Why a CPU-only command cannot compute on CUDA here, in one line: what the bindings' probe
     * found (no driver, no device, no cuBLAS, ...), or, where all of that is there, that only
     * {@code recur infer}, {@code recur train} and {@code recur bench} have a GPU path so far
     * ({@code recur eval}, {@code recur generate} and {@code recur demo} run on the CPU).
     */
    public static String cudaStatus() {
        CudaAvailability.Status status = CudaSession.availability();
        return status.usable() ? status.line() + "; but this command runs on the CPU only (the CUDA backend runs recur infer, recur train and recur bench so far)"
                : status.line();
    }
}
