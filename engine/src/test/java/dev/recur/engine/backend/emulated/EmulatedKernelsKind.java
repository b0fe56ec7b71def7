package dev.recur.engine.backend.emulated;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The two kinds of kernels an emulated device can run, for tests that run on both; without the
 * host-compiled library the test reports itself skipped, saying why.
 */
public enum EmulatedKernelsKind {
    /** The Java twins (the engine's naive kernels behind each kernel's C signature). */
    JAVA_TWINS,
    /** The CUDA sources themselves, compiled for the host (native/host/build.sh). */
    HOST_COMPILED_CUDA;

    public EmulatedGpuDevice open() {
        if (this == JAVA_TWINS) return new EmulatedGpuDevice();
        Path library = Path.of(System.getProperty("recur.host.kernels", "../native/target/host-kernels/librecur_kernels_host.so"));
        Path notBuilt = library.resolveSibling("not-built.txt");
        assumeTrue(Files.isRegularFile(library), "skipped: no host-compiled kernels at " + library
                + (Files.isRegularFile(notBuilt) ? " (" + read(notBuilt) + ")" : " (build the native module first)"));
        return EmulatedGpuDevice.withHostCompiledKernels(library);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
