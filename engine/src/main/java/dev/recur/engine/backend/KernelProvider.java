package dev.recur.engine.backend;

import dev.recur.engine.backend.cpu.NaiveKernels;
import dev.recur.engine.backend.cpu.VectorKernels;
import dev.recur.engine.backend.cpu.VectorSgemm;
import dev.recur.engine.tensor.JvmOptions;
import dev.recur.engine.tensor.MissingJvmOptionException;

/**
 * Picks the CPU kernels once. Vector API kernels by default; {@code -Drecur.kernels=naive} (or the
 * CLI's {@code --kernels naive}) forces the scalar reference kernels for the whole engine.
 * Callers that need both side by side (tests, the demo, benchmarks) ask for each by name.
 *
 * <p>Each method first checks the JVM options the engine needs ({@link JvmOptions#require}): a JVM
 * without them (e.g. without {@code --add-modules jdk.incubator.vector}) gets a one-line
 * {@link MissingJvmOptionException} here, not a {@code NoClassDefFoundError} from the kernels.
 */
public final class KernelProvider {
    public static final String PROPERTY = "recur.kernels";

    private static final class Holder {
        static final Kernels NAIVE = new NaiveKernels();
        static final Kernels VECTOR = new VectorKernels(new VectorSgemm());
        static final Kernels DEFAULT = byName(System.getProperty(PROPERTY, "vector"));
    }

    private KernelProvider() {
    }

    /** The engine-wide choice: {@code recur.kernels} = vector (default) or naive. */
    public static Kernels defaultKernels() {
        JvmOptions.require();
        return Holder.DEFAULT;
    }

    public static Kernels naive() {
        JvmOptions.require();
        return Holder.NAIVE;
    }

    public static Kernels vector() {
        JvmOptions.require();
        return Holder.VECTOR;
    }

    public static Kernels byName(String name) {
        JvmOptions.require();
        return switch (name) {
            case "vector" -> Holder.VECTOR;
            case "naive" -> Holder.NAIVE;
            default -> throw new IllegalArgumentException(
                    "unknown kernels '" + name + "' (property " + PROPERTY + "): expected vector or naive");
        };
    }
}
