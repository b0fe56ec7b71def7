package dev.recur.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * sigmoid and tanh over runs of floats, from adds, multiplies, FMAs and one divide per vector.
 * The cell kernels call these as separate passes over a row that sits in L1.
 *
 * <p>Why not {@code lanewise(EXP/TANH)}: HotSpot computes those with a vector math library in
 * C2-compiled code and with another implementation before, so the same model gave outputs one ulp
 * apart depending on how warm the JIT was (seen after ~230 calls). These give bitwise the same
 * result in every tier.
 *
 * <p>Why loops over memory instead of a {@code FloatVector exp(FloatVector)} helper: such a
 * helper is big enough that C2 often declines to inline it (once it has been compiled on its own
 * it counts as "already compiled into a big method"), and every call then boxes its vectors on the
 * heap: the LSTM step ran 4x slower. Each loop below holds its whole computation, so nothing
 * vector-typed crosses a call.
 *
 * <p>Accuracy against double precision (VectorMathTest): sigmoid and tanh within 3e-7 absolute;
 * tanh near zero within 5e-7 relative. Offsets count floats; n is a multiple of the vector length.
 */
final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    // Cephes expf: exp(x) = 2^n · exp(r), n = round(x / ln 2), r = x - n·ln 2 in two parts,
    // exp(r) = 1 + r + r^2 · P(r).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Clamped so that 2^n stays a normal float: exp(-87.3) is 1.2e-38, exp(88.3) is 2.2e38. */
    private static final float EXP_MIN = -87.3f, EXP_MAX = 88.3f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    // Cephes tanhf below |x| = 0.625: x + x^3 · Q(x^2); above, 1 - 2 / (exp(2x) + 1).
    private static final float TANH_SMALL = 0.625f;
    private static final float Q0 = -5.70498872745e-3f, Q1 = 2.06390887954e-2f, Q2 = -5.37397155531e-2f;
    private static final float Q3 = 1.33314422036e-1f, Q4 = -3.33332819422e-1f;

    /**
     * Inputs below this magnitude are flushed to zero before the polynomials: their squares would be
     * subnormal floats, which cost ~30x more per operation on x86 (a cell state near zero made the
     * LSTM backward's tanh a fifth of a training step). The results are unchanged: below 2^-26,
     * sigmoid(x) rounds to 0.5 and tanh(x) to x.
     */
    private static final float TINY = 0x1p-26f;

    private VectorMath() {
    }

    /** y[i] = 1 / (1 + exp(-x[i])) for i in [0, n); y may be x. */
    static void sigmoid(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < n; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, (xOff + i) * Float.BYTES, ORDER).neg();
            // e = exp(v), inline (see the class comment)
            v = v.blend(0f, v.abs().compare(VectorOperators.LT, TINY)).max(EXP_MIN).min(EXP_MAX);
            FloatVector t = v.mul(LOG2E);
            FloatVector half = FloatVector.broadcast(F, 0.5f).blend(-0.5f, t.compare(VectorOperators.LT, 0f));
            IntVector k = (IntVector) t.add(half).convert(VectorOperators.F2I, 0);
            FloatVector kf = (FloatVector) k.convert(VectorOperators.I2F, 0);
            FloatVector r = kf.neg().fma(FloatVector.broadcast(F, LN2_HI), v);
            r = kf.neg().fma(FloatVector.broadcast(F, LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
            p = p.fma(r, FloatVector.broadcast(F, P2));
            p = p.fma(r, FloatVector.broadcast(F, P3));
            p = p.fma(r, FloatVector.broadcast(F, P4));
            p = p.fma(r, FloatVector.broadcast(F, P5));
            FloatVector e = p.fma(r.mul(r), r).add(one).mul(k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            one.div(e.add(one)).intoMemorySegment(y, (yOff + i) * Float.BYTES, ORDER);
        }
    }

    /** y[i] = tanh(x[i]) for i in [0, n); y may be x. */
    static void tanh(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int i = 0; i < n; i += L) {
            FloatVector x0 = FloatVector.fromMemorySegment(F, x, (xOff + i) * Float.BYTES, ORDER);
            FloatVector xf = x0.blend(0f, x0.abs().compare(VectorOperators.LT, TINY));
            // e = exp(2x), inline (see the class comment)
            FloatVector v = xf.add(xf).max(EXP_MIN).min(EXP_MAX);
            FloatVector t = v.mul(LOG2E);
            FloatVector half = FloatVector.broadcast(F, 0.5f).blend(-0.5f, t.compare(VectorOperators.LT, 0f));
            IntVector k = (IntVector) t.add(half).convert(VectorOperators.F2I, 0);
            FloatVector kf = (FloatVector) k.convert(VectorOperators.I2F, 0);
            FloatVector r = kf.neg().fma(FloatVector.broadcast(F, LN2_HI), v);
            r = kf.neg().fma(FloatVector.broadcast(F, LN2_LO), r);
            FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
            p = p.fma(r, FloatVector.broadcast(F, P2));
            p = p.fma(r, FloatVector.broadcast(F, P3));
            p = p.fma(r, FloatVector.broadcast(F, P4));
            p = p.fma(r, FloatVector.broadcast(F, P5));
            FloatVector e = p.fma(r.mul(r), r).add(one).mul(k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector large = one.sub(FloatVector.broadcast(F, 2f).div(e.add(one)));
            FloatVector z = xf.mul(xf);
            FloatVector q = z.fma(FloatVector.broadcast(F, Q0), FloatVector.broadcast(F, Q1));
            q = q.fma(z, FloatVector.broadcast(F, Q2));
            q = q.fma(z, FloatVector.broadcast(F, Q3));
            q = q.fma(z, FloatVector.broadcast(F, Q4));
            FloatVector small = q.mul(z).fma(x0, x0);
            large.blend(small, x0.abs().compare(VectorOperators.LT, TANH_SMALL))
                    .intoMemorySegment(y, (yOff + i) * Float.BYTES, ORDER);
        }
    }
}
