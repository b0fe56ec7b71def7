package dev.recur.bindings;

import dev.recur.bindings.cuda.CudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Checks every CUresult: {@code CudaCheck.check(CudaDriver.cuMemAlloc_v2(ptr, bytes), "cuMemAlloc_v2")}. */
public final class CudaCheck {
    private CudaCheck() { }

    /** Returns when {@code result} is CUDA_SUCCESS; throws {@link CudaException} naming {@code call} and the error otherwise. */
    public static void check(int result, String call) {
        if (result != CudaDriver.CUDA_SUCCESS) throw new CudaException(call, result, call + " failed: " + describe(result));
    }

    /**
     * {@code CUDA_ERROR_OUT_OF_MEMORY (out of memory)}, from cuGetErrorName and cuGetErrorString;
     * the bare number when the driver cannot say (not loaded, or a code it does not know).
     */
    public static String describe(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(ValueLayout.ADDRESS);
            if (CudaDriver.cuGetErrorName(result, text) != CudaDriver.CUDA_SUCCESS) return "CUresult " + result + " (unknown to the driver)";
            String name = NativeStrings.read(text.get(ValueLayout.ADDRESS, 0));
            if (CudaDriver.cuGetErrorString(result, text) != CudaDriver.CUDA_SUCCESS) return name;
            return name + " (" + NativeStrings.read(text.get(ValueLayout.ADDRESS, 0)) + ")";
        } catch (NativeLibraryException e) {
            return "CUresult " + result + " (no name: cannot call cuGetErrorName: " + e.getMessage() + ")";
        }
    }
}
