package dev.recur.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * sigmoid and tanh over runs of floats, from adds, multiplies, FMAs and one divide per vector.
 * The cell kernels call these as separate passes over a row that sits in L1.
 *
 * <p>Why not {@code lanewise(EXP/TANH)}: HotSpot computes those with a vector math library in
 * C2-compiled code and with another implementation before, so the same model's outputs would
 * differ by one ulp depending on how warm the JIT is. These give bitwise the same result in every
 * tier.
 *
 * <p>Why loops over memory instead of a {@code FloatVector exp(FloatVector)} helper: such a
 * helper is big enough that C2 often declines to inline it (once it has been compiled on its own
 * it counts as "already compiled into a big method"), and every call then boxes its vectors on the
 * heap. Each loop below holds its whole computation, so nothing vector-typed crosses a call.
 *
 * <p>The measurements behind these choices are in docs/performance.md ("Measurements behind the
 * CPU kernels").
 *
 * <p>Accuracy against double precision (VectorMathTest): sigmoid within 1.5e-7 and tanh within
 * 2.5e-7 absolute; tanh near zero within 2.5e-7 relative. Offsets count floats; n is a multiple of the vector length.
 */
final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    // Cephes expf: exp(v) = 2^k · exp(r), k = round(v / ln 2), r = v - k·ln 2 in two parts,
    // exp(r) = 1 + r + r^2 · P(r). k is rounded by adding 1.5 · 2^23 (its low mantissa bits then
    // hold k; shifted left by 23 they are 2^k's exponent bits): no float-int conversions, whose
    // Java semantics (NaN to 0, saturation) cost extra instructions per vector.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 0x1.8p23f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * Exponent arguments are clamped to +-80: every intermediate and every result then stays a
     * normal float (exp(-80) is 1.8e-35). A subnormal result, such as 1 / (1 + exp(88)), costs a
     * microcode assist of ~100 cycles per vector. The clamp changes results by under 2e-35.
     */
    private static final float BOUND = 80f;

    /**
     * Inputs below this magnitude are flushed to zero before the polynomials: their squares would be
     * subnormal floats, which cost ~30x more per operation on x86 (a cell state near zero gives them).
     * The results are unchanged: below 2^-26, sigmoid(x) rounds to 0.5 and tanh(x) to x.
     */
    private static final float TINY = 0x1p-26f;

    private VectorMath() {
    }

    /** y[i] = 1 / (1 + exp(-x[i])) for i in [0, n); y may be x. */
    static void sigmoid(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, (xOff + i) * Float.BYTES, ORDER).neg();
            v = v.blend(0f, v.abs().compare(VectorOperators.LT, TINY)).max(-BOUND).min(BOUND);
            // e = exp(v), inline (see the class comment)
            FloatVector rounded = v.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUNDER));
            FloatVector k = rounded.sub(ROUNDER);
            FloatVector scale = rounded.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23)
                    .reinterpretAsFloats();
            FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), v);
            r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
            p = p.fma(r, FloatVector.broadcast(F, P2));
            p = p.fma(r, FloatVector.broadcast(F, P3));
            p = p.fma(r, FloatVector.broadcast(F, P4));
            p = p.fma(r, FloatVector.broadcast(F, P5));
            FloatVector e = p.fma(r, one).fma(r, one).mul(scale);   // (1 + r + r^2 · P(r)) · 2^k
            one.div(e.add(one)).intoMemorySegment(y, (yOff + i) * Float.BYTES, ORDER);
        }
    }

    /**
     * y[i] = tanh(x[i]) for i in [0, n); y may be x. Computed as m / (m + 2) with m = expm1(2x):
     * near zero m is r + r^2 · P(r) with no cancellation, so tanh keeps its relative accuracy
     * there without a second polynomial.
     */
    static void tanh(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector one = FloatVector.broadcast(F, 1f), two = FloatVector.broadcast(F, 2f);
        for (int i = 0; i < n; i += L) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, x, (xOff + i) * Float.BYTES, ORDER);
            VectorMask<Float> tiny = x0.abs().compare(VectorOperators.LT, TINY);
            FloatVector v = x0.blend(0f, tiny);
            v = v.add(v).max(-BOUND).min(BOUND);
            // m = expm1(v) = 2^k · (r + r^2 · P(r)) + (2^k - 1), inline (see the class comment)
            FloatVector rounded = v.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUNDER));
            FloatVector k = rounded.sub(ROUNDER);
            FloatVector scale = rounded.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23)
                    .reinterpretAsFloats();
            FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), v);
            r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
            p = p.fma(r, FloatVector.broadcast(F, P2));
            p = p.fma(r, FloatVector.broadcast(F, P3));
            p = p.fma(r, FloatVector.broadcast(F, P4));
            p = p.fma(r, FloatVector.broadcast(F, P5));
            FloatVector m = scale.fma(r.mul(p).fma(r, r), scale.sub(one));
            m.div(m.add(two)).blend(x0, tiny).intoMemorySegment(y, (yOff + i) * Float.BYTES, ORDER);
        }
    }
}
