package dev.recur.bindings;

import dev.recur.bindings.cublas.Cublas;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cuBLAS bindings against the real libcublas.so.13 from the nvidia-cublas wheel; nothing here needs a GPU. */
class CublasSymbolsTest {
    @BeforeEach
    void needsTheWheel() {
        WheelCublas.assumeLibrary();
    }

    @Test
    void everyBoundSymbolResolvesToADowncallHandle() throws ReflectiveOperationException {
        assertThat(NativeLibraries.CUBLAS.loadFailure()).isEmpty();
        assertThat(Cublas.SYMBOLS).hasSize(11).contains("cublasCreate_v2", "cublasSgemm_v2", "cublasGemmEx");
        for (String symbol : Cublas.SYMBOLS) {
            MemorySegment address = NativeLibraries.CUBLAS.find(symbol).orElseThrow(
                    () -> new AssertionError(symbol + " is not exported by " + NativeLibraries.CUBLAS.location()));
            FunctionDescriptor descriptor = (FunctionDescriptor) Cublas.class.getMethod(symbol + "$descriptor").invoke(null);
            MethodHandle handle = Linker.nativeLinker().downcallHandle(address, descriptor);
            Method binding = Arrays.stream(Cublas.class.getMethods()).filter(m -> m.getName().equals(symbol)).findFirst().orElseThrow();
            assertThat(Modifier.isStatic(binding.getModifiers())).isTrue();
            assertThat(binding.getParameterTypes()).as(symbol).containsExactly(handle.type().parameterArray());
            assertThat(binding.getReturnType()).as(symbol).isEqualTo(handle.type().returnType());
        }
    }

    @Test
    void versionFromTheLibraryMatchesTheHeadersTheBindingsCameFrom() {
        try (Arena arena = Arena.ofConfined()) {
            String headers = Cublas.CUBLAS_VER_MAJOR + "." + Cublas.CUBLAS_VER_MINOR + "." + Cublas.CUBLAS_VER_PATCH;
            assertThat(CudaAvailability.cublasVersion(arena)).isEqualTo(headers);
            // cublasGetVersion_v2 takes a handle, but cuBLAS 13.1 answers with a NULL one, GPU or not.
            MemorySegment version = arena.allocate(ValueLayout.JAVA_INT);
            CublasCheck.check(Cublas.cublasGetVersion_v2(MemorySegment.NULL, version), "cublasGetVersion_v2");
            assertThat(version.get(ValueLayout.JAVA_INT, 0))
                    .isEqualTo(Cublas.CUBLAS_VER_MAJOR * 10000 + Cublas.CUBLAS_VER_MINOR * 100 + Cublas.CUBLAS_VER_PATCH);
        }
    }

    @Test
    void aFailedStatusNamesTheCallAndTheLibrarysNameAndText() {
        CublasCheck.check(Cublas.CUBLAS_STATUS_SUCCESS, "cublasSgemm_v2");
        assertThatThrownBy(() -> CublasCheck.check(Cublas.CUBLAS_STATUS_ALLOC_FAILED, "cublasSgemm_v2"))
                .isInstanceOfSatisfying(CublasException.class, e -> {
                    assertThat(e.call()).isEqualTo("cublasSgemm_v2");
                    assertThat(e.status()).isEqualTo(Cublas.CUBLAS_STATUS_ALLOC_FAILED);
                })
                .hasMessageStartingWith("cublasSgemm_v2 failed: CUBLAS_STATUS_ALLOC_FAILED (")
                .hasMessageNotContaining("\n");
    }

    @Test
    void creatingAHandleFailsClearlyWithoutADriverAndWorksWithOne() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(ValueLayout.ADDRESS);
            int status = Cublas.cublasCreate_v2(handle);
            if (NativeLibraries.CUDA_DRIVER.loadFailure().isPresent()) {
                assertThatThrownBy(() -> CublasCheck.check(status, "cublasCreate_v2"))
                        .isInstanceOf(CublasException.class)
                        .hasMessage("cublasCreate_v2 failed: CUBLAS_STATUS_NOT_INITIALIZED (the library was not initialized)");
            } else if (status == Cublas.CUBLAS_STATUS_SUCCESS) {
                CublasCheck.check(Cublas.cublasDestroy_v2(handle.get(ValueLayout.ADDRESS, 0)), "cublasDestroy_v2");
            }
        }
    }
}
