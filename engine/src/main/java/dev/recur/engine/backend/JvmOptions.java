package dev.recur.engine.backend;

import dev.recur.bindings.CudaAvailability;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The JVM options the engine needs, checked at its first use, so that a JVM started without them
 * fails with one line naming them rather than with a {@code NoClassDefFoundError} from deep inside
 * a kernel:
 * <ul>
 * <li>{@code --add-modules jdk.incubator.vector}: the CPU kernels use the incubating Vector API,
 * which is not resolved unless asked for. Without it nothing can run: {@link #require} throws.
 * <li>{@code --enable-native-access=ALL-UNNAMED} (on the class path; on the module path, the
 * names of the engine's and the bindings' modules): tensors live in memory from the C allocator and
 * the CUDA backend calls the driver, both through the FFM API's restricted methods. JDK 25 lets
 * code without native access call them by default, printing its own warning (which names the
 * option) the first time; {@link #require} then lets the engine run, as the JDK does. Where the
 * JVM refuses them ({@code --illegal-native-access=deny}, as a later JDK will by default),
 * {@link #require} throws instead of letting the first allocation fail inside a class initialiser.
 * </ul>
 * See docs/library.md.
 */
public final class JvmOptions {
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String ADD_VECTOR_MODULE = "--add-modules " + VECTOR_MODULE;

    /** Set once the check has passed; until then every call checks (cheap, and idempotent). */
    private static boolean satisfied;

    private JvmOptions() {
    }

    /**
     * Returns when the engine can run in this JVM; otherwise throws a
     * {@link MissingJvmOptionException} whose message is one line naming the missing option(s).
     * Called by the engine's entry points ({@link KernelProvider}, the native memory allocator)
     * before they touch a Vector API class or a restricted FFM method; cheap after the first call.
     */
    public static void require() {
        if (!satisfied) {
            check();
        }
    }

    private static synchronized void check() {
        if (satisfied) {
            return;
        }
        boolean vector = ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
        String nativeAccess = missingNativeAccessOption();
        List<String> missing = new ArrayList<>();
        if (!vector) {
            missing.add(ADD_VECTOR_MODULE + " (the Vector API)");
        }
        // Named whenever something else fails too, so that one fix is enough; on its own only
        // where the JVM would refuse the engine's first native call.
        if (nativeAccess != null && (!vector || !restrictedMethodsAllowed())) {
            missing.add(nativeAccess + " (native memory and CUDA through the FFM API)");
        }
        if (!missing.isEmpty()) {
            throw new MissingJvmOptionException(message(missing));
        }
        satisfied = true;
    }

    static String message(List<String> missing) {
        return missing.size() == 1
                ? "Recur needs the JVM option " + missing.getFirst()
                        + "; add it to the java command line or to Maven Surefire's argLine"
                : "Recur needs the JVM options " + String.join(" and ", missing)
                        + "; add them to the java command line or to Maven Surefire's argLine";
    }

    /**
     * {@code --enable-native-access=...} for the engine's and the bindings' modules where they
     * lack native access (ALL-UNNAMED on the class path), or null where both have it.
     */
    static String missingNativeAccessOption() {
        Set<String> targets = new LinkedHashSet<>();
        for (Module m : List.of(JvmOptions.class.getModule(), CudaAvailability.class.getModule())) {
            if (!m.isNativeAccessEnabled()) {
                targets.add(m.isNamed() ? m.getName() : "ALL-UNNAMED");
            }
        }
        return targets.isEmpty() ? null : "--enable-native-access=" + String.join(",", targets);
    }

    /**
     * Whether this module may call restricted methods although native access was not enabled for
     * it: true under JDK 25's default ({@code --illegal-native-access=warn}, which prints the
     * JDK's warning now rather than at the first allocation) and under {@code =allow}.
     */
    private static boolean restrictedMethodsAllowed() {
        try {
            MemorySegment.NULL.reinterpret(0);
            return true;
        } catch (IllegalCallerException e) {
            return false;
        }
    }
}
