package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaCheck;
import dev.recur.bindings.cuda.CudaDriver;
import dev.recur.engine.backend.gpu.GpuKernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One kernel of Recur's module and its argument buffer, reused by every launch: set the
 * arguments by position, then {@link #launch}. A launch allocates nothing. Arguments are 8-byte
 * slots (ints, floats, doubles and device pointers), and {@code kernelParams} points at each slot.
 */
public final class CudaKernel implements GpuKernel {
    /** Threads per block of every elementwise kernel in {@code native/} (grid-stride loops). */
    public static final int BLOCK = 256;
    /** The most blocks a launch uses; the grid-stride loops cover the rest. */
    private static final int MAX_BLOCKS = 65_535;
    private static final int MAX_ARGUMENTS = 24;

    private final MemorySegment function;
    private final CudaSession session;
    /** The name a failed launch reports, made once: a launch builds no string. */
    private final String launchCall;
    private final MemorySegment values;
    private final MemorySegment pointers;

    CudaKernel(String name, MemorySegment function, CudaSession session, Arena owner) {
        this.function = function;
        this.session = session;
        this.launchCall = "cuLaunchKernel(" + name + ")";
        this.values = owner.allocate(8L * MAX_ARGUMENTS, 8);
        this.pointers = owner.allocate(ValueLayout.ADDRESS, MAX_ARGUMENTS);
        for (int i = 0; i < MAX_ARGUMENTS; i++) {
            pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i, 8));
        }
    }

    @Override
    public CudaKernel arg(int index, int value) {
        values.set(ValueLayout.JAVA_INT, 8L * index, value);
        return this;
    }

    @Override
    public CudaKernel arg(int index, float value) {
        values.set(ValueLayout.JAVA_FLOAT, 8L * index, value);
        return this;
    }

    @Override
    public CudaKernel arg(int index, double value) {
        values.set(ValueLayout.JAVA_DOUBLE, 8L * index, value);
        return this;
    }

    /** A device pointer argument (0 for a C NULL). */
    @Override
    public CudaKernel pointer(int index, long devicePointer) {
        values.set(ValueLayout.JAVA_LONG, 8L * index, devicePointer);
        return this;
    }

    /** Queues the kernel on the device's stream with enough 256-thread blocks for {@code items} work items. */
    @Override
    public void launch(long items) {
        launch((int) Math.clamp((items + BLOCK - 1) / BLOCK, 1, MAX_BLOCKS), BLOCK);
    }

    @Override
    public void launchOneBlock() {
        launch(1, BLOCK);
    }

    @Override
    public void launchOneThread() {
        launch(1, 1);
    }

    /**
     * cuFuncSetAttribute (the dynamic shared memory the launch asks for), the occupancy check
     * (every block must be resident: at least one per multiprocessor), then cuLaunchCooperativeKernel.
     */
    @Override
    public void launchCooperative(int blocks, int threads, long sharedBytes) {
        session.bindToCallingThread();
        int set = CudaDriver.cuFuncSetAttribute(function, CudaDriver.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                Math.toIntExact(sharedBytes));
        if (set != CudaDriver.CUDA_SUCCESS) {
            CudaCheck.check(set, "cuFuncSetAttribute(" + launchCall + ", max dynamic shared " + sharedBytes + ")");
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment perSm = scratch.allocate(ValueLayout.JAVA_INT);
            CudaCheck.check(CudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(perSm, function, threads, sharedBytes),
                    "cuOccupancyMaxActiveBlocksPerMultiprocessor");
            if (perSm.get(ValueLayout.JAVA_INT, 0) < 1) {
                throw new IllegalStateException(launchCall + ": no block of " + threads + " threads with " + sharedBytes
                        + " bytes of shared memory fits a multiprocessor");
            }
        }
        int launched = CudaDriver.cuLaunchCooperativeKernel(function, blocks, 1, 1, threads, 1, 1, Math.toIntExact(sharedBytes),
                session.stream(), pointers);
        if (launched != CudaDriver.CUDA_SUCCESS) CudaCheck.check(launched, "cuLaunchCooperativeKernel (" + launchCall + ")");
    }

    private void launch(int blocks, int threads) {
        session.bindToCallingThread();
        CudaCheck.check(CudaDriver.cuLaunchKernel(function, blocks, 1, 1, threads, 1, 1, 0, session.stream(), pointers,
                MemorySegment.NULL), launchCall);
    }
}
