package dev.recur.engine.tensor;

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
    private static final String NATIVE_ACCESS_REASON = " (native memory and CUDA through the FFM API)";

    /** Set once the check has passed; until then every call checks (cheap, and idempotent). */
    private static boolean satisfied, nativeAccessSatisfied;

    private JvmOptions() {
    }

    /**
     * Returns when the engine can run in this JVM; otherwise throws a
     * {@link MissingJvmOptionException} whose message is one line naming the missing option(s).
     * Called by the kernels' entry point ({@code backend.KernelProvider}) before anything touches a
     * Vector API class; cheap after the first call.
     */
    public static void require() {
        if (!satisfied) {
            check();
        }
    }

    /**
     * As {@link #require}, for native memory alone (tensors, files, checkpoints): it needs native
     * access, not the Vector API, which the kernels check for when they are first asked for.
     */
    public static void requireNativeAccess() {
        if (!nativeAccessSatisfied) {
            checkNativeAccess();
        }
    }

    private static synchronized void checkNativeAccess() {
        if (nativeAccessSatisfied) {
            return;
        }
        String nativeAccess = missingNativeAccessOption();
        if (nativeAccess != null && !restrictedMethodsAllowed()) {
            throw new MissingJvmOptionException(message(List.of(nativeAccess + NATIVE_ACCESS_REASON)));
        }
        nativeAccessSatisfied = true;
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
            missing.add(nativeAccess + NATIVE_ACCESS_REASON);
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
