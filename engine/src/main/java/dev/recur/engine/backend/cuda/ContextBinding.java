package dev.recur.engine.backend.cuda;

/**
 * Keeps a CUDA context current on whichever thread calls: the driver binds a context per thread,
 * so a device opened on one thread and then used from another (a service's request threads, the
 * CPU pool) would get CUDA_ERROR_INVALID_CONTEXT from the driver, while cuBLAS would silently
 * attach to some other context. {@link #onCallingThread} makes the context current when the
 * calling thread is not the one it was last made current on: one {@code cuCtxSetCurrent} per
 * change of thread, nothing on the calls in between. (It assumes no other code switches the
 * context of a thread in between; Recur's own code does not.) One thread at a time still: the
 * device it serves is not thread-safe.
 */
final class ContextBinding {
    private final Runnable makeCurrent;
    private volatile Thread currentOn;

    /** @param makeCurrent makes the context current on the calling thread (cuCtxSetCurrent) */
    ContextBinding(Runnable makeCurrent) {
        this.makeCurrent = makeCurrent;
    }

    void onCallingThread() {
        Thread caller = Thread.currentThread();
        if (currentOn != caller) {
            makeCurrent.run();
            currentOn = caller;
        }
    }
}
