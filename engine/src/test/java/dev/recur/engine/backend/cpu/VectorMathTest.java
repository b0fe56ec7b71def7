package dev.recur.engine.backend.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

/** VectorMath against double-precision java.lang.Math, on a dense sweep plus random points. */
class VectorMathTest {
    interface RunKernel {
        void apply(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);
    }

    /** Largest error over the inputs: relative when |exact| >= floor, absolute below it. */
    private static double maxError(RunKernel f, DoubleUnaryOperator exact, float[] xs, double floor) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(JAVA_FLOAT, xs), y = arena.allocate(JAVA_FLOAT, xs.length);
            f.apply(xs.length, x, 0, y, 0);
            double worst = 0;
            for (int i = 0; i < xs.length; i++) {
                double e = exact.applyAsDouble(xs[i]);
                worst = Math.max(worst, Math.abs(y.getAtIndex(JAVA_FLOAT, i) - e) / Math.max(Math.abs(e), floor));
            }
            return worst;
        }
    }

    private static float[] inputs(float lo, float hi) {
        int n = 1 << 16;
        float[] xs = new float[n];
        SplittableRandom rng = new SplittableRandom();
        for (int i = 0; i < n / 2; i++) xs[i] = lo + (hi - lo) * i / (n / 2f);
        for (int i = n / 2; i < n; i++) xs[i] = (float) rng.nextDouble(lo, hi);
        return xs;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void sigmoidAndTanhAreAccurate() {
        float[] xs = inputs(-30f, 30f);
        assertThat(maxError(VectorMath::sigmoid, VectorMathTest::sigmoid, xs, 1)).isLessThan(1.5e-7);
        assertThat(maxError(VectorMath::tanh, Math::tanh, xs, 1)).isLessThan(2.5e-7);
        // Near zero tanh keeps its relative accuracy (no 1 - 2/(e^2x + 1) cancellation).
        assertThat(maxError(VectorMath::tanh, Math::tanh, inputs(-0.7f, 0.7f), 1e-30)).isLessThan(2.5e-7);
    }

    @Test
    void extremeInputsSaturateWithoutNaN() {
        float[] xs = new float[VectorMath.L * 4];
        for (int i = 0; i < xs.length; i++) xs[i] = (i % 2 == 0 ? 1 : -1) * (float) Math.pow(10, i % 8 - 2);
        xs[0] = Float.MAX_VALUE;
        xs[1] = -Float.MAX_VALUE;
        assertThat(maxError(VectorMath::tanh, Math::tanh, xs, 1)).isLessThan(3e-7);
        assertThat(maxError(VectorMath::sigmoid, VectorMathTest::sigmoid, xs, 1)).isLessThan(3e-7);
    }

    /** Saturated inputs give 0, +-1 or normal floats, never subnormal ones (each costs a microcode assist). */
    @Test
    void saturatedOutputsAreNeverSubnormal() {
        float[] xs = inputs(-1000f, 1000f);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(JAVA_FLOAT, xs), y = arena.allocate(JAVA_FLOAT, xs.length);
            for (RunKernel f : new RunKernel[]{VectorMath::sigmoid, VectorMath::tanh}) {
                f.apply(xs.length, x, 0, y, 0);
                for (int i = 0; i < xs.length; i++) {
                    float v = Math.abs(y.getAtIndex(JAVA_FLOAT, i));
                    assertThat(v == 0f || v >= Float.MIN_NORMAL).as("f(%s) = %s", xs[i], v).isTrue();
                }
            }
        }
    }

    /** Tiny and subnormal inputs (flushed before the polynomials, see VectorMath.TINY) keep full accuracy. */
    @Test
    void tinyAndSubnormalInputsAreExact() {
        float[] xs = new float[VectorMath.L * 8];
        for (int i = 0; i < xs.length; i++) {
            float magnitude = (float) Math.pow(2, -20 - 2 * i);   // 2^-20 down to subnormals and 0
            xs[i] = (i % 2 == 0 ? 1 : -1) * magnitude;
        }
        xs[xs.length - 1] = Float.MIN_VALUE;
        xs[xs.length - 2] = -0f;
        assertThat(maxError(VectorMath::tanh, Math::tanh, xs, 1e-45)).isLessThan(5e-7);
        assertThat(maxError(VectorMath::sigmoid, VectorMathTest::sigmoid, xs, 1)).isLessThan(3e-7);
    }
}
