package dev.recur.engine.backend.gpu;

import java.lang.foreign.MemorySegment;

/**
 * What the GPU code is written against: device memory by 64-bit address, copies, Recur's kernels
 * by name (the ABI of docs/kernels.md) and cuBLAS's {@code Sgemm}. Two implementations:
 * {@code backend.cuda.CudaGpuDevice}, the real one (CUDA driver + cuBLAS through FFM), and
 * {@code backend.emulated.EmulatedGpuDevice}, host memory with Java twins of the kernels and a column-major GEMM,
 * so that the GPU orchestration (launch order, pointer arithmetic, cuBLAS's operand swap) runs
 * and is tested where there is no GPU. Not thread-safe: one thread drives a device.
 *
 * <p>Addresses behave as on a GPU: {@code base + offsetBytes} inside an allocation is a valid
 * pointer, 0 is the null pointer. Copies are synchronous with respect to the host: when
 * {@link #copyToHost} returns, the data are there.
 */
public interface GpuDevice extends AutoCloseable {
    /** One line: which device this is (and whether its GEMMs run in TF32: bench reports carry it). */
    String description();

    /**
     * {@code bytes} of uninitialised device memory (at least 1 byte); its address, 256-byte aligned.
     * A {@link DeviceOutOfMemoryException} when the device has not that much free, and only then.
     */
    long allocate(long bytes);

    /** Frees an address {@link #allocate} returned. */
    void free(long address);

    /** Copies {@code bytes} from host memory to the device address {@code device}. */
    void copyToDevice(MemorySegment host, long device, long bytes);

    /** Copies {@code bytes} from the device address {@code device} into host memory (waits for queued work first). */
    void copyToHost(long device, MemorySegment host, long bytes);

    /** Copies {@code bytes} between device addresses (queued after earlier work). */
    void copyOnDevice(long from, long to, long bytes);

    /** Sets {@code bytes} (a multiple of 4) of device memory to zero: float 0.0 and int 0. */
    void zero(long device, long bytes);

    /** What the device offers the persistent kernels ({@link PersistentPlan}). */
    PersistentPlan.DeviceLimits persistentLimits();

    /** Sets {@code count} floats at the device address {@code device} to {@code value} (queued on the stream). */
    void fill(long device, long count, float value);

    /** The kernel of that name from {@code native/src}; its argument buffer is reused by every launch. */
    GpuKernel kernel(String name);

    /**
     * cublasSgemm, COLUMN-MAJOR exactly as cuBLAS: C = alpha·op(A)·op(B) + beta·C with op(A) [m, k],
     * op(B) [k, n], C [m, n], leading dimensions in elements. C is not read when beta is 0.
     * Row-major callers use {@link #rowMajorSgemm}.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
               float beta, long c, int ldc);

    /**
     * Row-major C [m, n] = alpha·op(A)·op(B) + beta·C through the column-major {@link #sgemm}: a
     * row-major matrix read column-major is its transpose, so compute C^T = op(B)^T · op(A)^T,
     * i.e. swap the operands (and m with n); the transpose flags and leading dimensions stay with
     * their matrices.
     */
    default void rowMajorSgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                               long b, int ldb, float beta, long c, int ldc) {
        sgemm(transB, transA, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
    }

    /**
     * TF32 for the GEMMs that follow (opt-in; off by default, fp32 exact): cuBLAS's
     * CUBLAS_TF32_TENSOR_OP_MATH, where op(A) and op(B) are rounded to TF32 (10 explicit mantissa
     * bits, as fp16 has) and products accumulate in fp32. Tensor cores then run the GEMMs several
     * times faster, at a relative error around 1e-3 per product instead of 1e-7.
     */
    void setTf32(boolean enabled);

    /** Waits until every queued kernel, GEMM and copy is done; an asynchronous failure surfaces here. */
    void synchronize();

    /**
     * Records the device work that {@code work} queues (kernel launches, GEMMs, {@link #zero},
     * {@link #fill}, {@link #copyOnDevice}) into a graph instead of running it; nothing runs until
     * {@link GpuGraph#replay}. While recording, host copies, allocating, freeing and
     * {@link #synchronize} are refused, as CUDA's stream capture refuses them. An exception from
     * {@code work} or from the recording ends it and is thrown, and no graph is made: the caller
     * then runs the work directly.
     */
    GpuGraph capture(Runnable work);

    @Override
    void close();
}
