package dev.recur.engine.tensor;

import dev.recur.engine.backend.KernelProvider;

/**
 * A library user's first call, run by {@link JvmOptionsTest} in a child JVM started with chosen
 * options: {@code kernels} asks for the default kernels, {@code naive} for the scalar ones,
 * {@code memory} allocates native memory (a tensor's first step). Prints the
 * {@link MissingJvmOptionException}'s message, as a service would log it, and exits with 3;
 * anything else propagates (a stack trace, which the test rejects).
 */
public final class JvmOptionsProbe {
    private JvmOptionsProbe() {
    }

    public static void main(String[] args) {
        try {
            switch (args[0]) {
                case "kernels" -> System.out.println("kernels " + KernelProvider.defaultKernels().name());
                case "memory" -> {
                    NativeMemory.free(NativeMemory.allocateUnscoped(64, 64));
                    System.out.println("memory ok");
                }
                case "naive" -> System.out.println("kernels " + KernelProvider.naive().name());
                default -> throw new IllegalArgumentException(args[0]);
            }
        } catch (MissingJvmOptionException e) {
            System.err.println(e.getMessage());
            System.exit(3);
        }
    }
}
