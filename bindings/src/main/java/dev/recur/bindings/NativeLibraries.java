package dev.recur.bindings;

import java.io.IOException;
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

    /** cuBLAS 13: from the CUDA toolkit, or from the nvidia-cublas wheel that PyTorch installs. */
    public static final NativeLibrary CUBLAS = new NativeLibrary("libcublas.so.13", "RECUR_CUBLAS_LIB",
            NativeLibraries::cublasDirectories, System.getenv());

    private NativeLibraries() { }

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
            dirs.add(sitePackages.resolve("nvidia/cublas/lib")); // the nvidia-cublas-cu12 layout, should a 13 appear there
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
