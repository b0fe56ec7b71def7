package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.DoubleUnaryOperator;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The machinery of {@link KernelTwinsTest}: a {@link Case} runs one kernel call on
 * {@link NaiveKernels} and on {@link VectorKernels} from the same random memory and compares what
 * the two left there; the helpers below build and check the recurrent cell cases.
 *
 * <p>A case declares its buffers ({@link Case#in}, {@link Case#out}, {@link Case#inOut}). Each sits
 * at a random nonzero offset inside a larger segment whose padding must stay untouched, and every
 * output starts as random garbage so that a forgotten write shows. {@link Case#compare} checks, on
 * both twins: inputs unmodified, padding unmodified, outputs finite, and the twins within
 * {@value #TWIN_TOLERANCE} of each other.
 *
 * <p>Seeds: a test class extends this harness, and JUnit makes one instance per test method, so each
 * test draws a fresh seed from {@code System.nanoTime()}; every case label, and so every assertion
 * message, carries it, and {@link #SEED_PROPERTY} replays one.
 *
 * <p>Twins agree to a relative L2 error of {@value #TWIN_TOLERANCE}: both compute in float32, but the
 * vector kernels fuse multiply-adds (one rounding instead of two), use VectorMath's polynomial
 * sigmoid and tanh (within 3e-7, against the naive kernels' double Math.exp/tanh rounded once to
 * float), and sum rows in a different order. Each of these moves an element by a few ulps, i.e.
 * ~1e-7 relative, so 1e-6 over a whole output leaves room for that and nothing for a wrong index,
 * a wrong gate order or a skipped tail (those give errors of order 1/sqrt(n) or more).
 */
abstract class KernelTwinHarness {
    static final String SEED_PROPERTY = "recur.test.seed";
    static final double TWIN_TOLERANCE = 1e-6;
    /** The time step of every cell case: {@link #lengthVariants} makes rows active or inactive at it. */
    static final int T = 4;

    static final Kernels NAIVE = KernelProvider.naive();
    static final Kernels VECTOR = KernelProvider.vector();

    final long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
    final SplittableRandom rng = new SplittableRandom(seed);

    /** One float buffer: [pad | region of n | pad], all initialised here. */
    static final class Buf {
        final String name;
        final int off;
        final int n;
        final float[] init;
        final boolean input;

        Buf(String name, int off, int n, float[] init, boolean input) {
            this.name = name;
            this.off = off;
            this.n = n;
            this.init = init;
            this.input = input;
        }

        float at(long i) {
            return init[off + (int) i];
        }
    }

    /** The segments of one run. */
    static final class Segs {
        final Map<String, MemorySegment> segs = new LinkedHashMap<>();
        final Map<String, Buf> bufs;

        Segs(Map<String, Buf> bufs) {
            this.bufs = bufs;
        }

        MemorySegment s(String name) {
            return segs.get(name); // null for an absent optional buffer
        }

        long o(String name) {
            Buf b = bufs.get(name);
            return b == null ? 0 : b.off;
        }
    }

    class Case {
        final String label;
        final Map<String, Buf> bufs = new LinkedHashMap<>();
        Map<String, float[]> naive;
        Map<String, float[]> vector;

        Case(String label) {
            this.label = label + " [seed " + seed + ", replay with -D" + SEED_PROPERTY + "=" + seed + "]";
        }

        private Buf add(String name, int n, float lo, float hi, boolean input) {
            int off = 1 + rng.nextInt(8);
            float[] init = new float[off + n + 5];
            for (int i = 0; i < init.length; i++) init[i] = lo + (hi - lo) * rng.nextFloat();
            Buf b = new Buf(name, off, n, init, input);
            bufs.put(name, b);
            return b;
        }

        Buf in(String name, int n, float lo, float hi) {
            return add(name, n, lo, hi, true);
        }

        Buf in(String name, int n) {
            return in(name, n, -2f, 2f);
        }

        /** An output, initially random garbage. */
        Buf out(String name, int n) {
            return add(name, n, -5f, 5f, false);
        }

        /** An input the kernel also updates (accumulating outputs). */
        Buf inOut(String name, int n) {
            return add(name, n, -2f, 2f, false);
        }

        Case run(BiConsumer<Kernels, Segs> call) {
            naive = runOn(NAIVE, call);
            vector = runOn(VECTOR, call);
            return this;
        }

        private Map<String, float[]> runOn(Kernels k, BiConsumer<Kernels, Segs> call) {
            Map<String, float[]> result = new LinkedHashMap<>();
            try (Arena arena = Arena.ofConfined()) {
                Segs segs = new Segs(bufs);
                for (Buf b : bufs.values()) {
                    MemorySegment s = arena.allocate((long) b.init.length * Float.BYTES, 64);
                    MemorySegment.copy(b.init, 0, s, JAVA_FLOAT, 0, b.init.length);
                    segs.segs.put(b.name, s);
                }
                call.accept(k, segs);
                for (Buf b : bufs.values()) result.put(b.name, segs.segs.get(b.name).toArray(JAVA_FLOAT));
            }
            return result;
        }

        /** Inputs untouched, padding untouched, outputs NaN-free and twins within tolerance. */
        Case compare() {
            for (Buf b : bufs.values()) {
                for (Map.Entry<String, Map<String, float[]>> e : Map.of("naive", naive, "vector", vector).entrySet()) {
                    float[] r = e.getValue().get(b.name);
                    String what = label + " " + e.getKey() + " " + b.name;
                    if (b.input) {
                        assertThat(r).as(what + " (input) was modified").isEqualTo(b.init);
                        continue;
                    }
                    assertThat(Arrays.copyOfRange(r, 0, b.off)).as(what + " leading padding").isEqualTo(Arrays.copyOfRange(b.init, 0, b.off));
                    assertThat(Arrays.copyOfRange(r, b.off + b.n, r.length)).as(what + " trailing padding")
                            .isEqualTo(Arrays.copyOfRange(b.init, b.off + b.n, r.length));
                    for (int i = b.off; i < b.off + b.n; i++) {
                        if (!Float.isFinite(r[i])) {
                            throw new AssertionError(what + "[" + (i - b.off) + "] = " + r[i]);
                        }
                    }
                }
                if (!b.input) {
                    float[] nv = region(naive, b), vv = region(vector, b);
                    double err = relativeL2(vv, nv);
                    assertThat(err).as(label + " " + b.name + ": relative L2 error vector vs naive").isLessThanOrEqualTo(TWIN_TOLERANCE);
                }
            }
            return this;
        }

        float[] region(Map<String, float[]> result, Buf b) {
            return Arrays.copyOfRange(result.get(b.name), b.off, b.off + b.n);
        }

        /** Runs a check on each twin's result. */
        void both(BiConsumer<String, Map<String, float[]>> check) {
            check.accept(label + " naive", naive);
            check.accept(label + " vector", vector);
        }

        /** Element i of a buffer's region in a result. */
        float r(Map<String, float[]> result, String name, long i) {
            Buf b = bufs.get(name);
            return result.get(name)[b.off + (int) i];
        }
    }

    /** Stricter than RelativeError.l2: against an all-zero reference only an exact match passes. */
    static double relativeL2(float[] a, float[] ref) {
        double diff = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - ref[i];
            diff += d * d;
            norm += (double) ref[i] * ref[i];
        }
        if (norm == 0) return diff == 0 ? 0 : Double.POSITIVE_INFINITY;
        return Math.sqrt(diff / norm);
    }

    /** null, and lengths that leave every even row inactive at step T (lengths 0 or T) and odd rows active. */
    static List<int[]> lengthVariants(int batch) {
        int[] mixed = new int[batch];
        for (int b = 0; b < batch; b++) mixed[b] = b % 2 == 0 ? (b % 4 == 0 ? T : 0) : T + 1 + b;
        List<int[]> v = new ArrayList<>();
        v.add(null);
        v.add(mixed);
        return v;
    }

    static boolean active(int[] lengths, int b) {
        return Kernels.active(lengths, b, T);
    }

    static String desc(String kernel, int batch, int hidden, int[] lengths, boolean withY) {
        return kernel + " batch " + batch + " hidden " + hidden + " lengths " + Arrays.toString(lengths) + (withY ? " y" : " no y");
    }

    /** Fills the [B, width] rows of inactive samples with NaN: the kernels must never read them. */
    static void poisonInactive(Buf buf, int batch, int width, int[] lengths) {
        for (int b = 0; b < batch; b++) {
            if (!active(lengths, b)) Arrays.fill(buf.init, buf.off + b * width, buf.off + (b + 1) * width, Float.NaN);
        }
    }

    static void assertClose(String what, double actual, double expected, double tol) {
        if (!(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)))) {
            throw new AssertionError(what + ": got " + actual + ", expected " + expected + " (tolerance " + tol + ")");
        }
    }

    /** Central difference in double of a double function: accurate to ~1e-9 for these smooth cells. */
    static double diff(DoubleUnaryOperator f, double x) {
        double h = 1e-6;
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }

    /** Inactive rows: hNext == hPrev (0 without hPrev), y row == 0 exactly, y's gap columns untouched. */
    static void assertHeld(Case c, int batch, int width, int[] lengths, boolean withY, int ldy, String hPrev) {
        c.both((what, r) -> {
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < width; j++) {
                    long i = (long) b * width + j;
                    if (!active(lengths, b)) {
                        float expect = hPrev == null ? 0f : c.bufs.get(hPrev).at(i);
                        assertThat(c.r(r, "hNext", i)).as(what + " held hNext[" + b + "," + j + "]").isEqualTo(expect);
                        if (withY) assertThat(c.r(r, "y", (long) b * ldy + j)).as(what + " y[" + b + "," + j + "]").isEqualTo(0f);
                    } else if (withY) {
                        assertThat(c.r(r, "y", (long) b * ldy + j)).as(what + " y == hNext").isEqualTo(c.r(r, "hNext", i));
                    }
                }
                if (withY && b < batch - 1) {
                    for (int j = width; j < ldy; j++) {
                        long i = (long) b * ldy + j;
                        assertThat(c.r(r, "y", i)).as(what + " y gap").isEqualTo(c.bufs.get("y").at(i));
                    }
                }
            }
        });
    }
}
