package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CublasCheck;
import dev.recur.bindings.cublas.Cublas;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
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
 * each against the CPU on fresh random inputs (relative L2 error, the fp32 bar 1e-5).
 * Run by {@code recur gpu-check} and by the GPU tests; each check's line says what it compared.
 */
public final class GpuCheck {
    static final double FORWARD_BAR = 1e-5;

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

    private GpuCheck() {
    }

    /** Runs every check on the device, printing each result; true when all passed. */
    public static boolean run(CudaDevice device, long seed, PrintStream out) {
        List<Result> results = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        Kernels cpu = KernelProvider.naive();
        try (Arena arena = Arena.ofConfined()) {
            results.add(add(device, arena, rng, 513));
            results.add(lstmStep(device, arena, rng, cpu, 5, 17, new int[]{2, 0, 5, 1, 3}));
            results.add(lstmStep(device, arena, rng, cpu, 1, 255, null));
            results.add(sgemm(device, arena, rng, cpu, 255, 513, 17));
            results.add(sgemm(device, arena, rng, cpu, 3, 1, 513));
        }
        results.forEach(r -> out.println("gpu-check: " + r));
        return results.stream().allMatch(Result::passed);
    }

    private static MemorySegment random(Arena arena, SplittableRandom rng, long n) {
        MemorySegment s = arena.allocate(Math.max(1, n) * Float.BYTES, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
        return s;
    }

    private static float[] floats(MemorySegment s, long n) {
        return s.asSlice(0, n * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
    }

    private static DeviceBuffer upload(CudaDevice device, MemorySegment host, long floats) {
        DeviceBuffer b = device.allocate(floats);
        b.upload(host);
        return b;
    }

    private static float[] download(CudaDevice device, DeviceBuffer b, Arena arena) {
        device.synchronize();
        MemorySegment host = arena.allocate(Math.max(1, b.floats()) * Float.BYTES, 64);
        b.download(host);
        return floats(host, b.floats());
    }

    static Result add(CudaDevice device, Arena arena, SplittableRandom rng, int n) {
        MemorySegment a = random(arena, rng, n), b = random(arena, rng, n), expected = arena.allocate((long) n * Float.BYTES);
        KernelProvider.naive().add(n, a, 0, b, 0, expected, 0);
        try (DeviceBuffer da = upload(device, a, n); DeviceBuffer db = upload(device, b, n); DeviceBuffer dout = device.allocate(n)) {
            device.kernel("recur_add").arg(0, n).arg(1, da).arg(2, db).arg(3, dout).launch(n);
            return new Result("recur_add n=" + n, RelativeError.l2(download(device, dout, arena), floats(expected, n)), FORWARD_BAR);
        }
    }

    /** One LSTM step (t = 1) with the length mask: act, c, h and y against the CPU's naive kernel. */
    static Result lstmStep(CudaDevice device, Arena arena, SplittableRandom rng, Kernels cpu, int batch, int hidden, int[] lengths) {
        int t = 1, g = 4 * hidden, bh = batch * hidden, bg = batch * g;
        MemorySegment gx = random(arena, rng, bg), gh = random(arena, rng, bg);
        MemorySegment cPrev = random(arena, rng, bh), hPrev = random(arena, rng, bh);
        MemorySegment act = arena.allocate((long) bg * Float.BYTES), cNext = arena.allocate((long) bh * Float.BYTES);
        MemorySegment hNext = arena.allocate((long) bh * Float.BYTES), y = arena.allocate((long) bh * Float.BYTES);
        cpu.lstmForward(batch, hidden, t, lengths, gx, 0, gh, 0, cPrev, 0, act, 0, cNext, 0, hPrev, 0, hNext, 0, y, 0, hidden);
        MemorySegment lengthsHost = lengths == null ? null : arena.allocateFrom(ValueLayout.JAVA_INT, lengths);
        try (DeviceBuffer dgx = upload(device, gx, bg); DeviceBuffer dgh = upload(device, gh, bg);
             DeviceBuffer dcPrev = upload(device, cPrev, bh); DeviceBuffer dhPrev = upload(device, hPrev, bh);
             DeviceBuffer dact = device.allocate(bg); DeviceBuffer dcNext = device.allocate(bh);
             DeviceBuffer dhNext = device.allocate(bh); DeviceBuffer dy = device.allocate(bh);
             DeviceBuffer dlengths = lengths == null ? null : upload(device, lengthsHost, lengths.length)) {   // int32 = 4 bytes, as a float
            device.kernel("recur_lstm_forward").arg(0, batch).arg(1, hidden).arg(2, t).arg(3, dlengths)
                    .arg(4, dgx).arg(5, dgh).arg(6, dcPrev).arg(7, dact).arg(8, dcNext).arg(9, dhPrev)
                    .arg(10, dhNext).arg(11, dy).arg(12, hidden).launch(bh);
            double worst = Math.max(
                    Math.max(RelativeError.l2(download(device, dact, arena), floats(act, bg)),
                            RelativeError.l2(download(device, dcNext, arena), floats(cNext, bh))),
                    Math.max(RelativeError.l2(download(device, dhNext, arena), floats(hNext, bh)),
                            RelativeError.l2(download(device, dy, arena), floats(y, bh))));
            return new Result("recur_lstm_forward B=" + batch + " H=" + hidden + (lengths == null ? "" : " with lengths")
                    + ": act, c, h, y", worst, FORWARD_BAR);
        }
    }

    /** C[m, n] = A[m, k] · B[k, n], row-major, through cublasSgemm as C^T = B^T · A^T (operands swapped). */
    static Result sgemm(CudaDevice device, Arena arena, SplittableRandom rng, Kernels cpu, int m, int n, int k) {
        MemorySegment a = random(arena, rng, (long) m * k), b = random(arena, rng, (long) k * n);
        MemorySegment expected = arena.allocate((long) m * n * Float.BYTES);
        cpu.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n);
        try (DeviceBuffer da = upload(device, a, (long) m * k); DeviceBuffer db = upload(device, b, (long) k * n);
             DeviceBuffer dc = device.allocate((long) m * n)) {
            MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f), zero = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
            CublasCheck.check(Cublas.cublasSgemm_v2(device.cublas(), Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_N, n, m, k, one,
                    MemorySegment.ofAddress(db.pointer()), n, MemorySegment.ofAddress(da.pointer()), k, zero,
                    MemorySegment.ofAddress(dc.pointer()), n), "cublasSgemm_v2");
            return new Result("cublasSgemm " + m + "x" + n + "x" + k + " (row-major, fp32)",
                    RelativeError.l2(download(device, dc, arena), floats(expected, (long) m * n)), FORWARD_BAR);
        }
    }
}
