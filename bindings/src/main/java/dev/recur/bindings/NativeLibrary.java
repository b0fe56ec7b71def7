package dev.recur.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One shared library found by its versioned soname, loaded on first use and kept for the life of
 * the JVM. Where to look, in order: the path in the override variable (only there, when it is
 * set); the system loader ({@code dlopen} of the soname: LD_LIBRARY_PATH, the ld.so cache, the
 * default directories); then each of the extra directories. A library may have several sonames
 * (cuBLAS 13 and 12), in order of preference: each is looked for everywhere before the next, and
 * the list is computed on first use (cuBLAS's depends on the driver). A library that cannot be found never
 * breaks class initialisation: {@link #downcall} then returns a handle that throws
 * {@link NativeLibraryException} with the reason, so every binding fails the same clear way.
 */
public final class NativeLibrary {
    private static final MethodHandle NEW_EXCEPTION;

    static {
        try {
            NEW_EXCEPTION = MethodHandles.lookup().findConstructor(NativeLibraryException.class,
                    MethodType.methodType(void.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Supplier<List<String>> sonames;
    private final String overrideVariable;
    private final Function<Map<String, String>, List<Path>> searchDirectories;
    private final Map<String, String> environment;
    private volatile Loaded loaded;

    /** Where the library was found (and under which soname) and its symbols, or why it was not. */
    private record Loaded(SymbolLookup lookup, String soname, String location, String failure) { }

    /**
     * @param soname            the versioned file name, e.g. {@code libcuda.so.1}
     * @param overrideVariable  the environment variable that may hold the library's full path
     * @param searchDirectories the directories to try after the system loader, computed from the environment on first use
     * @param environment       the process environment (tests pass their own)
     */
    public NativeLibrary(String soname, String overrideVariable,
                         Function<Map<String, String>, List<Path>> searchDirectories, Map<String, String> environment) {
        this(() -> List.of(soname), overrideVariable, searchDirectories, environment);
    }

    /** As above, with the sonames to look for in order of preference, computed on first use (never empty). */
    public NativeLibrary(Supplier<List<String>> sonames, String overrideVariable,
                         Function<Map<String, String>, List<Path>> searchDirectories, Map<String, String> environment) {
        this.sonames = sonames;
        this.overrideVariable = overrideVariable;
        this.searchDirectories = searchDirectories;
        this.environment = environment;
    }

    /** The soname it was loaded by (the override's file name with the override); the names looked for, when it was not loaded. */
    public String soname() {
        Loaded l = load();
        return l.soname() != null ? l.soname() : String.join(" or ", sonames.get());
    }

    /** Why the library cannot be loaded, in one line; empty when it is loaded. */
    public Optional<String> loadFailure() {
        return Optional.ofNullable(load().failure());
    }

    /** Where the library was loaded from: a path, or "the system loader's path". */
    public String location() {
        Loaded l = load();
        if (l.failure() != null) throw new NativeLibraryException(l.failure());
        return l.location();
    }

    /** The address of {@code symbol}; empty when the library or the symbol is missing. */
    public Optional<MemorySegment> find(String symbol) {
        Loaded l = load();
        return l.lookup() == null ? Optional.empty() : l.lookup().find(symbol);
    }

    /**
     * A downcall handle for {@code symbol}. It never throws: when the library or the symbol is
     * missing (an older driver lacks newer symbols), the handle it returns throws a fresh
     * {@link NativeLibraryException} saying so at each call, with the descriptor's type.
     */
    public MethodHandle downcall(String symbol, FunctionDescriptor descriptor) {
        Loaded l = load();
        String failure = l.failure();
        if (failure == null) {
            Optional<MemorySegment> address = l.lookup().find(symbol);
            if (address.isPresent()) return Linker.nativeLinker().downcallHandle(address.get(), descriptor);
            failure = symbol + " not found in " + l.soname() + " at " + l.location() + " (an older version without it?)";
        }
        MethodType type = descriptor.toMethodType();
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), NativeLibraryException.class);
        MethodHandle throwFresh = MethodHandles.foldArguments(thrower, NEW_EXCEPTION.bindTo(failure));
        return MethodHandles.dropArguments(throwFresh, 0, type.parameterList());
    }

    /** For generated bindings: a downcall's {@code invokeExact} declares Throwable, but throws only unchecked exceptions. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        throw new AssertionError("a downcall threw a checked exception", t);
    }

    private Loaded load() {
        Loaded l = loaded;
        if (l == null) {
            synchronized (this) {
                l = loaded;
                if (l == null) loaded = l = search();
            }
        }
        return l;
    }

    private Loaded search() {
        String override = environment.get(overrideVariable);
        if (override != null && !override.isBlank()) {
            Path path = Path.of(override);
            if (!Files.isRegularFile(path)) return failed(overrideVariable + "=" + override + " is not a file");
            try {
                return new Loaded(SymbolLookup.libraryLookup(path, Arena.global()), path.getFileName().toString(), path.toString(), null);
            } catch (IllegalArgumentException e) {
                return failed(overrideVariable + "=" + override + " could not be loaded (" + e.getMessage() + ")");
            }
        }
        List<String> names = sonames.get();
        List<Path> directories = searchDirectories.apply(environment);
        List<String> unloadable = new ArrayList<>();
        for (String soname : names) {
            try {
                return new Loaded(SymbolLookup.libraryLookup(soname, Arena.global()), soname, "the system loader's path", null);
            } catch (IllegalArgumentException notOnLoaderPath) {
                // keep looking in the extra directories
            }
            for (Path dir : directories) {
                Path candidate = dir.resolve(soname);
                if (!Files.isRegularFile(candidate)) continue;
                try {
                    return new Loaded(SymbolLookup.libraryLookup(candidate, Arena.global()), soname, candidate.toString(), null);
                } catch (IllegalArgumentException e) {
                    unloadable.add(candidate.toString()); // e.g. a dependency next to it is missing
                }
            }
        }
        String where = directories.isEmpty() ? "" : " and in " + String.join(", ", directories.stream().map(Path::toString).toList());
        String found = unloadable.isEmpty() ? "" : "; found but could not load " + String.join(", ", unloadable);
        return failed(String.join(" or ", names) + " not found (set " + overrideVariable
                + " to its full path; searched the system loader's path" + where + found + ")");
    }

    private static Loaded failed(String why) {
        return new Loaded(null, null, null, why);
    }
}
