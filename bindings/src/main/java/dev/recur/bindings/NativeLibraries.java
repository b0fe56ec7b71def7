package dev.recur.bindings;

import dev.recur.bindings.cuda.CudaDriver;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** The NVIDIA libraries Recur binds, and where each is looked for (see {@link NativeLibrary} for the order). */
public final class NativeLibraries {
    /** The CUDA driver API; it comes with the NVIDIA driver, never with the toolkit or a wheel. */
    public static final NativeLibrary CUDA_DRIVER = new NativeLibrary("libcuda.so.1", "RECUR_CUDA_LIB",
            NativeLibraries::cudaDirectories, System.getenv());

    /**
     * cuBLAS 13 or 12 ({@link #cublasSonames}): from the CUDA toolkit, or from the nvidia-cublas
     * wheel that PyTorch installs. The functions Recur binds have the same ABI in both.
     */
    public static final NativeLibrary CUBLAS = new NativeLibrary(() -> cublasSonames(driverCudaVersion()), "RECUR_CUBLAS_LIB",
            NativeLibraries::cublasDirectories, System.getenv());

    private NativeLibraries() { }

    /**
     * The cuBLAS sonames to look for, best first, for a driver supporting CUDA {@code driverVersion}
     * (cuDriverGetVersion's 1000·major + 10·minor; 0 when unknown): a cuBLAS needs a driver of its
     * own major version or newer, so a CUDA 12 driver gets cuBLAS 12 only, even where 13 is
     * installed; a CUDA 13 driver (or an unknown one) prefers 13 and takes 12.
     */
    static List<String> cublasSonames(int driverVersion) {
        if (driverVersion > 0 && driverVersion < 13000) return List.of("libcublas.so.12");
        return List.of("libcublas.so.13", "libcublas.so.12");
    }

    /** The CUDA version the driver supports (cuDriverGetVersion, which needs no cuInit); 0 without a driver. */
    static int driverCudaVersion() {
        if (CUDA_DRIVER.loadFailure().isPresent()) return 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment version = arena.allocate(ValueLayout.JAVA_INT);
            return CudaDriver.cuDriverGetVersion(version) == CudaDriver.CUDA_SUCCESS ? version.get(ValueLayout.JAVA_INT, 0) : 0;
        } catch (NativeLibraryException e) {
            return 0;
        }
    }

    /** CUDA_HOME's library folders (/usr/local/cuda when unset), then each LD_LIBRARY_PATH entry. */
    static List<Path> cudaDirectories(Map<String, String> env) {
        Set<Path> dirs = new LinkedHashSet<>();
        Path cudaHome = Path.of(env.getOrDefault("CUDA_HOME", env.getOrDefault("CUDA_PATH", "/usr/local/cuda")));
        dirs.add(cudaHome.resolve("lib64"));
        dirs.add(cudaHome.resolve("targets/x86_64-linux/lib"));
        // dlopen read LD_LIBRARY_PATH when the JVM started; listing it again names it in the error.
        for (String entry : env.getOrDefault("LD_LIBRARY_PATH", "").split(":")) {
            if (!entry.isBlank()) dirs.add(Path.of(entry));
        }
        return List.copyOf(dirs);
    }

    /** The CUDA directories, then the lib folders of the nvidia wheels in every Python site-packages found. */
    static List<Path> cublasDirectories(Map<String, String> env) {
        Set<Path> dirs = new LinkedHashSet<>(cudaDirectories(env));
        for (Path sitePackages : pythonSitePackages(env)) {
            dirs.add(sitePackages.resolve("nvidia/cu13/lib"));   // nvidia-cublas 13.x wheels
            dirs.add(sitePackages.resolve("nvidia/cublas/lib")); // nvidia-cublas-cu12 wheels (PyTorch +cu12x)
        }
        return List.copyOf(dirs);
    }

    /**
     * Python site-packages folders, found without starting Python: the prefix of each python3 on
     * PATH, the active virtualenv and conda prefix, pyenv's versions, the user's and the system's.
     */
    static List<Path> pythonSitePackages(Map<String, String> env) {
        Set<Path> prefixes = new LinkedHashSet<>();
        for (String dir : env.getOrDefault("PATH", "").split(":")) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, "python3"))) {
                Path parent = Path.of(dir).toAbsolutePath().getParent();
                if (parent != null) prefixes.add(parent);
            }
        }
        for (String variable : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) prefixes.add(Path.of(value));
        }
        String home = env.getOrDefault("HOME", "");
        Path pyenv = Path.of(env.getOrDefault("PYENV_ROOT", home + "/.pyenv"), "versions");
        prefixes.addAll(children(pyenv));
        if (!home.isBlank()) prefixes.add(Path.of(home, ".local"));
        prefixes.add(Path.of("/usr/local"));
        prefixes.add(Path.of("/usr"));

        List<Path> sitePackages = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path lib : children(prefix.resolve("lib"))) {
                if (!lib.getFileName().toString().startsWith("python3")) continue;
                for (String name : List.of("site-packages", "dist-packages")) {
                    if (Files.isDirectory(lib.resolve(name))) sitePackages.add(lib.resolve(name));
                }
            }
        }
        return sitePackages;
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        } catch (IOException | SecurityException e) {
            return List.of(); // an unreadable folder is one place fewer to look
        }
    }
}
