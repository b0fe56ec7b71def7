package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CublasCheck;
import dev.recur.bindings.CudaCheck;
import dev.recur.bindings.CudaException;
import dev.recur.bindings.cublas.Cublas;
import dev.recur.bindings.cuda.CudaDriver;
import dev.recur.engine.backend.gpu.CachingDeviceAllocator;
import dev.recur.engine.backend.gpu.DeviceOutOfMemoryException;
import dev.recur.engine.backend.gpu.GpuDevice;
import dev.recur.engine.backend.gpu.GpuGraph;
import dev.recur.engine.backend.gpu.GpuKernel;
import dev.recur.engine.backend.gpu.PersistentPlan;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The real {@link GpuDevice}: GPU 0 through {@link CudaSession} (primary context, one blocking
 * stream, Recur's fatbin, a cuBLAS handle on that stream). Memory with cuMemAlloc / cuMemFree
 * (the {@link CachingDeviceAllocator} above it keeps those rare), synchronous copies (ordered
 * with the stream: it is a blocking stream, and the synchronous copies run on the legacy default
 * stream), kernels with their reusable argument buffers, GEMMs with cublasSgemm (fp32, default
 * math mode, or TF32 after {@link #setTf32}). Its context is made current on whichever thread
 * calls (one thread at a time). Compiles and is wired up; it has not run on a GPU yet.
 */
public final class CudaGpuDevice implements GpuDevice {
    private final CudaSession cuda;
    /** cuBLAS reads alpha and beta from host memory (the default pointer mode) when the call is made. */
    private final Arena scalars = Arena.ofShared();
    private final MemorySegment alpha = scalars.allocate(ValueLayout.JAVA_FLOAT);
    private final MemorySegment beta = scalars.allocate(ValueLayout.JAVA_FLOAT);
    private final MemorySegment addressOut = scalars.allocate(ValueLayout.JAVA_LONG);
    private boolean closed;
    private boolean tf32;
    private PersistentPlan.DeviceLimits limits;

    private CudaGpuDevice(CudaSession cuda) {
        this.cuda = cuda;
    }

    /** Opens GPU 0; an {@link IllegalStateException} with one line saying why when it cannot. */
    public static CudaGpuDevice open() {
        return new CudaGpuDevice(CudaSession.open());
    }

    @Override
    public String description() {
        return "CUDA GPU 0 (driver API + cuBLAS" + (tf32 ? ", TF32 GEMMs)" : ")");
    }

    /** {@inheritDoc} Out of memory is a {@link DeviceOutOfMemoryException}, any other failure a {@link CudaException}. */
    @Override
    public long allocate(long bytes) {
        ensureOpen();
        int result = CudaDriver.cuMemAlloc_v2(addressOut, Math.max(1, bytes));
        if (result != CudaDriver.CUDA_SUCCESS) {
            String call = "cuMemAlloc_v2(" + bytes + " bytes)";
            CudaException failure = new CudaException(call, result, call + " failed: " + CudaCheck.describe(result));
            if (result == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY) throw new DeviceOutOfMemoryException(failure.getMessage(), failure);
            throw failure;
        }
        return addressOut.get(ValueLayout.JAVA_LONG, 0);
    }

    @Override
    public void free(long address) {
        ensureOpen();
        CudaCheck.check(CudaDriver.cuMemFree_v2(address), "cuMemFree_v2");
    }

    @Override
    public void copyToDevice(MemorySegment host, long device, long bytes) {
        if (bytes == 0) return;
        ensureOpen();
        CudaCheck.check(CudaDriver.cuMemcpyHtoD_v2(device, host, bytes), "cuMemcpyHtoD_v2");
    }

    @Override
    public void copyToHost(long device, MemorySegment host, long bytes) {
        if (bytes == 0) return;
        ensureOpen();
        CudaCheck.check(CudaDriver.cuMemcpyDtoH_v2(host, device, bytes), "cuMemcpyDtoH_v2");
    }

    @Override
    public void copyOnDevice(long from, long to, long bytes) {
        if (bytes == 0) return;
        ensureOpen();
        CudaCheck.check(CudaDriver.cuMemcpyDtoDAsync_v2(to, from, bytes, cuda.stream()), "cuMemcpyDtoDAsync_v2");
    }

    @Override
    public void zero(long device, long bytes) {
        if (bytes % 4 != 0) throw new IllegalArgumentException("zero: " + bytes + " bytes is not a multiple of 4");
        if (bytes == 0) return;
        ensureOpen();
        CudaCheck.check(CudaDriver.cuMemsetD32Async(device, 0, bytes / 4, cuda.stream()), "cuMemsetD32Async");
    }

    /** GPU 0's limits for the persistent kernels, read once. */
    @Override
    public PersistentPlan.DeviceLimits persistentLimits() {
        ensureOpen();
        if (limits == null) {
            limits = new PersistentPlan.DeviceLimits(
                    cuda.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                    cuda.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR),
                    cuda.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                    cuda.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK),
                    cuda.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK),
                    cuda.attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH) != 0);
        }
        return limits;
    }

    /** cuMemsetD32Async with the float's bits: a fill of any 32-bit pattern, no kernel needed. */
    @Override
    public void fill(long device, long count, float value) {
        if (count == 0) return;
        ensureOpen();
        CudaCheck.check(CudaDriver.cuMemsetD32Async(device, Float.floatToRawIntBits(value), count, cuda.stream()),
                "cuMemsetD32Async");
    }

    @Override
    public GpuKernel kernel(String name) {
        ensureOpen();
        return cuda.kernel(name);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        ensureOpen();
        this.alpha.set(ValueLayout.JAVA_FLOAT, 0, alpha);
        this.beta.set(ValueLayout.JAVA_FLOAT, 0, beta);
        CublasCheck.check(Cublas.cublasSgemm_v2(cuda.cublas(), transA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N,
                transB ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, m, n, k, this.alpha, MemorySegment.ofAddress(a), lda,
                MemorySegment.ofAddress(b), ldb, this.beta, MemorySegment.ofAddress(c), ldc), "cublasSgemm_v2");
    }

    @Override
    public void setTf32(boolean enabled) {
        ensureOpen();
        CublasCheck.check(Cublas.cublasSetMathMode(cuda.cublas(),
                enabled ? Cublas.CUBLAS_TF32_TENSOR_OP_MATH : Cublas.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        tf32 = enabled;
    }

    @Override
    public void synchronize() {
        ensureOpen();
        cuda.synchronize();
    }

    /**
     * Stream capture (thread-local mode: other threads' CUDA calls are not disturbed) of what
     * {@code work} queues on the session's stream, instantiated as an executable graph. cuBLAS
     * calls are captured with the rest; alpha and beta are read from host memory when each call
     * is recorded, so the graph keeps the values they had then.
     */
    @Override
    public GpuGraph capture(Runnable work) {
        ensureOpen();
        MemorySegment stream = cuda.stream();
        CudaCheck.check(CudaDriver.cuStreamBeginCapture_v2(stream, CudaDriver.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture_v2");
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment out = scratch.allocate(ValueLayout.ADDRESS);
            try {
                work.run();
            } catch (RuntimeException e) {
                // End the capture so that the stream is usable again; its graph, if any, is thrown away.
                if (CudaDriver.cuStreamEndCapture(stream, out) == CudaDriver.CUDA_SUCCESS
                        && !out.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL)) {
                    CudaDriver.cuGraphDestroy(out.get(ValueLayout.ADDRESS, 0));
                }
                throw e;
            }
            CudaCheck.check(CudaDriver.cuStreamEndCapture(stream, out), "cuStreamEndCapture");
            MemorySegment graph = out.get(ValueLayout.ADDRESS, 0);
            try {
                CudaCheck.check(CudaDriver.cuGraphInstantiateWithFlags(out, graph, 0), "cuGraphInstantiateWithFlags");
            } finally {
                CudaDriver.cuGraphDestroy(graph);   // the executable graph is independent of it
            }
            MemorySegment executable = out.get(ValueLayout.ADDRESS, 0);
            return new GpuGraph() {
                private boolean closed;

                @Override
                public void replay() {
                    if (closed) throw new IllegalStateException("this CUDA graph is closed");
                    ensureOpen();
                    CudaCheck.check(CudaDriver.cuGraphLaunch(executable, stream), "cuGraphLaunch");
                }

                @Override
                public void close() {
                    if (closed) return;
                    closed = true;
                    ensureOpen();
                    CudaCheck.check(CudaDriver.cuGraphExecDestroy(executable), "cuGraphExecDestroy");
                }
            };
        }
    }

    /** Checks that the device is open and makes its context current on the calling thread. */
    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this CudaGpuDevice is closed");
        cuda.bindToCallingThread();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            cuda.close();
        } finally {
            scalars.close();
        }
    }
}
