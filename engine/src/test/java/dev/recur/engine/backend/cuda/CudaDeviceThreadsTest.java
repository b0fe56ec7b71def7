package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import dev.recur.engine.backend.gpu.GpuDevice;
import dev.recur.engine.backend.gpu.GpuKernel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * GPU 0 opened on one thread and used from others, one at a time: memory, copies, a kernel and a
 * cuBLAS GEMM on a thread that never opened the device, then closed from a third. Without the
 * context made current per calling thread the first call there fails with
 * CUDA_ERROR_INVALID_CONTEXT. Skipped, with the probe line as the reason, where no GPU is usable.
 */
@Tag("gpu")
class CudaDeviceThreadsTest {
    @Test
    void aDeviceOpenedOnOneThreadWorksFromAnotherAndClosesFromAThird() throws Exception {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeTrue(status.usable(), "skipped: no usable GPU here (" + status.line() + ")");
        useFromOtherThreads(CudaGpuDevice.open());
    }

    /** The same on the emulated device: checks the check itself (the emulator has no contexts). */
    @Test
    void theSameWorkOnTheEmulatedDevice() throws Exception {
        useFromOtherThreads(new EmulatedGpuDevice());
    }

    private static void useFromOtherThreads(GpuDevice device) throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<float[]> result = other.submit(() -> {
                int n = 513;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, n);
                    for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
                    long x = device.allocate(4L * n), y = device.allocate(4L * n), c = device.allocate(4);
                    device.copyToDevice(host, x, 4L * n);
                    device.zero(y, 4L * n);
                    GpuKernel axpy = device.kernel("recur_axpy");
                    axpy.arg(0, n).arg(1, 2f).pointer(2, x).pointer(3, y).launch(n);     // y = 2x
                    device.sgemm(false, true, 1, 1, n, 1f, x, 1, y, 1, 0f, c, 1);       // c = x · y = 2 Σ i²
                    device.synchronize();
                    MemorySegment back = arena.allocate(ValueLayout.JAVA_FLOAT, n + 1);
                    device.copyToHost(y, back, 4L * n);
                    device.copyToHost(c, back.asSlice(4L * n), 4);
                    device.free(x);
                    device.free(y);
                    device.free(c);
                    return back.toArray(ValueLayout.JAVA_FLOAT);
                }
            });
            float[] out = result.get();
            for (int i = 0; i < 513; i++) assertThat(out[i]).as("y[%d]", i).isEqualTo(2f * i);
            double expected = 2.0 * 512 * 513 * 1025 / 6;
            assertThat(Math.abs(out[513] - expected) / expected).as("x · y").isLessThan(1e-5);
        } finally {
            other.shutdown();
            Thread closer = Thread.ofPlatform().start(device::close);
            closer.join();
        }
    }
}
