package dev.recur.bindings;

/** A CUDA driver API call returned an error; the message names the call, the CUresult's name and its text. */
public final class CudaException extends RuntimeException {
    private final String call;
    private final int result;

    public CudaException(String call, int result, String message) {
        super(message);
        this.call = call;
        this.result = result;
    }

    /** The driver function that failed, e.g. {@code cuMemAlloc_v2}. */
    public String call() {
        return call;
    }

    /** The CUresult it returned. */
    public int result() {
        return result;
    }
}
