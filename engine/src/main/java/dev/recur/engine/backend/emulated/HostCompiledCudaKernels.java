package dev.recur.engine.backend.emulated;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Recur's CUDA kernels compiled for the host ({@code native/host/build.sh}: the {@code extern "C"
 * __global__} functions of {@code native/src} with a grid of one host thread, so each visits
 * every work item), called through FFM with the argument values a launch carries. With these,
 * {@link EmulatedGpuDevice} runs the kernels' own C++ (parameter order, indexing, float32
 * arithmetic) on host memory instead of Java twins. A test aid: the library is built into
 * {@code native/target/host-kernels}, never packed.
 *
 * <p>The C code is not bounds-checked: {@link EmulatedGpuDevice} checks that every pointer lies
 * inside a live allocation before the call, but an access beyond an allocation's end would not
 * throw as the Java twins' does. Run new layer code on the Java twins first.
 */
final class HostCompiledCudaKernels {
    private static final Map<Path, HostCompiledCudaKernels> LOADED = new HashMap<>();

    private final Path library;
    private final SymbolLookup symbols;
    private final Map<String, MethodHandle> handles = new HashMap<>();

    private HostCompiledCudaKernels(Path library, SymbolLookup symbols) {
        this.library = library;
        this.symbols = symbols;
    }

    /** The library at that path, loaded once per JVM; an {@link IllegalArgumentException} in one line when it is not there. */
    static synchronized HostCompiledCudaKernels load(Path library) {
        Path path = library.toAbsolutePath().normalize();
        HostCompiledCudaKernels loaded = LOADED.get(path);
        if (loaded != null) return loaded;
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("no host-compiled kernels at " + path + " (built by native/host/build.sh)");
        }
        loaded = new HostCompiledCudaKernels(path, SymbolLookup.libraryLookup(path, Arena.global()));
        LOADED.put(path, loaded);
        return loaded;
    }

    Path library() {
        return library;
    }

    /** True when the library exports that kernel. */
    boolean has(String name) {
        return symbols.find(name).isPresent();
    }

    private synchronized MethodHandle handle(CudaKernelSignature s) {
        return handles.computeIfAbsent(s.name(), n -> {
            MemorySegment symbol = symbols.find(n).orElseThrow(() -> new IllegalArgumentException(
                    "the host-compiled kernels (" + library + ") have no '" + n + "'"));
            MemoryLayout[] layouts = s.parameters().stream().map(p -> switch (p.kind()) {
                case INT -> ValueLayout.JAVA_INT;
                case FLOAT -> ValueLayout.JAVA_FLOAT;
                case DOUBLE -> ValueLayout.JAVA_DOUBLE;
                case POINTER -> ValueLayout.ADDRESS;
            }).toArray(MemoryLayout[]::new);
            return Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.ofVoid(layouts));
        });
    }

    /** Runs the kernel over its whole grid with a launch's argument values (ints, float bits, addresses). */
    void call(CudaKernelSignature s, long[] values) {
        Object[] args = new Object[values.length];
        for (int i = 0; i < values.length; i++) {
            args[i] = switch (s.parameters().get(i).kind()) {
                case INT -> (int) values[i];
                case FLOAT -> Float.intBitsToFloat((int) values[i]);
                case DOUBLE -> Double.longBitsToDouble(values[i]);
                case POINTER -> MemorySegment.ofAddress(values[i]);
            };
        }
        try {
            handle(s).invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(s.name() + " (host-compiled) failed: " + t, t);
        }
    }
}
