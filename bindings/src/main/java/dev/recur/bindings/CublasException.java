package dev.recur.bindings;

/** A cuBLAS call returned an error; the message names the call, the cublasStatus_t's name and its text. */
public final class CublasException extends RuntimeException {
    private final String call;
    private final int status;

    public CublasException(String call, int status, String message) {
        super(message);
        this.call = call;
        this.status = status;
    }

    /** The cuBLAS function that failed, e.g. {@code cublasSgemm_v2}. */
    public String call() {
        return call;
    }

    /** The cublasStatus_t it returned. */
    public int status() {
        return status;
    }
}
