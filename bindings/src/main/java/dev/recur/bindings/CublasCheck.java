package dev.recur.bindings;

import dev.recur.bindings.cublas.Cublas;

/** Checks every cublasStatus_t: {@code CublasCheck.check(Cublas.cublasSgemm_v2(...), "cublasSgemm_v2")}. */
public final class CublasCheck {
    private CublasCheck() { }

    /** Returns when {@code status} is CUBLAS_STATUS_SUCCESS; throws {@link CublasException} naming {@code call} and the error otherwise. */
    public static void check(int status, String call) {
        if (status != Cublas.CUBLAS_STATUS_SUCCESS) throw new CublasException(call, status, call + " failed: " + describe(status));
    }

    /** {@code CUBLAS_STATUS_ALLOC_FAILED (resource allocation failed)}, from cublasGetStatusName/String; the number when cuBLAS is not loaded. */
    public static String describe(int status) {
        try {
            String name = NativeStrings.read(Cublas.cublasGetStatusName(status));
            String text = NativeStrings.read(Cublas.cublasGetStatusString(status));
            if (name == null) return "cublasStatus_t " + status;
            return text == null ? name : name + " (" + text + ")";
        } catch (NativeLibraryException e) {
            return "cublasStatus_t " + status + " (no name: cannot call cublasGetStatusName: " + e.getMessage() + ")";
        }
    }
}
