package dev.recur.engine.cli.gpucheck;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.cuda.CudaGpuDevice;
import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import dev.recur.engine.backend.gpu.CachingDeviceAllocator;
import dev.recur.engine.backend.gpu.DeviceBlocks;
import dev.recur.engine.backend.gpu.GpuDevice;
import dev.recur.engine.tensor.RelativeError;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The first things to check on a GPU host: Recur's kernels load and run, and cuBLAS multiplies,
 * each against the CPU on fresh random inputs (relative L2 error, bar 1e-5 in fp32).
 * Run by {@code recur gpu-check} and by the GPU tests on {@link CudaGpuDevice}, and by the tests
 * on {@link EmulatedGpuDevice}; each check's line says what it compared.
 */
public final class KernelCheck {
    /** One comparison: what, its relative L2 error, and the bar it had to pass. */
    public record Result(String what, double error, double bar) {
        public boolean passed() {
            return error <= bar;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-58s relative L2 %.2e (bar %.0e) %s", what, error, bar, passed() ? "ok" : "FAILED");
        }
    }

    private static final long F = Float.BYTES;

    private KernelCheck() {
    }

    /** Runs every check on the device, printing each result; true when all passed. */
    public static boolean run(GpuDevice device, long seed, PrintStream out) {
        List<Result> results = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        Kernels cpu = KernelProvider.naive();
        try (Arena arena = Arena.ofConfined(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device)) {
            results.add(add(device, memory, arena, rng, cpu, 513));
            results.add(lstmStep(device, memory, arena, rng, cpu, 5, 17, new int[]{2, 0, 5, 1, 3}));
            results.add(lstmStep(device, memory, arena, rng, cpu, 1, 255, null));
            results.add(sgemm(device, memory, arena, rng, cpu, 255, 513, 17));
            results.add(sgemm(device, memory, arena, rng, cpu, 3, 1, 513));
        }
        results.forEach(r -> out.println("gpu-check: " + r));
        return results.stream().allMatch(Result::passed);
    }

    private static MemorySegment random(Arena arena, SplittableRandom rng, long n) {
        MemorySegment s = arena.allocate(Math.max(1, n) * F, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
        return s;
    }

    private static float[] floats(MemorySegment s, long n) {
        return s.asSlice(0, n * F).toArray(ValueLayout.JAVA_FLOAT);
    }

    /** {@code n} floats from the device, once its queued work is done. */
    private static float[] download(GpuDevice device, long from, long n, Arena arena) {
        device.synchronize();
        MemorySegment host = arena.allocate(Math.max(1, n) * F, 64);
        device.copyToHost(from, host, n * F);
        return floats(host, n);
    }

    static Result add(GpuDevice device, CachingDeviceAllocator memory, Arena arena, SplittableRandom rng, Kernels cpu, int n) {
        MemorySegment a = random(arena, rng, n), b = random(arena, rng, n), expected = arena.allocate((long) n * F);
        cpu.add(n, a, 0, b, 0, expected, 0);
        try (DeviceBlocks blocks = new DeviceBlocks(device, memory)) {
            long da = blocks.upload(a, n * F), db = blocks.upload(b, n * F), dout = blocks.take(n * F);
            device.kernel("recur_add").arg(0, n).pointer(1, da).pointer(2, db).pointer(3, dout).launch(n);
            return new Result("recur_add n=" + n, RelativeError.l2(download(device, dout, n, arena), floats(expected, n)),
                    LayerCheck.FORWARD_BAR);
        }
    }

    /** One LSTM step (t = 1) with the length mask: act, c, h and y against the CPU's naive kernel. */
    static Result lstmStep(GpuDevice device, CachingDeviceAllocator memory, Arena arena, SplittableRandom rng, Kernels cpu,
                           int batch, int hidden, int[] lengths) {
        int t = 1, g = 4 * hidden, bh = batch * hidden, bg = batch * g;
        MemorySegment gx = random(arena, rng, bg), gh = random(arena, rng, bg);
        MemorySegment cPrev = random(arena, rng, bh), hPrev = random(arena, rng, bh);
        MemorySegment act = arena.allocate((long) bg * F), cNext = arena.allocate((long) bh * F);
        MemorySegment hNext = arena.allocate((long) bh * F), y = arena.allocate((long) bh * F);
        try (DeviceBlocks blocks = new DeviceBlocks(device, memory)) {
            long dgx = blocks.upload(gx, bg * F), dgh = blocks.upload(gh, bg * F);
            long dcPrev = blocks.upload(cPrev, bh * F), dhPrev = blocks.upload(hPrev, bh * F);
            // act starts as the host's (zeros): the kernel leaves inactive rows of act untouched.
            long dact = blocks.upload(act, bg * F);
            long dcNext = blocks.take(bh * F), dhNext = blocks.take(bh * F), dy = blocks.take(bh * F);
            long dlengths = lengths == null ? 0 : blocks.upload(lengths);
            device.kernel("recur_lstm_forward").arg(0, batch).arg(1, hidden).arg(2, t).pointer(3, dlengths)
                    .pointer(4, dgx).pointer(5, dgh).pointer(6, dcPrev).pointer(7, dact).pointer(8, dcNext).pointer(9, dhPrev)
                    .pointer(10, dhNext).pointer(11, dy).arg(12, hidden).launch(bh);
            cpu.lstmForward(batch, hidden, t, lengths, gx, 0, gh, 0, cPrev, 0, act, 0, cNext, 0, hPrev, 0, hNext, 0, y, 0, hidden);
            double worst = Math.max(
                    Math.max(RelativeError.l2(download(device, dact, bg, arena), floats(act, bg)),
                            RelativeError.l2(download(device, dcNext, bh, arena), floats(cNext, bh))),
                    Math.max(RelativeError.l2(download(device, dhNext, bh, arena), floats(hNext, bh)),
                            RelativeError.l2(download(device, dy, bh, arena), floats(y, bh))));
            return new Result("recur_lstm_forward B=" + batch + " H=" + hidden + (lengths == null ? "" : " with lengths")
                    + ": act, c, h, y", worst, LayerCheck.FORWARD_BAR);
        }
    }

    /** C[m, n] = A[m, k] · B[k, n], row-major, through cublasSgemm as C^T = B^T · A^T ({@link GpuDevice#rowMajorSgemm}). */
    static Result sgemm(GpuDevice device, CachingDeviceAllocator memory, Arena arena, SplittableRandom rng, Kernels cpu,
                        int m, int n, int k) {
        MemorySegment a = random(arena, rng, (long) m * k), b = random(arena, rng, (long) k * n);
        MemorySegment expected = arena.allocate((long) m * n * F);
        cpu.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
        try (DeviceBlocks blocks = new DeviceBlocks(device, memory)) {
            long da = blocks.upload(a, (long) m * k * F), db = blocks.upload(b, (long) k * n * F), dc = blocks.take((long) m * n * F);
            device.rowMajorSgemm(false, false, m, n, k, 1f, da, k, db, n, 0f, dc, n);
            return new Result("cublasSgemm " + m + "x" + n + "x" + k + " (row-major, fp32)",
                    RelativeError.l2(download(device, dc, (long) m * n, arena), floats(expected, (long) m * n)),
                    LayerCheck.FORWARD_BAR);
        }
    }
}
