package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CublasCheck;
import dev.recur.bindings.CudaAvailability;
import dev.recur.bindings.CudaCheck;
import dev.recur.bindings.cublas.Cublas;
import dev.recur.bindings.cuda.CudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * GPU 0 ready for work: its primary context, one stream, Recur's kernels (the fatbin that
 * {@code native/} packs into the jar) loaded as a module, and a cuBLAS handle on that stream.
 * The bottom of the CUDA backend: {@link CudaGpuDevice} adds memory, copies and GEMMs on top of
 * it. The context is made current on whichever thread calls ({@link #bindToCallingThread}); one
 * thread at a time, as the session is not thread-safe.
 */
public final class CudaSession implements AutoCloseable {
    /** Where {@code native/build.sh} puts the kernels inside the jar. */
    static final String FATBIN = "/dev/recur/native/recur_kernels.fatbin";
    static final String FATBIN_INFO = "/dev/recur/native/recur_kernels.properties";
    private static final int JIT_LOG_BYTES = 8192;

    private final Arena arena = Arena.ofShared();
    private final int device;
    private final MemorySegment stream;
    private final MemorySegment module;
    private final MemorySegment cublas;
    private final ContextBinding context;
    /** Gives back the handle, module, stream and context, newest first ({@link #close}). */
    private final ReleaseSteps release;
    private final Map<String, CudaKernel> kernels = new HashMap<>();
    private boolean closed;

    private CudaSession(int device, MemorySegment stream, MemorySegment module, MemorySegment cublas, ContextBinding context,
                        ReleaseSteps release) {
        this.device = device;
        this.stream = stream;
        this.module = module;
        this.cublas = cublas;
        this.context = context;
        this.release = release;
    }

    /**
     * Opens GPU 0; an {@link IllegalStateException} with one line saying why when it cannot. A
     * failure part way gives back what was acquired before it (context, stream, module).
     */
    public static CudaSession open() {
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.usable()) {
            throw new IllegalStateException("no usable GPU: " + status.line());
        }
        byte[] image = fatbin();
        ReleaseSteps release = new ReleaseSteps();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment out = scratch.allocate(ValueLayout.ADDRESS);
            MemorySegment deviceOut = scratch.allocate(ValueLayout.JAVA_INT);
            CudaCheck.check(CudaDriver.cuDeviceGet(deviceOut, 0), "cuDeviceGet");
            int device = deviceOut.get(ValueLayout.JAVA_INT, 0);
            CudaCheck.check(CudaDriver.cuDevicePrimaryCtxRetain(out, device), "cuDevicePrimaryCtxRetain");
            release.add(() -> CudaCheck.check(CudaDriver.cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease_v2"));
            MemorySegment primary = out.get(ValueLayout.ADDRESS, 0);
            ContextBinding context = new ContextBinding(
                    () -> CudaCheck.check(CudaDriver.cuCtxSetCurrent(primary), "cuCtxSetCurrent"));
            context.onCallingThread();
            // A blocking stream: it orders with the legacy default stream, on which CudaGpuDevice's
            // synchronous copies run, so an upload is complete before the next kernel reads it.
            CudaCheck.check(CudaDriver.cuStreamCreate(out, CudaDriver.CU_STREAM_DEFAULT), "cuStreamCreate");
            MemorySegment stream = out.get(ValueLayout.ADDRESS, 0);
            release.add(() -> CudaCheck.check(CudaDriver.cuStreamDestroy_v2(stream), "cuStreamDestroy_v2"));
            MemorySegment module = loadModule(scratch, image);
            release.add(() -> CudaCheck.check(CudaDriver.cuModuleUnload(module), "cuModuleUnload"));
            CublasCheck.check(Cublas.cublasCreate_v2(out), "cublasCreate_v2");
            MemorySegment cublas = out.get(ValueLayout.ADDRESS, 0);
            release.add(() -> CublasCheck.check(Cublas.cublasDestroy_v2(cublas), "cublasDestroy_v2"));
            CublasCheck.check(Cublas.cublasSetStream_v2(cublas, stream), "cublasSetStream_v2");
            return new CudaSession(device, stream, module, cublas, context, release);
        } catch (RuntimeException e) {
            release.runAllAfter(e);
            throw e instanceof IllegalStateException ? e
                    : new IllegalStateException("GPU 0 could not be opened: " + String.valueOf(e.getMessage()).replace('\n', ' '), e);
        }
    }

    /**
     * Whether GPU 0 can run Recur, once per JVM: the bindings' probe (driver, device, a cuBLAS the
     * driver can run), and then a session opened on it, which loads Recur's kernels as a module:
     * a fatbin without code for this GPU's architecture, or PTX newer than the driver, makes the
     * answer "not usable" with the loader's reason, not a failure at the first launch.
     */
    public static CudaAvailability.Status availability() {
        CudaAvailability.Status s = availability;
        if (s == null) {
            synchronized (CudaSession.class) {
                s = availability;
                if (s == null) availability = s = probe();
            }
        }
        return s;
    }

    private static volatile CudaAvailability.Status availability;

    private static CudaAvailability.Status probe() {
        CudaAvailability.Status bindings = CudaAvailability.status();
        if (!bindings.usable()) return bindings;
        try (CudaSession session = open()) {
            return new CudaAvailability.Status(true, bindings.line() + "; Recur's kernels loaded (compute capability "
                    + session.computeCapability() + ")");
        } catch (RuntimeException e) {
            return new CudaAvailability.Status(false, bindings.line() + ", but " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    /** GPU 0's compute capability, e.g. {@code 9.0}. */
    String computeCapability() {
        return attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) + "."
                + attribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    }

    /** One of GPU 0's attributes (a {@code CU_DEVICE_ATTRIBUTE_*} of the driver). */
    int attribute(int attribute) {
        bindToCallingThread();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment value = scratch.allocate(ValueLayout.JAVA_INT);
            CudaCheck.check(CudaDriver.cuDeviceGetAttribute(value, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** The kernels' fatbin from the jar; an {@link IllegalStateException} saying why when this build has none. */
    static byte[] fatbin() {
        try (InputStream in = CudaSession.class.getResourceAsStream(FATBIN)) {
            if (in != null) return in.readAllBytes();
            Properties info = new Properties();
            try (InputStream infoIn = CudaSession.class.getResourceAsStream(FATBIN_INFO)) {
                if (infoIn != null) info.load(infoIn);
            }
            throw new IllegalStateException("this build has no CUDA kernels (" + FATBIN + "): "
                    + info.getProperty("reason", "the native module was not built"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + FATBIN + " from the jar: " + e.getMessage(), e);
        }
    }

    /** cuModuleLoadDataEx with an error-log buffer, so that a JIT failure says what went wrong. */
    private static MemorySegment loadModule(Arena scratch, byte[] image) {
        MemorySegment data = scratch.allocate(image.length + 1L, 64);
        MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
        MemorySegment log = scratch.allocate(JIT_LOG_BYTES);
        MemorySegment options = scratch.allocate(ValueLayout.JAVA_INT, 2);
        options.setAtIndex(ValueLayout.JAVA_INT, 0, CudaDriver.CU_JIT_ERROR_LOG_BUFFER);
        options.setAtIndex(ValueLayout.JAVA_INT, 1, CudaDriver.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
        MemorySegment values = scratch.allocate(ValueLayout.ADDRESS, 2);
        values.setAtIndex(ValueLayout.ADDRESS, 0, log);
        values.setAtIndex(ValueLayout.ADDRESS, 1, MemorySegment.ofAddress(JIT_LOG_BYTES));   // a size passed as a pointer
        MemorySegment out = scratch.allocate(ValueLayout.ADDRESS);
        int result = CudaDriver.cuModuleLoadDataEx(out, data, 2, options, values);
        if (result != CudaDriver.CUDA_SUCCESS) {
            String jitLog = log.getString(0).strip();
            throw new IllegalStateException("cuModuleLoadDataEx(" + FATBIN + ") failed: " + CudaCheck.describe(result)
                    + (jitLog.isEmpty() ? "" : "; JIT log: " + jitLog.replace('\n', ' ')));
        }
        return out.get(ValueLayout.ADDRESS, 0);
    }

    /** The kernel of that name (an {@code extern "C"} function of {@code native/src}), looked up once. */
    public CudaKernel kernel(String name) {
        bindToCallingThread();
        return kernels.computeIfAbsent(name, n -> {
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment out = scratch.allocate(ValueLayout.ADDRESS);
                CudaCheck.check(CudaDriver.cuModuleGetFunction(out, module, scratch.allocateFrom(n)), "cuModuleGetFunction(" + n + ")");
                return new CudaKernel(n, out.get(ValueLayout.ADDRESS, 0), this, arena);
            }
        });
    }

    /** The stream every kernel and cuBLAS call of this device is queued on. */
    public MemorySegment stream() {
        return stream;
    }

    /** The cuBLAS handle (bound to {@link #stream()}). */
    public MemorySegment cublas() {
        return cublas;
    }

    /** Waits until the stream's work is done; a kernel's launch failure surfaces here. */
    public void synchronize() {
        bindToCallingThread();
        CudaCheck.check(CudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /**
     * Checks that the session is open and makes its context current on the calling thread (see
     * {@link ContextBinding}); every driver or cuBLAS call on the session's objects comes after it.
     */
    public void bindToCallingThread() {
        if (closed) throw new IllegalStateException("this CudaSession is closed");
        context.onCallingThread();
    }

    /** Gives back the cuBLAS handle, module, stream and context: every one, even when one fails (the first failure is thrown). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        release.add(context::onCallingThread);   // runs first: the calls after it act on the calling thread's context
        try {
            release.runAll();
        } finally {
            arena.close();
        }
    }
}
