package dev.recur.bindings;

import dev.recur.bindings.cuda.CudaDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A missing library or symbol gives one clear line, as a status or an exception: never a JVM crash or a linkage error. */
class NoDriverTest {
    private static final FunctionDescriptor INT_OF_INT = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    @Test
    void anOverrideThatIsNotAFileIsNamedAndNothingElseIsTried() throws Throwable {
        NativeLibrary driver = new NativeLibrary("libcuda.so.1", "RECUR_CUDA_LIB", env -> List.of(),
                Map.of("RECUR_CUDA_LIB", "/nonexistent/libcuda.so.1"));
        assertThat(driver.loadFailure()).contains("RECUR_CUDA_LIB=/nonexistent/libcuda.so.1 is not a file");
        MethodHandle cuInit = driver.downcall("cuInit", INT_OF_INT);
        for (int attempt = 0; attempt < 2; attempt++) { // each call throws afresh: no class-initialisation error on the second
            assertThatThrownBy(() -> { int ignored = (int) cuInit.invokeExact(0); })
                    .isExactlyInstanceOf(NativeLibraryException.class)
                    .hasMessage("RECUR_CUDA_LIB=/nonexistent/libcuda.so.1 is not a file");
        }
    }

    @Test
    void aLibraryFoundNowhereListsEveryPlaceSearched(@TempDir Path cudaHome) {
        NativeLibrary library = new NativeLibrary("libcuda-recur-test.so.1", "RECUR_CUDA_LIB", NativeLibraries::cudaDirectories,
                Map.of("CUDA_HOME", cudaHome.toString(), "LD_LIBRARY_PATH", "/opt/a:/opt/b"));
        assertThat(library.loadFailure()).hasValueSatisfying(why -> assertThat(why)
                .startsWith("libcuda-recur-test.so.1 not found (set RECUR_CUDA_LIB to its full path; searched the system loader's path and in ")
                .contains(cudaHome.resolve("lib64").toString(), cudaHome.resolve("targets/x86_64-linux/lib").toString(), "/opt/a", "/opt/b")
                .doesNotContain("\n"));
        MethodHandle handle = library.downcall("cuMemFree_v2", FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
        assertThatThrownBy(() -> { handle.invokeExact(42L); }).isExactlyInstanceOf(NativeLibraryException.class)
                .hasMessageStartingWith("libcuda-recur-test.so.1 not found");
    }

    @Test
    void aFileThatIsNotALibraryIsReportedAsFoundButNotLoadable(@TempDir Path dir) throws IOException {
        // An executable is an ELF file that dlopen refuses, as it refuses a library whose dependencies are missing.
        Files.copy(Path.of("/bin/true"), dir.resolve("libcuda-recur-test.so.1"));
        NativeLibrary library = new NativeLibrary("libcuda-recur-test.so.1", "RECUR_CUDA_LIB", env -> List.of(dir), Map.of());
        assertThat(library.loadFailure()).hasValueSatisfying(why -> assertThat(why)
                .contains("found but could not load " + dir.resolve("libcuda-recur-test.so.1")));
    }

    @Test
    void aSymbolMissingFromALoadedLibraryFailsAtItsCallOnly() throws Throwable {
        NativeLibrary libc = new NativeLibrary("libc.so.6", "RECUR_TEST_LIBC", env -> List.of(), Map.of());
        MethodHandle abs = libc.downcall("abs", INT_OF_INT);
        assertThat((int) abs.invokeExact(-7)).isEqualTo(7);
        MethodHandle missing = libc.downcall("cuRecurNoSuchFunction_v9", INT_OF_INT);
        assertThatThrownBy(() -> { int ignored = (int) missing.invokeExact(0); })
                .isExactlyInstanceOf(NativeLibraryException.class)
                .hasMessage("cuRecurNoSuchFunction_v9 not found in libc.so.6 at the system loader's path (an older version without it?)");
    }

    @Test
    void cuBlasIsAlsoLookedForInThePythonWheelsOfEachPythonOnThePath(@TempDir Path prefix) throws IOException {
        Path python = Files.createDirectories(prefix.resolve("bin")).resolve("python3");
        Files.createFile(python, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path sitePackages = Files.createDirectories(prefix.resolve("lib/python3.12/site-packages"));
        List<Path> dirs = NativeLibraries.cublasDirectories(Map.of("PATH", prefix.resolve("bin").toString(), "HOME", prefix.toString()));
        assertThat(dirs).contains(sitePackages.resolve("nvidia/cu13/lib"), sitePackages.resolve("nvidia/cublas/lib"),
                Path.of("/usr/local/cuda/lib64"));
    }

    @Test
    void aLibraryWithSeveralNamesTakesTheFirstFoundAndNamesThemAllWhenNoneIs() {
        NativeLibrary found = new NativeLibrary(() -> List.of("libc-recur-test.so.13", "libc.so.6"), "RECUR_TEST_LIBC",
                env -> List.of(), Map.of());
        assertThat(found.loadFailure()).isEmpty();
        assertThat(found.soname()).isEqualTo("libc.so.6");
        NativeLibrary missing = new NativeLibrary(() -> List.of("libcublas-recur-test.so.13", "libcublas-recur-test.so.12"),
                "RECUR_CUBLAS_LIB", env -> List.of(), Map.of());
        assertThat(missing.loadFailure()).hasValue("libcublas-recur-test.so.13 or libcublas-recur-test.so.12 not found"
                + " (set RECUR_CUBLAS_LIB to its full path; searched the system loader's path)");
    }

    @Test
    void aCuda12DriverGetsCublas12OnlyAndACuda13DriverPrefers13() {
        assertThat(NativeLibraries.cublasSonames(12040)).containsExactly("libcublas.so.12");
        assertThat(NativeLibraries.cublasSonames(13000)).containsExactly("libcublas.so.13", "libcublas.so.12");
        assertThat(NativeLibraries.cublasSonames(0)).as("no driver: both, for the message")
                .containsExactly("libcublas.so.13", "libcublas.so.12");
    }

    @Test
    void aCublasNewerThanTheDriverIsRefusedInOneLine() {
        assertThat(CudaAvailability.driverTooOld(12, 12040)).isNull();
        assertThat(CudaAvailability.driverTooOld(12, 13000)).isNull();
        assertThat(CudaAvailability.driverTooOld(13, 13000)).isNull();
        assertThat(CudaAvailability.driverTooOld(13, 12080)).isEqualTo("cuBLAS 13 needs a driver for CUDA 13 or newer and"
                + " this one supports CUDA 12.8: install cuBLAS 12 (e.g. the nvidia-cublas-cu12 wheel) or set RECUR_CUBLAS_LIB to one");
    }

    /** The rest holds on machines without the NVIDIA driver, like CI; on a GPU host the driver is there. */
    private static void assumeNoDriver() {
        assumeTrue(NativeLibraries.CUDA_DRIVER.loadFailure().isPresent(), "this machine has libcuda.so.1: the no-driver path cannot be seen here");
    }

    @Test
    void withoutTheDriverTheProbeSaysSoInOneLine() {
        assumeNoDriver();
        CudaAvailability.Status status = CudaAvailability.status();
        assertThat(status.usable()).isFalse();
        assertThat(status.line()).startsWith("no NVIDIA driver: libcuda.so.1 not found (set RECUR_CUDA_LIB to its full path; searched")
                .doesNotContain("\n");
    }

    @Test
    void withoutTheDriverADriverCallThrowsTheLoadingErrorEveryTime() {
        assumeNoDriver();
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> CudaDriver.cuInit(0)).isExactlyInstanceOf(NativeLibraryException.class)
                    .hasMessageStartingWith("libcuda.so.1 not found (set RECUR_CUDA_LIB");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(ValueLayout.JAVA_LONG);
            assertThatThrownBy(() -> CudaDriver.cuMemAlloc_v2(pointer, 1024)).isExactlyInstanceOf(NativeLibraryException.class);
        }
    }

    @Test
    void withoutTheDriverAFailedResultStillNamesTheCallAndTheNumber() {
        assumeNoDriver();
        CudaCheck.check(CudaDriver.CUDA_SUCCESS, "cuMemAlloc_v2");
        assertThatThrownBy(() -> CudaCheck.check(CudaDriver.CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc_v2"))
                .isInstanceOfSatisfying(CudaException.class, e -> {
                    assertThat(e.call()).isEqualTo("cuMemAlloc_v2");
                    assertThat(e.result()).isEqualTo(2);
                })
                .hasMessageStartingWith("cuMemAlloc_v2 failed: CUresult 2 (no name: cannot call cuGetErrorName: libcuda.so.1 not found")
                .hasMessageNotContaining("\n");
    }
}
