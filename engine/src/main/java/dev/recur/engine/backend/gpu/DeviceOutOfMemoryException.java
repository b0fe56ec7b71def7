package dev.recur.engine.backend.gpu;

/**
 * A device allocation failed for want of memory (CUDA_ERROR_OUT_OF_MEMORY), and only then: the one
 * failure after which freeing cached memory and trying again can help. Every other allocation
 * failure (a sticky kernel fault surfacing at cuMemAlloc, a lost device) is left as it is.
 */
public final class DeviceOutOfMemoryException extends RuntimeException {
    public DeviceOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
