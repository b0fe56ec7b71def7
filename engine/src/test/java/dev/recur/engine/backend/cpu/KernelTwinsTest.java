package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.stream.IntStream;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VectorKernels} against {@link NaiveKernels} on the same random inputs, for every method of
 * {@link Kernels} except sgemm (tested with the GEMM). The cases are built on
 * {@link KernelTwinHarness}: buffers inside padded segments, outputs that start as garbage, the
 * twins within {@value KernelTwinHarness#TWIN_TOLERANCE} relative L2 of each other, and a fresh seed
 * per test, carried by every assertion message and replayed with {@code -Drecur.test.seed}.
 *
 * <p>Beyond the twins' agreement, the cell steps are checked against PyTorch's cell formulas in
 * double and their backwards against central differences. Masking is exact: an inactive row's state
 * is copied, its output and gradients are exact zeros.
 */
class KernelTwinsTest extends KernelTwinHarness {
    static final int[] SIZES = {1, 3, 17, 255, 513};
    static final int[] BATCHES = {1, 3, 5};

    // ---- elementwise ------------------------------------------------------------------------------

    @Test
    void names() {
        assertThat(NAIVE.name()).isEqualTo("naive");
        assertThat(VECTOR.name()).isEqualTo("vector");
    }

    @Test
    void binaryOps() {
        for (int n : SIZES) {
            new Case("add n=" + n) {{ in("a", n); in("b", n); out("out", n); }}
                    .run((k, s) -> k.add(n, s.s("a"), s.o("a"), s.s("b"), s.o("b"), s.s("out"), s.o("out"))).compare();
            new Case("sub n=" + n) {{ in("a", n); in("b", n); out("out", n); }}
                    .run((k, s) -> k.sub(n, s.s("a"), s.o("a"), s.s("b"), s.o("b"), s.s("out"), s.o("out"))).compare();
            new Case("mul n=" + n) {{ in("a", n); in("b", n); out("out", n); }}
                    .run((k, s) -> k.mul(n, s.s("a"), s.o("a"), s.s("b"), s.o("b"), s.s("out"), s.o("out"))).compare();
            float alpha = -1.7f;
            new Case("axpy n=" + n) {{ in("x", n); inOut("y", n); }}
                    .run((k, s) -> k.axpy(n, alpha, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            new Case("mulAccumulate n=" + n) {{ in("dy", n); in("a", n); inOut("dx", n); }}
                    .run((k, s) -> k.mulAccumulate(n, s.s("dy"), s.o("dy"), s.s("a"), s.o("a"), s.s("dx"), s.o("dx"))).compare();
            new Case("scale n=" + n) {{ inOut("x", n); }}
                    .run((k, s) -> k.scale(n, 0.37f, s.s("x"), s.o("x"))).compare();
        }
    }

    /**
     * roundToBf16: the twins bitwise equal on random inputs (in place too, and past the size split
 * over the threads), and both right on the
     * cases a rounding gets wrong: ties to even both ways, a carry into the exponent, overflow to
     * infinity, infinities, signed zeros, subnormals, NaN; each against a rounding computed another
     * way (the nearer of the two bf16 neighbours, in double).
     */
    @Test
    void roundToBf16() {
        // and 4 chunks and 7 floats: the vector kernel splits large arrays over the threads
        for (int n : IntStream.concat(Arrays.stream(SIZES), IntStream.of(65543)).toArray()) {
            Case c = new Case("roundToBf16 n=" + n) {{ in("x", n, -3e5f, 3e5f); out("y", n); }}
                    .run((k, s) -> k.roundToBf16(n, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            assertThat(c.region(c.vector, c.bufs.get("y"))).as(c.label).isEqualTo(c.region(c.naive, c.bufs.get("y")));
            new Case("roundToBf16 in place n=" + n) {{ inOut("x", n); }}
                    .run((k, s) -> k.roundToBf16(n, s.s("x"), s.o("x"), s.s("x"), s.o("x"))).compare();
        }
        float[] special = {
                Float.intBitsToFloat(0x3F80_8000), Float.intBitsToFloat(0x3F81_8000),   // ties: down to even, up to even
                Float.intBitsToFloat(0x3F80_8001), Float.intBitsToFloat(0x3F80_7FFF),   // just above, just below a tie
                Float.intBitsToFloat(0x3FFF_FFFF), Float.MAX_VALUE, -Float.MAX_VALUE,   // carry; overflow to ±inf
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
                Float.intBitsToFloat(0x0000_8000), Float.intBitsToFloat(0x0001_8000), 1e-40f, -2.5e-39f,
                Float.NaN, Float.intBitsToFloat(0x7F80_0001), 1f / 3, -0.1f, 65504f, 3.14159265f};
        float[] repeated = new float[special.length * 3];   // past one vector, and a scalar tail
        for (int i = 0; i < repeated.length; i++) repeated[i] = special[i % special.length];
        for (Kernels k : new Kernels[]{NAIVE, VECTOR}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocateFrom(JAVA_FLOAT, repeated), y = arena.allocate(JAVA_FLOAT, repeated.length);
                k.roundToBf16(repeated.length, x, 0, y, 0);
                for (int i = 0; i < repeated.length; i++) {
                    float got = y.getAtIndex(JAVA_FLOAT, i), in = repeated[i];
                    String what = k.name() + " roundToBf16(" + in + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(in)) + ")";
                    if (Float.isNaN(in)) {
                        assertThat(got).as(what).isNaN();
                    } else {
                        assertThat(Float.floatToRawIntBits(got)).as(what).isEqualTo(Float.floatToRawIntBits(nearestBf16(in)));
                    }
                }
            }
        }
    }

    /** The bf16 value nearest x, ties to the one with an even last bit, overflow to infinity. */
    private static float nearestBf16(float x) {
        if (Float.isInfinite(x)) return x;
        int bits = Float.floatToRawIntBits(x);
        float below = Float.intBitsToFloat(bits & 0xFFFF_0000);   // toward zero
        int upBits = (bits & 0xFFFF_0000) + 0x1_0000;              // away from zero (may reach infinity)
        float above = Float.intBitsToFloat(upBits);
        double dBelow = Math.abs((double) x - below), dAbove = Math.abs((double) x - above);
        if ((bits & 0xFFFF) == 0) return x;
        if (Float.isInfinite(above)) {
            // Past the largest bf16, the rounding of an unbounded exponent range would give 2^128: infinity from halfway.
            dAbove = Math.abs((double) x - Math.scalb((double) Math.signum(x), 128));
        }
        if (dBelow != dAbove) return dBelow < dAbove ? below : above;
        return ((bits >>> 16) & 1) == 0 ? below : above;
    }

    @Test
    void addTransposed() {
        for (int rows : new int[]{1, 3, 17, 33}) {
            for (int cols : SIZES) {
                new Case("addTransposed " + rows + "x" + cols) {{ in("x", rows * cols); inOut("y", rows * cols); }}
                        .run((k, s) -> k.addTransposed(rows, cols, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            }
        }
    }

    @Test
    void activations() {
        for (int n : SIZES) {
            new Case("sigmoid n=" + n) {{ in("x", n, -12f, 12f); out("y", n); }}
                    .run((k, s) -> k.sigmoid(n, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            new Case("tanh n=" + n) {{ in("x", n, -6f, 6f); out("y", n); }}
                    .run((k, s) -> k.tanh(n, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            Case relu = new Case("relu n=" + n) {{ in("x", n); out("y", n); }}
                    .run((k, s) -> k.relu(n, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            relu.both((what, r) -> {
                for (int i = 0; i < n; i++) {
                    assertThat(relu.r(r, "y", i)).as(what + " y[" + i + "]").isEqualTo(Math.max(relu.bufs.get("x").at(i), 0f));
                }
            });
            Case clamp = new Case("clamp n=" + n) {{
                Buf x = in("x", n, -3f, 3f);
                if (n > 2) {
                    x.init[x.off] = Float.POSITIVE_INFINITY;
                    x.init[x.off + 1] = Float.NEGATIVE_INFINITY;
                }
                out("y", n);
            }}.run((k, s) -> k.clamp(n, 1.5f, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
            clamp.both((what, r) -> {
                for (int i = 0; i < n; i++) {
                    float v = clamp.bufs.get("x").at(i);
                    assertThat(clamp.r(r, "y", i)).as(what + " y[" + i + "]").isEqualTo(Math.clamp(v, -1.5f, 1.5f));
                }
            });
            for (Kernels k : new Kernels[]{KernelProvider.naive(), KernelProvider.vector()}) {   // NaN stays NaN
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment nan = arena.allocate((long) n * Float.BYTES, 64);
                    for (int i = 0; i < n; i++) nan.setAtIndex(JAVA_FLOAT, i, Float.NaN);
                    k.clamp(n, 1.5f, nan, 0, nan, 0);
                    for (int i = 0; i < n; i++) assertThat(nan.getAtIndex(JAVA_FLOAT, i)).as(k.name()).isNaN();
                }
            }
            for (dev.recur.engine.backend.GateFunction f : dev.recur.engine.backend.GateFunction.values()) {
                float alpha = 0.7f, beta = -0.4f;
                Case gate = new Case(f + " n=" + n) {{ in("x", n, -6f, 6f); out("y", n); }}
                        .run((k, s) -> k.gateFunction(f, alpha, beta, n, s.s("x"), s.o("x"), s.s("y"), s.o("y"))).compare();
                gate.both((what, r) -> {   // against the definition in double
                    for (int i = 0; i < n; i++) {
                        double x = gate.bufs.get("x").at(i);
                        double expect = switch (f) {
                            case AFFINE -> alpha * x + beta;
                            case LEAKY_RELU -> x >= 0 ? x : alpha * x;
                            case THRESHOLDED_RELU -> x >= alpha ? x : 0;
                            case SCALED_TANH -> alpha * Math.tanh(beta * x);
                            case HARD_SIGMOID -> Math.min(Math.max(alpha * x + beta, 0), 1);
                            case ELU -> x >= 0 ? x : alpha * (Math.exp(x) - 1);
                            case SOFTSIGN -> x / (1 + Math.abs(x));
                            case SOFTPLUS -> Math.log1p(Math.exp(x));
                        };
                        assertThat((double) gate.r(r, "y", i)).as(what + " y[" + i + "]")
                                .isCloseTo(expect, org.assertj.core.data.Offset.offset(2e-6 * Math.max(1, Math.abs(expect))));
                    }
                });
            }
            new Case("sigmoidBackward n=" + n) {{ in("dy", n); in("y", n, 0f, 1f); inOut("dx", n); }}
                    .run((k, s) -> k.sigmoidBackward(n, s.s("dy"), s.o("dy"), s.s("y"), s.o("y"), s.s("dx"), s.o("dx"))).compare();
            new Case("tanhBackward n=" + n) {{ in("dy", n); in("y", n, -1f, 1f); inOut("dx", n); }}
                    .run((k, s) -> k.tanhBackward(n, s.s("dy"), s.o("dy"), s.s("y"), s.o("y"), s.s("dx"), s.o("dx"))).compare();
            Case rb = new Case("reluBackward n=" + n) {{
                in("dy", n);
                Buf y = in("y", n);
                for (int i = 0; i < n; i++) y.init[y.off + i] = Math.max(y.init[y.off + i], 0f); // relu outputs, zeros included
                inOut("dx", n);
            }}.run((k, s) -> k.reluBackward(n, s.s("dy"), s.o("dy"), s.s("y"), s.o("y"), s.s("dx"), s.o("dx"))).compare();
            rb.both((what, r) -> {
                for (int i = 0; i < n; i++) {
                    float expect = rb.bufs.get("y").at(i) > 0f ? rb.bufs.get("dx").at(i) + rb.bufs.get("dy").at(i) : rb.bufs.get("dx").at(i);
                    assertThat(rb.r(r, "dx", i)).as(what + " dx[" + i + "]").isEqualTo(expect);
                }
            });
        }
    }

    @Test
    void sumOfSquares() {
        for (int n : SIZES) {
            Case c = new Case("sumOfSquares n=" + n) {{ in("x", n); }};
            Buf x = c.bufs.get("x");
            double[] got = new double[2];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate((long) x.init.length * Float.BYTES, 64);
                MemorySegment.copy(x.init, 0, s, JAVA_FLOAT, 0, x.init.length);
                got[0] = NAIVE.sumOfSquares(n, s, x.off);
                got[1] = VECTOR.sumOfSquares(n, s, x.off);
            }
            double ref = 0;
            for (int i = 0; i < n; i++) ref += (double) x.at(i) * x.at(i);
            assertThat(Math.abs(got[0] - ref) / ref).as(c.label + " naive").isLessThanOrEqualTo(1e-12);
            assertThat(Math.abs(got[1] - ref) / ref).as(c.label + " vector").isLessThanOrEqualTo(TWIN_TOLERANCE);
        }
    }

    /**
     * Large row operations (sumRows, copyBlock, addRowVector) split over the CPU threads when their
     * memory is shared: still bit for bit the naive twin's result (each column sum is one thread's,
     * in row order).
     */
    @Test
    void rowOpsOnSharedMemorySplitOverThreads() {
        int rows = 700, cols = 513, ld = cols + 3;
        long span = (long) (rows - 1) * ld + cols;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(span * Float.BYTES, 64), bias = arena.allocate(cols * Float.BYTES, 64);
            MemorySegment naiveX = arena.allocate(span * Float.BYTES, 64);
            MemorySegment sums = arena.allocate(2L * cols * Float.BYTES, 64);
            for (long i = 0; i < span; i++) x.setAtIndex(JAVA_FLOAT, i, (float) rng.nextGaussian());
            for (int j = 0; j < cols; j++) bias.setAtIndex(JAVA_FLOAT, j, (float) rng.nextGaussian());
            naiveX.copyFrom(x);
            VECTOR.sumRows(rows, cols, x, 0, ld, sums, 0);
            NAIVE.sumRows(rows, cols, x, 0, ld, sums, cols);
            MemorySegment copies = arena.allocate(2 * span * Float.BYTES, 64);
            VECTOR.copyBlock(rows, cols, x, 0, ld, copies, 0, ld);
            NAIVE.copyBlock(rows, cols, x, 0, ld, copies, span, ld);
            VECTOR.addRowVector(rows, cols, x, 0, ld, bias, 0);
            NAIVE.addRowVector(rows, cols, naiveX, 0, ld, bias, 0);
            assertThat(sums.asSlice(0, cols * Float.BYTES).mismatch(sums.asSlice(cols * Float.BYTES))).as("sumRows, seed " + seed)
                    .isEqualTo(-1L);
            assertThat(x.mismatch(naiveX)).as("addRowVector, seed " + seed).isEqualTo(-1L);
            for (int r = 0; r < rows; r++) {   // the gaps between rows (ld > cols) are not part of the block
                long row = (long) r * ld * Float.BYTES, bytes = (long) cols * Float.BYTES;
                assertThat(copies.asSlice(row, bytes).mismatch(copies.asSlice(span * Float.BYTES + row, bytes)))
                        .as("copyBlock row " + r + ", seed " + seed).isEqualTo(-1L);
            }
        }
    }

    @Test
    void rowOps() {
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                int ld = cols + 3;
                int span = (rows - 1) * ld + cols;
                new Case("addRowVector " + rows + "x" + cols) {{ inOut("x", span); in("bias", cols); }}
                        .run((k, s) -> k.addRowVector(rows, cols, s.s("x"), s.o("x"), ld, s.s("bias"), s.o("bias")))
                        .compare();
                int ldy = cols + 5, spanY = (rows - 1) * ldy + cols;
                Case cb = new Case("copyBlock " + rows + "x" + cols) {{ in("x", span); inOut("y", spanY); }}
                        .run((k, s) -> k.copyBlock(rows, cols, s.s("x"), s.o("x"), ld, s.s("y"), s.o("y"), ldy)).compare();
                assertThat(cb.vector.get("y")).as(cb.label + " exact").isEqualTo(cb.naive.get("y"));
                Case sr = new Case("sumRows " + rows + "x" + cols) {{ in("x", span); inOut("sum", cols); }}
                        .run((k, s) -> k.sumRows(rows, cols, s.s("x"), s.o("x"), ld, s.s("sum"), s.o("sum"))).compare();
                // Both accumulate each column in double in row order: the twins agree bit for bit.
                assertThat(sr.vector.get("sum")).as(sr.label + " exact").isEqualTo(sr.naive.get("sum"));
            }
        }
        // addRowVector must leave the gap between rows (ld > cols) alone.
        int rows = 5, cols = 17, ld = 21;
        Case c = new Case("addRowVector gaps") {{ inOut("x", (rows - 1) * ld + cols); in("bias", cols); }}
                .run((k, s) -> k.addRowVector(rows, cols, s.s("x"), s.o("x"), ld, s.s("bias"), s.o("bias")));
        c.both((what, r) -> {
            for (int row = 0; row < rows - 1; row++) {
                for (int j = cols; j < ld; j++) {
                    assertThat(c.r(r, "x", (long) row * ld + j)).as(what).isEqualTo(c.bufs.get("x").at((long) row * ld + j));
                }
            }
        });
    }

    // ---- recurrent cells --------------------------------------------------------------------------

    @Test
    void rnnForward() {
        for (boolean relu : new boolean[]{false, true}) {
            for (int hidden : SIZES) {
                for (int batch : BATCHES) {
                    for (int[] lengths : lengthVariants(batch)) {
                        for (boolean withY : new boolean[]{false, true}) {
                            int ldy = hidden + 7;
                            int bh = batch * hidden;
                            Case c = new Case(desc(relu ? "rnnForward relu" : "rnnForward tanh", batch, hidden, lengths, withY)) {{
                                poisonInactive(in("gx", bh), batch, hidden, lengths);
                                poisonInactive(in("gh", bh), batch, hidden, lengths);
                                in("hPrev", bh);
                                out("hNext", bh);
                                if (withY) out("y", (batch - 1) * ldy + hidden);
                            }}.run((k, s) -> k.rnnForward(batch, hidden, T, lengths, relu, s.s("gx"), s.o("gx"), s.s("gh"), s.o("gh"),
                                    s.s("hPrev"), s.o("hPrev"), s.s("hNext"), s.o("hNext"), s.s("y"), s.o("y"), ldy)).compare();
                            assertHeld(c, batch, hidden, lengths, withY, ldy, "hPrev");
                            // PyTorch: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), here gx + gh, in double.
                            c.both((what, r) -> {
                                for (int e = 0; e < 4; e++) {
                                    int b = rng.nextInt(batch), j = rng.nextInt(hidden);
                                    if (!active(lengths, b)) continue;
                                    long i = (long) b * hidden + j;
                                    double a = (double) c.bufs.get("gx").at(i) + c.bufs.get("gh").at(i);
                                    assertClose(what + " h[" + b + "," + j + "]", c.r(r, "hNext", i), relu ? Math.max(a, 0) : Math.tanh(a), 1e-6);
                                }
                            });
                        }
                    }
                }
            }
        }
    }

    @Test
    void rnnBackward() {
        for (boolean relu : new boolean[]{false, true}) {
            for (int hidden : SIZES) {
                for (int batch : BATCHES) {
                    for (int[] lengths : lengthVariants(batch)) {
                        int bh = batch * hidden;
                        float[] pre = new float[bh];
                        Case c = new Case(desc(relu ? "rnnBackward relu" : "rnnBackward tanh", batch, hidden, lengths, false)) {{
                            Buf h = in("hNext", bh);
                            for (int i = 0; i < bh; i++) {
                                pre[i] = -3f + 6f * rng.nextFloat();
                                h.init[h.off + i] = relu ? Math.max(pre[i], 0f) : (float) Math.tanh(pre[i]);
                            }
                            in("dh", bh);
                            out("da", bh);
                            out("dhPrev", bh);
                        }}.run((k, s) -> k.rnnBackward(batch, hidden, T, lengths, relu, s.s("hNext"), s.o("hNext"),
                                s.s("dh"), s.o("dh"), s.s("da"), s.o("da"), s.s("dhPrev"), s.o("dhPrev"))).compare();
                        c.both((what, r) -> {
                            for (int b = 0; b < batch; b++) {
                                for (int j = 0; j < hidden; j++) {
                                    long i = (long) b * hidden + j;
                                    float dh = c.bufs.get("dh").at(i);
                                    if (!active(lengths, b)) {
                                        assertThat(c.r(r, "da", i)).as(what + " da inactive").isEqualTo(0f);
                                        assertThat(c.r(r, "dhPrev", i)).as(what + " dhPrev inactive").isEqualTo(dh);
                                    } else {
                                        assertThat(c.r(r, "dhPrev", i)).as(what + " dhPrev active").isEqualTo(0f);
                                        double p = pre[(int) i];
                                        // relu's derivative exactly: a central difference straddling the kink
                                        // (|pre| < 1e-6, about one draw in 3e6) gives a fraction of dh.
                                        double ref = dh * (relu ? (p > 0 ? 1 : 0) : diff(Math::tanh, p));
                                        assertClose(what + " da[" + b + "," + j + "]", c.r(r, "da", i), ref, 1e-5);
                                    }
                                }
                            }
                        });
                    }
                }
            }
        }
    }

    /** The logistic sigmoid in double. */
    static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** PyTorch's LSTM cell in double: returns {i, f, g, o, c', o*tanh(c')}. */
    static double[] lstmCell(double pi, double pf, double pg, double po, double cPrev) {
        double i = sig(pi), f = sig(pf), g = Math.tanh(pg), o = sig(po);
        double c = f * cPrev + i * g;
        return new double[]{i, f, g, o, c, o * Math.tanh(c)};
    }

    @Test
    void lstmForward() {
        for (int hidden : SIZES) {
            for (int batch : BATCHES) {
                for (int[] lengths : lengthVariants(batch)) {
                    for (boolean withY : new boolean[]{false, true}) {
                        for (boolean withHPrev : new boolean[]{true, false}) {
                            int ldy = hidden + 5, bh = batch * hidden, g4 = 4 * hidden;
                            Case c = new Case(desc("lstmForward" + (withHPrev ? "" : " hPrev=null"), batch, hidden, lengths, withY)) {{
                                poisonInactive(in("gx", batch * g4, -3f, 3f), batch, g4, lengths);
                                poisonInactive(in("gh", batch * g4, -3f, 3f), batch, g4, lengths);
                                in("cPrev", bh);
                                if (withHPrev) in("hPrev", bh);
                                out("act", batch * g4);
                                out("cNext", bh);
                                out("hNext", bh);
                                if (withY) out("y", (batch - 1) * ldy + hidden);
                            }}.run((k, s) -> k.lstmForward(batch, hidden, T, lengths, s.s("gx"), s.o("gx"), s.s("gh"), s.o("gh"),
                                    s.s("cPrev"), s.o("cPrev"), s.s("act"), s.o("act"), s.s("cNext"), s.o("cNext"),
                                    s.s("hPrev"), s.o("hPrev"), s.s("hNext"), s.o("hNext"), s.s("y"), s.o("y"), ldy)).compare();
                            assertHeld(c, batch, hidden, lengths, withY, ldy, withHPrev ? "hPrev" : null);
                            c.both((what, r) -> {
                                for (int b = 0; b < batch; b++) {
                                    if (active(lengths, b)) continue;
                                    for (int j = 0; j < hidden; j++) {
                                        long i = (long) b * hidden + j;
                                        assertThat(c.r(r, "cNext", i)).as(what + " held cNext").isEqualTo(c.bufs.get("cPrev").at(i));
                                    }
                                }
                                for (int e = 0; e < 4; e++) {
                                    int b = rng.nextInt(batch), j = rng.nextInt(hidden);
                                    if (!active(lengths, b)) continue;
                                    double[] p = new double[4];
                                    for (int gate = 0; gate < 4; gate++) {
                                        long gi = (long) b * g4 + (long) gate * hidden + j;
                                        p[gate] = (double) c.bufs.get("gx").at(gi) + c.bufs.get("gh").at(gi);
                                    }
                                    long i = (long) b * hidden + j;
                                    double[] ref = lstmCell(p[0], p[1], p[2], p[3], c.bufs.get("cPrev").at(i));
                                    for (int gate = 0; gate < 4; gate++) {
                                        assertClose(what + " act gate " + gate + " [" + b + "," + j + "]",
                                                c.r(r, "act", (long) b * g4 + (long) gate * hidden + j), ref[gate], 1e-6);
                                    }
                                    assertClose(what + " c'[" + b + "," + j + "]", c.r(r, "cNext", i), ref[4], 1e-6);
                                    assertClose(what + " h'[" + b + "," + j + "]", c.r(r, "hNext", i), ref[5], 1e-6);
                                }
                            });
                        }
                    }
                }
            }
        }
    }

    @Test
    void lstmBackward() {
        for (int hidden : SIZES) {
            for (int batch : BATCHES) {
                for (int[] lengths : lengthVariants(batch)) {
                    int bh = batch * hidden, g4 = 4 * hidden;
                    float[] pre = new float[batch * g4];
                    Case c = new Case(desc("lstmBackward", batch, hidden, lengths, false)) {{
                        Buf act = in("act", batch * g4);
                        Buf cPrev = in("cPrev", bh);
                        Buf cNext = in("cNext", bh);
                        for (int b = 0; b < batch; b++) {
                            for (int j = 0; j < hidden; j++) {
                                double[] p = new double[4];
                                for (int gate = 0; gate < 4; gate++) {
                                    int gi = b * g4 + gate * hidden + j;
                                    pre[gi] = -3f + 6f * rng.nextFloat();
                                    p[gate] = pre[gi];
                                }
                                double[] f = lstmCell(p[0], p[1], p[2], p[3], cPrev.at((long) b * hidden + j));
                                for (int gate = 0; gate < 4; gate++) {
                                    act.init[act.off + b * g4 + gate * hidden + j] = (float) f[gate];
                                }
                                cNext.init[cNext.off + b * hidden + j] = (float) f[4];
                            }
                        }
                        // The forward never writes act for inactive rows: the backward must not read them.
                        poisonInactive(act, batch, g4, lengths);
                        in("dm", bh);
                        inOut("dc", bh);
                        out("da", batch * g4);
                    }}.run((k, s) -> k.lstmBackward(batch, hidden, T, lengths, s.s("act"), s.o("act"), s.s("cPrev"), s.o("cPrev"),
                            s.s("cNext"), s.o("cNext"), s.s("dm"), s.o("dm"), s.s("dc"), s.o("dc"), s.s("da"), s.o("da"))).compare();
                    c.both((what, r) -> {
                        for (int b = 0; b < batch; b++) {
                            if (!active(lengths, b)) {
                                for (int j = 0; j < g4; j++) assertThat(c.r(r, "da", (long) b * g4 + j)).as(what + " da inactive").isEqualTo(0f);
                                for (int j = 0; j < hidden; j++) {
                                    long i = (long) b * hidden + j;
                                    assertThat(c.r(r, "dc", i)).as(what + " dc passes through").isEqualTo(c.bufs.get("dc").at(i));
                                }
                            }
                        }
                        // L = dm * h' + dc * c' as a function of the pre-activations and cPrev, in double.
                        for (int e = 0; e < 4; e++) {
                            int b = rng.nextInt(batch), j = rng.nextInt(hidden);
                            if (!active(lengths, b)) continue;
                            long i = (long) b * hidden + j;
                            double dm = c.bufs.get("dm").at(i), dc = c.bufs.get("dc").at(i), cp = c.bufs.get("cPrev").at(i);
                            double[] p = new double[4];
                            for (int gate = 0; gate < 4; gate++) p[gate] = pre[b * g4 + gate * hidden + j];
                            for (int gate = 0; gate < 4; gate++) {
                                final int gg = gate;
                                double ref = diff(x -> {
                                    double[] q = p.clone();
                                    q[gg] = x;
                                    double[] f = lstmCell(q[0], q[1], q[2], q[3], cp);
                                    return dm * f[5] + dc * f[4];
                                }, p[gate]);
                                assertClose(what + " da gate " + gate + " [" + b + "," + j + "]",
                                        c.r(r, "da", (long) b * g4 + (long) gate * hidden + j), ref, 1e-5);
                            }
                            double refDc = diff(x -> {
                                double[] f = lstmCell(p[0], p[1], p[2], p[3], x);
                                return dm * f[5] + dc * f[4];
                            }, cp);
                            assertClose(what + " dcPrev[" + b + "," + j + "]", c.r(r, "dc", i), refDc, 1e-5);
                        }
                    });
                }
            }
        }
    }

    /** PyTorch's GRU cell in double: returns {r, z, n, h'}. */
    static double[] gruCell(double xr, double xz, double xn, double hr, double hz, double hn, double bhn, double hPrev) {
        double r = sig(xr + hr), z = sig(xz + hz), n = Math.tanh(xn + r * (hn + bhn));
        return new double[]{r, z, n, (1 - z) * n + z * hPrev};
    }

    @Test
    void gruForward() {
        for (int hidden : SIZES) {
            for (int batch : BATCHES) {
                for (int[] lengths : lengthVariants(batch)) {
                    for (boolean withY : new boolean[]{false, true}) {
                        boolean withBias = rng.nextBoolean();
                        int ldy = hidden + 3, bh = batch * hidden, g3 = 3 * hidden;
                        Case c = new Case(desc("gruForward" + (withBias ? "" : " bhn=null"), batch, hidden, lengths, withY)) {{
                            poisonInactive(in("gx", batch * g3, -3f, 3f), batch, g3, lengths);
                            poisonInactive(in("gh", batch * g3, -3f, 3f), batch, g3, lengths);
                            if (withBias) in("bhn", hidden);
                            in("hPrev", bh);
                            out("act", batch * g3);
                            out("ghn", bh);
                            out("hNext", bh);
                            if (withY) out("y", (batch - 1) * ldy + hidden);
                        }}.run((k, s) -> k.gruForward(batch, hidden, T, lengths, s.s("gx"), s.o("gx"), s.s("gh"), s.o("gh"),
                                s.s("bhn"), s.o("bhn"), s.s("hPrev"), s.o("hPrev"), s.s("act"), s.o("act"), s.s("ghn"), s.o("ghn"),
                                s.s("hNext"), s.o("hNext"), s.s("y"), s.o("y"), ldy)).compare();
                        assertHeld(c, batch, hidden, lengths, withY, ldy, "hPrev");
                        c.both((what, r) -> {
                            for (int e = 0; e < 4; e++) {
                                int b = rng.nextInt(batch), j = rng.nextInt(hidden);
                                if (!active(lengths, b)) continue;
                                long i = (long) b * hidden + j;
                                long g0 = (long) b * g3 + j;
                                Buf gx = c.bufs.get("gx"), gh = c.bufs.get("gh");
                                double bhn = withBias ? c.bufs.get("bhn").at(j) : 0;
                                double[] ref = gruCell(gx.at(g0), gx.at(g0 + hidden), gx.at(g0 + 2L * hidden),
                                        gh.at(g0), gh.at(g0 + hidden), gh.at(g0 + 2L * hidden), bhn, c.bufs.get("hPrev").at(i));
                                for (int gate = 0; gate < 3; gate++) {
                                    assertClose(what + " act gate " + gate, c.r(r, "act", g0 + (long) gate * hidden), ref[gate], 1e-6);
                                }
                                assertClose(what + " ghn", c.r(r, "ghn", i), gh.at(g0 + 2L * hidden) + bhn, 1e-6);
                                assertClose(what + " h'[" + b + "," + j + "]", c.r(r, "hNext", i), ref[3], 1e-6);
                            }
                        });
                    }
                }
            }
        }
    }

    @Test
    void gruBackward() {
        for (int hidden : SIZES) {
            for (int batch : BATCHES) {
                for (int[] lengths : lengthVariants(batch)) {
                    int bh = batch * hidden, g3 = 3 * hidden;
                    // [b][j] -> {xr, xz, xn, hr, hz, hn, bhn}
                    double[][] raw = new double[bh][];
                    Case c = new Case(desc("gruBackward", batch, hidden, lengths, false)) {{
                        Buf act = in("act", batch * g3);
                        Buf ghn = in("ghn", bh);
                        Buf hPrev = in("hPrev", bh);
                        for (int b = 0; b < batch; b++) {
                            for (int j = 0; j < hidden; j++) {
                                double[] q = new double[7];
                                for (int m = 0; m < 7; m++) q[m] = -2 + 4 * rng.nextDouble();
                                raw[b * hidden + j] = q;
                                double[] f = gruCell(q[0], q[1], q[2], q[3], q[4], q[5], q[6], hPrev.at((long) b * hidden + j));
                                for (int gate = 0; gate < 3; gate++) act.init[act.off + b * g3 + gate * hidden + j] = (float) f[gate];
                                ghn.init[ghn.off + b * hidden + j] = (float) (q[5] + q[6]);
                            }
                        }
                        poisonInactive(act, batch, g3, lengths);
                        poisonInactive(ghn, batch, hidden, lengths);
                        in("dh", bh);
                        out("dgx", batch * g3);
                        out("dgh", batch * g3);
                        out("dhPrev", bh);
                    }}.run((k, s) -> k.gruBackward(batch, hidden, T, lengths, s.s("act"), s.o("act"), s.s("ghn"), s.o("ghn"),
                            s.s("hPrev"), s.o("hPrev"), s.s("dh"), s.o("dh"), s.s("dgx"), s.o("dgx"), s.s("dgh"), s.o("dgh"),
                            s.s("dhPrev"), s.o("dhPrev"))).compare();
                    c.both((what, r) -> {
                        for (int b = 0; b < batch; b++) {
                            if (active(lengths, b)) continue;
                            for (int j = 0; j < g3; j++) {
                                assertThat(c.r(r, "dgx", (long) b * g3 + j)).as(what + " dgx inactive").isEqualTo(0f);
                                assertThat(c.r(r, "dgh", (long) b * g3 + j)).as(what + " dgh inactive").isEqualTo(0f);
                            }
                            for (int j = 0; j < hidden; j++) {
                                long i = (long) b * hidden + j;
                                assertThat(c.r(r, "dhPrev", i)).as(what + " dhPrev inactive").isEqualTo(c.bufs.get("dh").at(i));
                            }
                        }
                        for (int e = 0; e < 4; e++) {
                            int b = rng.nextInt(batch), j = rng.nextInt(hidden);
                            if (!active(lengths, b)) continue;
                            long i = (long) b * hidden + j;
                            double[] q = raw[(int) i];
                            double dh = c.bufs.get("dh").at(i), hp = c.bufs.get("hPrev").at(i);
                            String[] names = {"dgx r", "dgx z", "dgx n", "dgh r", "dgh z", "dgh n"};
                            for (int m = 0; m < 6; m++) {
                                final int mm = m;
                                double ref = diff(x -> {
                                    double[] p = q.clone();
                                    p[mm] = x;
                                    return dh * gruCell(p[0], p[1], p[2], p[3], p[4], p[5], p[6], hp)[3];
                                }, q[m]);
                                String buf = m < 3 ? "dgx" : "dgh";
                                assertClose(what + " " + names[m] + " [" + b + "," + j + "]",
                                        c.r(r, buf, (long) b * g3 + (long) (m % 3) * hidden + j), ref, 1e-5);
                            }
                            double ref = diff(x -> dh * gruCell(q[0], q[1], q[2], q[3], q[4], q[5], q[6], x)[3], hp);
                            assertClose(what + " dhPrev (direct part)", c.r(r, "dhPrev", i), ref, 1e-5);
                        }
                    });
                }
            }
        }
    }

    @Test
    void maskedStep() {
        for (int width : SIZES) {
            for (int batch : BATCHES) {
                for (int[] lengths : lengthVariants(batch)) {
                    for (boolean withY : new boolean[]{false, true}) {
                        int ldy = width + 2, bw = batch * width;
                        Case c = new Case(desc("maskedStep", batch, width, lengths, withY)) {{
                            in("hCand", bw);
                            in("hPrev", bw);
                            out("hNext", bw);
                            if (withY) out("y", (batch - 1) * ldy + width);
                        }}.run((k, s) -> k.maskedStep(batch, width, T, lengths, s.s("hCand"), s.o("hCand"), s.s("hPrev"), s.o("hPrev"),
                                s.s("hNext"), s.o("hNext"), s.s("y"), s.o("y"), ldy)).compare();
                        assertHeld(c, batch, width, lengths, withY, ldy, "hPrev");
                        c.both((what, r) -> {
                            for (int b = 0; b < batch; b++) {
                                if (!active(lengths, b)) continue;
                                for (int j = 0; j < width; j++) {
                                    long i = (long) b * width + j;
                                    assertThat(c.r(r, "hNext", i)).as(what + " hNext active").isEqualTo(c.bufs.get("hCand").at(i));
                                }
                            }
                        });
                    }
                }
            }
        }
    }

    @Test
    void maskedStepBackwardAndAddActiveRows() {
        for (int width : SIZES) {
            for (int batch : BATCHES) {
                for (int[] lengths : lengthVariants(batch)) {
                    int bw = batch * width, ldy = width + 4;
                    Case c = new Case(desc("maskedStepBackward", batch, width, lengths, false)) {{
                        in("dh", bw);
                        out("dCand", bw);
                        out("dhPrev", bw);
                    }}.run((k, s) -> k.maskedStepBackward(batch, width, T, lengths, s.s("dh"), s.o("dh"),
                            s.s("dCand"), s.o("dCand"), s.s("dhPrev"), s.o("dhPrev"))).compare();
                    c.both((what, r) -> {
                        for (int b = 0; b < batch; b++) {
                            boolean on = active(lengths, b);
                            for (int j = 0; j < width; j++) {
                                long i = (long) b * width + j;
                                float dh = c.bufs.get("dh").at(i);
                                assertThat(c.r(r, "dCand", i)).as(what + " dCand").isEqualTo(on ? dh : 0f);
                                assertThat(c.r(r, "dhPrev", i)).as(what + " dhPrev").isEqualTo(on ? 0f : dh);
                            }
                        }
                    });
                    Case a = new Case(desc("addActiveRows", batch, width, lengths, true)) {{
                        in("dy", (batch - 1) * ldy + width);
                        inOut("dh", bw);
                    }}.run((k, s) -> k.addActiveRows(batch, width, T, lengths, s.s("dy"), s.o("dy"), ldy, s.s("dh"), s.o("dh"))).compare();
                    a.both((what, r) -> {
                        for (int b = 0; b < batch; b++) {
                            boolean on = active(lengths, b);
                            for (int j = 0; j < width; j++) {
                                long i = (long) b * width + j;
                                float dh = a.bufs.get("dh").at(i);
                                float expect = on ? dh + a.bufs.get("dy").at((long) b * ldy + j) : dh;
                                assertThat(a.r(r, "dh", i)).as(what + " dh").isEqualTo(expect);
                            }
                        }
                    });
                }
            }
        }
    }
}
