package dev.recur.engine.backend.emulated;

import dev.recur.engine.backend.gpu.DeviceOutOfMemoryException;
import dev.recur.engine.backend.gpu.GpuDevice;
import dev.recur.engine.backend.gpu.GpuGraph;
import dev.recur.engine.backend.gpu.GpuKernel;
import dev.recur.engine.backend.gpu.PersistentPlan;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link GpuDevice} made of host memory, for testing the GPU orchestration where there is no
 * GPU. Device addresses are the native addresses of off-heap allocations, so pointer arithmetic
 * ({@code base + offsetBytes}) works as on a GPU; kernels run as Java twins that follow the ABI of
 * docs/kernels.md ({@link JavaKernelTwins}), or, with {@link #withHostCompiledKernels}, as the
 * CUDA sources themselves compiled for the host; {@link #sgemm} is a plain column-major loop with
 * cuBLAS's argument rules. Everything runs synchronously on the calling thread.
 *
 * <p>Stricter than a GPU where that finds bugs earlier: new memory is filled with NaN bytes
 * (cuMemAlloc's memory is garbage), so a read of something never written shows in the results;
 * every pointer argument must lie inside a live allocation (use after free, a wrong offset), and
 * every access stays inside its allocation; a kernel launch must set every argument since the
 * previous launch, each with its declared kind (int, float or pointer); an unknown kernel name
 * throws, naming it. What it does NOT check: the CUDA kernels themselves (their twins call the
 * engine's naive kernels), launch configurations, streams and timing.
 */
public final class EmulatedGpuDevice implements GpuDevice {
    /** Bytes of 0xFF: every float a NaN, every int -1. */
    private static final byte GARBAGE = (byte) 0xFF;
    private static final long ALIGNMENT = 256;

    private record Allocation(Arena arena, MemorySegment memory) {
    }

    /** A float array inside one allocation: the allocation's memory and the offset in floats, as the engine's Kernels take them. */
    record Floats(MemorySegment memory, long offset) {
    }

    private final TreeMap<Long, Allocation> allocations = new TreeMap<>();
    /** The kernels' C++ compiled for the host, or null: the Java twins ({@link JavaKernelTwins}). */
    private final HostCompiledCudaKernels hostKernels;
    private long allocationsMade, bytesCopiedToDevice;
    /** While {@link #capture} runs: the operations recorded instead of run; else null. */
    private List<Runnable> recording;
    private int graphsCaptured, graphsReplayed, cooperativeLaunches;
    /** What the emulator claims to offer the persistent kernels: an H100's, unless set. */
    private PersistentPlan.DeviceLimits persistentLimits = PersistentPlan.DeviceLimits.H100_SXM;
    private boolean captureRefused, cooperativeLaunchRefused;
    /** Bytes allocated and not freed, and the most there may be ({@link #setCapacity}). */
    private long liveBytes, capacity = Long.MAX_VALUE;
    private boolean closed;
    /** {@link #setTf32}: the GEMM rounds its operands to TF32 as the tensor cores would. */
    private boolean tf32;

    /** An emulated device whose kernels are the Java twins (the engine's naive kernels). */
    public EmulatedGpuDevice() {
        this.hostKernels = null;
    }

    private EmulatedGpuDevice(HostCompiledCudaKernels hostKernels) {
        this.hostKernels = hostKernels;
    }

    /**
     * An emulated device whose kernels are Recur's CUDA sources compiled for the host
     * ({@code native/host/build.sh}); an {@link IllegalArgumentException} when the library is
     * not there or lacks a kernel that has a twin.
     */
    public static EmulatedGpuDevice withHostCompiledKernels(java.nio.file.Path library) {
        HostCompiledCudaKernels kernels = HostCompiledCudaKernels.load(library);
        for (String name : JavaKernelTwins.names()) {
            if (!JavaKernelTwins.twin(name).javaOnly() && !kernels.has(name)) {
                throw new IllegalArgumentException(kernels.library() + " has no kernel '" + name + "': rebuild it (native/host/build.sh)");
            }
        }
        return new EmulatedGpuDevice(kernels);
    }

    @Override
    public String description() {
        return "emulated GPU (host memory, " + (hostKernels == null ? "Java kernel twins" : "the CUDA kernels compiled for the host")
                + (tf32 ? ", TF32 GEMMs" : "") + "; a test device, not a GPU)";
    }

    /**
     * Makes this device as small as a GPU with {@code bytes} of memory: an allocation that would
     * take the live allocations past it throws {@link DeviceOutOfMemoryException}, as cuMemAlloc's
     * CUDA_ERROR_OUT_OF_MEMORY does.
     */
    public void setCapacity(long bytes) {
        capacity = bytes;
    }

    @Override
    public long allocate(long bytes) {
        ensureOpen();
        refuseWhileCapturing("allocate");
        if (bytes < 0) throw new IllegalArgumentException("cannot allocate " + bytes + " bytes");
        long size = Math.max(1, bytes);
        if (size > capacity - liveBytes) {
            throw new DeviceOutOfMemoryException("emulated GPU out of memory: " + bytes + " bytes asked for, "
                    + liveBytes + " of " + capacity + " in use", null);
        }
        liveBytes += size;
        Arena arena = Arena.ofShared();
        MemorySegment memory = arena.allocate(Math.max(1, bytes), ALIGNMENT);
        memory.fill(GARBAGE);
        allocations.put(memory.address(), new Allocation(arena, memory));
        allocationsMade++;
        return memory.address();
    }

    @Override
    public void free(long address) {
        ensureOpen();
        refuseWhileCapturing("free");
        Allocation a = allocations.remove(address);
        if (a == null) {
            throw new IllegalArgumentException("free(0x" + Long.toHexString(address) + "): not the start of a live allocation");
        }
        liveBytes -= a.memory().byteSize();
        a.arena().close();
    }

    /** Allocations made so far (each a cuMemAlloc on a real device). */
    public long allocationsMade() {
        return allocationsMade;
    }

    /** Allocations not yet freed. */
    public int liveAllocations() {
        return allocations.size();
    }

    /** The allocation holding {@code address}, sliced from that address to its end; a clear error for any other address. */
    MemorySegment memoryAt(long address, String what) {
        ensureOpen();
        Map.Entry<Long, Allocation> e = allocations.floorEntry(address);
        if (address == 0 || e == null || address - e.getKey() >= e.getValue().memory().byteSize()) {
            throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " is not inside a live device allocation");
        }
        return e.getValue().memory().asSlice(address - e.getKey());
    }

    /** {@code address} as the engine's Kernels take arrays (memory, offset in floats); null for 0. */
    Floats floats(long address, String what) {
        if (address == 0) return null;
        if (address % Float.BYTES != 0) {
            throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " is not 4-byte aligned");
        }
        Map.Entry<Long, Allocation> e = allocations.floorEntry(address);
        memoryAt(address, what);   // the checks
        return new Floats(e.getValue().memory(), (address - e.getKey()) / Float.BYTES);
    }

    /** Bytes copied from the host to the device so far (what would cross PCIe on a GPU). */
    public long bytesCopiedToDevice() {
        return bytesCopiedToDevice;
    }

    @Override
    public void copyToDevice(MemorySegment host, long device, long bytes) {
        refuseWhileCapturing("copyToDevice");
        if (bytes == 0) return;
        bytesCopiedToDevice += bytes;
        MemorySegment.copy(host, 0, memoryAt(device, "copyToDevice destination"), 0, bytes);
    }

    @Override
    public void copyToHost(long device, MemorySegment host, long bytes) {
        refuseWhileCapturing("copyToHost");
        if (bytes == 0) return;
        MemorySegment.copy(memoryAt(device, "copyToHost source"), 0, host, 0, bytes);
    }

    @Override
    public void copyOnDevice(long from, long to, long bytes) {
        if (bytes == 0 || recorded(() -> copyOnDevice(from, to, bytes))) return;
        MemorySegment.copy(memoryAt(from, "copyOnDevice source"), 0, memoryAt(to, "copyOnDevice destination"), 0, bytes);
    }

    @Override
    public void zero(long device, long bytes) {
        if (bytes % 4 != 0) throw new IllegalArgumentException("zero: " + bytes + " bytes is not a multiple of 4");
        if (bytes == 0 || recorded(() -> zero(device, bytes))) return;
        memoryAt(device, "zero").asSlice(0, bytes).fill((byte) 0);
    }

    @Override
    public void fill(long device, long count, float value) {
        if (count == 0 || recorded(() -> fill(device, count, value))) return;
        MemorySegment floats = memoryAt(device, "fill").asSlice(0, count * Float.BYTES);
        for (long i = 0; i < count; i++) floats.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, value);
    }

    @Override
    public GpuKernel kernel(String name) {
        ensureOpen();
        return new EmulatedKernel(this, JavaKernelTwins.twin(name));
    }

    /**
     * Column-major, as cublasSgemm: element (i, j) of an [rows, cols] matrix X with leading
     * dimension ld sits at X[i + j·ld]. Accumulates in float64; C is not read when beta is 0.
     */
    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        ensureOpen();
        if (recorded(() -> sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))) return;
        // cuBLAS's CUBLAS_STATUS_INVALID_VALUE rules: a swapped operand usually breaks one of these.
        String call = "sgemm(" + (transA ? "T" : "N") + ", " + (transB ? "T" : "N") + ", m=" + m + ", n=" + n + ", k=" + k
                + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc + ")";
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException(call + ": negative size");
        if (lda < Math.max(1, transA ? k : m)) throw new IllegalArgumentException(call + ": lda below " + (transA ? "k" : "m"));
        if (ldb < Math.max(1, transB ? n : k)) throw new IllegalArgumentException(call + ": ldb below " + (transB ? "n" : "k"));
        if (ldc < Math.max(1, m)) throw new IllegalArgumentException(call + ": ldc below m");
        if (m == 0 || n == 0) return;
        MemorySegment cm = memoryAt(c, call + " C");
        MemorySegment am = k > 0 && alpha != 0 ? memoryAt(a, call + " A") : null;
        MemorySegment bm = k > 0 && alpha != 0 ? memoryAt(b, call + " B") : null;
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                if (am != null) {
                    for (int l = 0; l < k; l++) {
                        long ai = transA ? l + (long) i * lda : i + (long) l * lda;   // op(A)(i, l)
                        long bi = transB ? j + (long) l * ldb : l + (long) j * ldb;   // op(B)(l, j)
                        float av = am.getAtIndex(ValueLayout.JAVA_FLOAT, ai), bv = bm.getAtIndex(ValueLayout.JAVA_FLOAT, bi);
                        sum += tf32 ? (double) toTf32(av) * toTf32(bv) : (double) av * bv;
                    }
                }
                long ci = i + (long) j * ldc;
                double result = alpha * sum;
                if (beta != 0) result += (double) beta * cm.getAtIndex(ValueLayout.JAVA_FLOAT, ci);
                cm.setAtIndex(ValueLayout.JAVA_FLOAT, ci, (float) result);
            }
        }
    }

    @Override
    public void setTf32(boolean enabled) {
        ensureOpen();
        tf32 = enabled;
    }

    /**
     * x rounded to TF32: 10 explicit mantissa bits, to nearest with ties away from zero (PTX's
     * cvt.rna.tf32.f32, what tensor cores are fed); infinities and NaN unchanged.
     */
    static float toTf32(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7F80_0000) == 0x7F80_0000) return x;
        return Float.intBitsToFloat((bits + 0x1000) & 0xFFFF_E000);
    }

    @Override
    public void synchronize() {
        ensureOpen();
        refuseWhileCapturing("synchronize");
    }

    /**
     * Records the operations {@code work} queues (launches, GEMMs, zero, fill, device copies) and
     * returns them as a graph; allocating, freeing, host copies and synchronize are refused while
     * recording, as CUDA's stream capture refuses them. Kernel arguments are checked when recorded.
     */
    @Override
    public GpuGraph capture(Runnable work) {
        ensureOpen();
        if (captureRefused) throw new IllegalStateException("emulated GPU: graph capture refused (setCaptureRefused)");
        if (recording != null) throw new IllegalStateException("emulated GPU: a graph is already being captured");
        List<Runnable> operations = new ArrayList<>();
        recording = operations;
        try {
            work.run();
        } finally {
            recording = null;
        }
        graphsCaptured++;
        List<Runnable> recorded = List.copyOf(operations);
        return new GpuGraph() {
            private boolean closed;

            @Override
            public void replay() {
                ensureOpen();
                if (closed) throw new IllegalStateException("this emulated graph is closed");
                refuseWhileCapturing("replaying a graph");
                graphsReplayed++;
                recorded.forEach(Runnable::run);
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    @Override
    public PersistentPlan.DeviceLimits persistentLimits() {
        return persistentLimits;
    }

    /** Makes the emulator claim other limits (e.g. too little shared memory for a shape: the callers' fallback). */
    public void setPersistentLimits(PersistentPlan.DeviceLimits limits) {
        persistentLimits = limits;
    }

    /** Makes cooperative launches fail, as a failed occupancy check would: tests the callers' fallback. */
    public void setCooperativeLaunchRefused(boolean refused) {
        cooperativeLaunchRefused = refused;
    }

    /** Cooperative (persistent kernel) launches run so far. */
    public int cooperativeLaunches() {
        return cooperativeLaunches;
    }

    /** Graphs captured and replays run so far. */
    public int graphsCaptured() {
        return graphsCaptured;
    }

    public int graphsReplayed() {
        return graphsReplayed;
    }

    /** Makes {@link #capture} fail, as a driver or cuBLAS that cannot capture would: tests the callers' fallback. */
    public void setCaptureRefused(boolean refused) {
        captureRefused = refused;
    }

    /** True when an operation was recorded for a graph instead of run now. */
    private boolean recorded(Runnable operation) {
        if (recording == null) return false;
        recording.add(operation);
        return true;
    }

    private void refuseWhileCapturing(String what) {
        if (recording != null) {
            throw new IllegalStateException("emulated GPU: " + what + " while capturing a graph (not capturable)");
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this EmulatedGpuDevice is closed");
    }

    /** Frees what is still allocated. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        allocations.values().forEach(a -> a.arena().close());
        allocations.clear();
    }

    /** A twin with its argument slots; checks each launch's arguments against the twin's C signature. */
    private static final class EmulatedKernel implements GpuKernel {
        private final EmulatedGpuDevice device;
        private final JavaKernelTwins.Twin twin;
        private final long[] values;
        private final CudaKernelSignature.Kind[] kinds;

        EmulatedKernel(EmulatedGpuDevice device, JavaKernelTwins.Twin twin) {
            this.device = device;
            this.twin = twin;
            int n = twin.signature().parameters().size();
            this.values = new long[n];
            this.kinds = new CudaKernelSignature.Kind[n];
        }

        private EmulatedKernel set(int index, CudaKernelSignature.Kind kind, long value) {
            if (index < 0 || index >= values.length) {
                throw new IllegalArgumentException(twin.signature().name() + " has " + values.length
                        + " parameters; argument index " + index + " is out of range");
            }
            kinds[index] = kind;
            values[index] = value;
            return this;
        }

        @Override
        public GpuKernel arg(int index, int value) {
            return set(index, CudaKernelSignature.Kind.INT, value);
        }

        @Override
        public GpuKernel arg(int index, float value) {
            return set(index, CudaKernelSignature.Kind.FLOAT, Float.floatToRawIntBits(value));
        }

        @Override
        public GpuKernel arg(int index, double value) {
            return set(index, CudaKernelSignature.Kind.DOUBLE, Double.doubleToRawLongBits(value));
        }

        @Override
        public GpuKernel pointer(int index, long devicePointer) {
            return set(index, CudaKernelSignature.Kind.POINTER, devicePointer);
        }

        @Override
        public void launch(long items) {
            try {
                check(items);
                long[] arguments = values.clone();
                Runnable run = device.hostKernels != null && !twin.javaOnly()
                        ? () -> device.hostKernels.call(twin.signature(), arguments)
                        : () -> twin.body().run(new JavaKernelTwins.Arguments(device, twin.signature(), arguments));
                if (!device.recorded(run)) run.run();
            } finally {
                Arrays.fill(kinds, null);   // the next launch sets every argument again, failed or not
            }
        }

        /** The twins run every work item in one call, whatever the launch shape. */
        @Override
        public void launchOneBlock() {
            launch(1);
        }

        /** The twin, after the launch's own checks (the emulator holds any grid at once). */
        @Override
        public void launchCooperative(int blocks, int threads, long sharedBytes) {
            if (blocks < 1 || threads < 1 || threads > 1024 || sharedBytes < 0) {
                throw new IllegalArgumentException(twin.signature().name() + ": cooperative launch of " + blocks + " blocks of "
                        + threads + " threads, " + sharedBytes + " shared bytes");
            }
            if (device.cooperativeLaunchRefused) {
                throw new IllegalStateException(twin.signature().name() + ": cooperative launch refused (setCooperativeLaunchRefused)");
            }
            device.cooperativeLaunches++;
            launch(1);
        }

        @Override
        public void launchOneThread() {
            launch(1);
        }

        private void check(long items) {
            CudaKernelSignature s = twin.signature();
            if (items < 1) throw new IllegalArgumentException(s.name() + ": launch with " + items + " work items");
            for (int i = 0; i < kinds.length; i++) {
                CudaKernelSignature.Parameter p = s.parameters().get(i);
                if (kinds[i] != p.kind()) {
                    throw new IllegalArgumentException(s.name() + " argument " + i + " (" + p + ") was "
                            + (kinds[i] == null ? "not set" : "set as " + kinds[i].name().toLowerCase(java.util.Locale.ROOT))
                            + " before this launch");
                }
                if (p.kind() == CudaKernelSignature.Kind.POINTER && values[i] != 0) {
                    device.memoryAt(values[i], s.name() + " argument " + i + " (" + p + ")");
                }
            }
        }
    }
}
