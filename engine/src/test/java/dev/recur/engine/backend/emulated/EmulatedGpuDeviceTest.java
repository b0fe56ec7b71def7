package dev.recur.engine.backend.emulated;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.gpu.GpuDevice;
import dev.recur.engine.backend.gpu.GpuKernel;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The emulated device behaves as a GPU where the layer code depends on it, and refuses what a GPU would break on. */
class EmulatedGpuDeviceTest {
    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }

    private static long upload(GpuDevice d, Arena arena, float[] v) {
        long p = d.allocate((long) v.length * Float.BYTES);
        d.copyToDevice(arena.allocateFrom(ValueLayout.JAVA_FLOAT, v), p, (long) v.length * Float.BYTES);
        return p;
    }

    private static float[] download(GpuDevice d, Arena arena, long p, int n) {
        MemorySegment host = arena.allocate((long) n * Float.BYTES);
        d.copyToHost(p, host, (long) n * Float.BYTES);
        return host.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** TF32 keeps 10 explicit mantissa bits, rounding to nearest with ties away from zero. */
    @Test
    void tf32RoundsToTenMantissaBits() {
        assertThat(EmulatedGpuDevice.toTf32(1f + 0x1p-12f)).isEqualTo(1f);                  // below half: down
        assertThat(EmulatedGpuDevice.toTf32(1f + 0x1p-11f)).isEqualTo(1f + 0x1p-10f);       // a tie: away from zero
        assertThat(EmulatedGpuDevice.toTf32(-(1f + 0x1p-11f))).isEqualTo(-(1f + 0x1p-10f));
        assertThat(EmulatedGpuDevice.toTf32(1f + 0x1p-10f)).isEqualTo(1f + 0x1p-10f);       // representable: kept
        assertThat(EmulatedGpuDevice.toTf32(Float.NaN)).isNaN();
        assertThat(EmulatedGpuDevice.toTf32(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    /** With TF32 the GEMM is the product of the rounded operands: ~1e-3 from fp32, and back to fp32 when turned off. */
    @Test
    void tf32GemmMultipliesRoundedOperands() {
        SplittableRandom rng = new SplittableRandom(System.nanoTime());
        int m = 17, n = 5, k = 255;
        float[] a = random(rng, m * k), b = random(rng, k * n);
        float[] ra = a.clone(), rb = b.clone();
        for (int i = 0; i < ra.length; i++) ra[i] = EmulatedGpuDevice.toTf32(ra[i]);
        for (int i = 0; i < rb.length; i++) rb[i] = EmulatedGpuDevice.toTf32(rb[i]);
        try (EmulatedGpuDevice d = new EmulatedGpuDevice(); Arena arena = Arena.ofConfined()) {
            long da = upload(d, arena, a), db = upload(d, arena, b), dc = d.allocate((long) m * n * Float.BYTES);
            MemorySegment exact = arena.allocate((long) m * n * Float.BYTES), rounded = arena.allocate((long) m * n * Float.BYTES);
            KernelProvider.naive().sgemm(false, false, m, n, k, 1f, arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), 0, k,
                    arena.allocateFrom(ValueLayout.JAVA_FLOAT, b), 0, n, 0f, exact, 0, n);
            KernelProvider.naive().sgemm(false, false, m, n, k, 1f, arena.allocateFrom(ValueLayout.JAVA_FLOAT, ra), 0, k,
                    arena.allocateFrom(ValueLayout.JAVA_FLOAT, rb), 0, n, 0f, rounded, 0, n);
            d.setTf32(true);
            assertThat(d.description()).contains("TF32 GEMMs");
            d.rowMajorSgemm(false, false, m, n, k, 1f, da, k, db, n, 0f, dc, n);
            float[] tf32 = download(d, arena, dc, m * n);
            assertThat(RelativeError.l2(tf32, rounded.toArray(ValueLayout.JAVA_FLOAT))).isLessThanOrEqualTo(1e-6);
            assertThat(RelativeError.l2(tf32, exact.toArray(ValueLayout.JAVA_FLOAT))).isBetween(1e-5, 5e-3);
            d.setTf32(false);
            assertThat(d.description()).doesNotContain("TF32");
            d.rowMajorSgemm(false, false, m, n, k, 1f, da, k, db, n, 0f, dc, n);
            assertThat(RelativeError.l2(download(d, arena, dc, m * n), exact.toArray(ValueLayout.JAVA_FLOAT))).isLessThanOrEqualTo(1e-6);
        }
    }

    /** Row-major products through the column-major GEMM, every transpose combination, against the engine's naive sgemm. */
    @Test
    void rowMajorSgemmThroughTheColumnMajorGemmMatchesTheEngine() {
        SplittableRandom rng = new SplittableRandom(System.nanoTime());
        int[][] shapes = {{1, 1, 1}, {3, 17, 5}, {17, 3, 1}, {5, 1, 17}};
        try (EmulatedGpuDevice d = new EmulatedGpuDevice(); Arena arena = Arena.ofConfined()) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean ta : new boolean[]{false, true}) {
                    for (boolean tb : new boolean[]{false, true}) {
                        float[] a = random(rng, m * k), b = random(rng, k * n), c = random(rng, m * n);
                        int lda = ta ? m : k, ldb = tb ? k : n;
                        MemorySegment expected = arena.allocateFrom(ValueLayout.JAVA_FLOAT, c);
                        KernelProvider.naive().sgemm(ta, tb, m, n, k, 0.5f, arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), 0, lda,
                                arena.allocateFrom(ValueLayout.JAVA_FLOAT, b), 0, ldb, 2f, expected, 0, n);
                        long da = upload(d, arena, a), db = upload(d, arena, b), dc = upload(d, arena, c);
                        d.rowMajorSgemm(ta, tb, m, n, k, 0.5f, da, lda, db, ldb, 2f, dc, n);
                        assertThat(RelativeError.l2(download(d, arena, dc, m * n), expected.toArray(ValueLayout.JAVA_FLOAT)))
                                .as("%dx%dx%d ta=%s tb=%s", m, n, k, ta, tb).isLessThanOrEqualTo(1e-6);
                    }
                }
            }
        }
    }

    @Test
    void betaZeroNeverReadsCAndBadLeadingDimensionsAreRefused() {
        try (EmulatedGpuDevice d = new EmulatedGpuDevice(); Arena arena = Arena.ofConfined()) {
            long a = upload(d, arena, new float[]{1, 2, 3, 4}), b = upload(d, arena, new float[]{1, 0, 0, 1});
            long c = d.allocate(16);   // fresh memory: NaN bytes
            d.sgemm(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
            assertThat(download(d, arena, c, 4)).containsExactly(1, 2, 3, 4);
            assertThatThrownBy(() -> d.sgemm(false, false, 3, 2, 2, 1f, a, 2, b, 2, 0f, c, 3))
                    .hasMessageContaining("lda below m");
        }
    }

    @Test
    void freshMemoryIsGarbageAndZeroClearsIt() {
        try (EmulatedGpuDevice d = new EmulatedGpuDevice(); Arena arena = Arena.ofConfined()) {
            long p = d.allocate(12);
            for (float v : download(d, arena, p, 3)) assertThat(Float.isNaN(v)).isTrue();
            d.zero(p + 4, 8);   // pointer arithmetic inside an allocation
            float[] v = download(d, arena, p, 3);
            assertThat(Float.isNaN(v[0])).isTrue();
            assertThat(v[1]).isZero();
            assertThat(v[2]).isZero();
        }
    }

    @Test
    void kernelsRunByNameWithCheckedArguments() {
        try (EmulatedGpuDevice d = new EmulatedGpuDevice(); Arena arena = Arena.ofConfined()) {
            long x = upload(d, arena, new float[]{1, 2, 3}), y = upload(d, arena, new float[]{10, 20, 30});
            GpuKernel axpy = d.kernel("recur_axpy");
            axpy.arg(0, 3).arg(1, 2f).pointer(2, x).pointer(3, y).launch(3);
            assertThat(download(d, arena, y, 3)).containsExactly(12, 24, 36);
            // offsets are pointer arithmetic: y[1..2] += x[0..1]
            axpy.arg(0, 2).arg(1, 1f).pointer(2, x).pointer(3, y + 4).launch(2);
            assertThat(download(d, arena, y, 3)).containsExactly(12, 25, 38);

            assertThatThrownBy(() -> d.kernel("recur_no_such_kernel")).hasMessageContaining("recur_no_such_kernel");
            assertThatThrownBy(() -> axpy.arg(0, 3).arg(1, 2).pointer(2, x).pointer(3, y).launch(3))
                    .hasMessageContaining("argument 1 (float alpha) was set as int");
            assertThatThrownBy(() -> axpy.arg(0, 3).arg(1, 2f).pointer(3, y).launch(3))
                    .hasMessageContaining("argument 2 (pointer x) was not set");
            d.free(x);
            assertThatThrownBy(() -> axpy.arg(0, 3).arg(1, 2f).pointer(2, x).pointer(3, y).launch(3))
                    .hasMessageContaining("not inside a live device allocation");
            assertThatThrownBy(() -> axpy.arg(0, 4).arg(1, 2f).pointer(2, y).pointer(3, y + 4).launch(4))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    /**
     * Graph capture: recorded work does not run until replayed, runs again at each replay on the
     * memory's current contents, and what CUDA's stream capture refuses is refused while recording.
     */
    @Test
    void aCapturedGraphRunsOnlyWhenReplayedAndRefusesHostWorkWhileRecording() {
        try (EmulatedGpuDevice device = new EmulatedGpuDevice(); Arena arena = Arena.ofConfined()) {
            int n = 17;
            long x = device.allocate(4L * n), y = device.allocate(4L * n);
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            device.copyToDevice(host, x, 4L * n);
            device.zero(y, 4L * n);
            var graph = device.capture(() -> device.kernel("recur_axpy").arg(0, n).arg(1, 2f).pointer(2, x).pointer(3, y).launch(n));
            device.copyToHost(y, host, 4L * n);
            assertThat(host.getAtIndex(ValueLayout.JAVA_FLOAT, 16)).as("nothing ran while recording").isZero();
            graph.replay();
            graph.replay();
            device.copyToHost(y, host, 4L * n);
            assertThat(host.getAtIndex(ValueLayout.JAVA_FLOAT, 16)).as("y += 2x twice").isEqualTo(64f);
            for (Runnable hostWork : new Runnable[]{() -> device.allocate(4), () -> device.free(x),
                    () -> device.copyToHost(y, host, 4), () -> device.copyToDevice(host, y, 4), device::synchronize}) {
                assertThatThrownBy(() -> device.capture(hostWork)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("while capturing a graph");
            }
            assertThat(device.graphsCaptured()).isEqualTo(1);
            graph.close();
            assertThatThrownBy(graph::replay).hasMessageContaining("closed");
        }
    }
}
