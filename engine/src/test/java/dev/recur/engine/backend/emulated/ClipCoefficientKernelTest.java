package dev.recur.engine.backend.emulated;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recur_clip_coefficient}, whose max_norm is a C double: launched through {@code GpuKernel}
 * (a double argument) on both emulations, against clip_grad_norm_'s arithmetic in double, for a
 * norm above max_norm (scaled), below it (scale 1), zero, and NaN (kept).
 */
class ClipCoefficientKernelTest {
    @ParameterizedTest
    @EnumSource(EmulatedKernelsKind.class)
    void theCoefficientAndTheNormMatchClipGradNormsArithmetic(EmulatedKernelsKind kind) {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        double maxNorm = random.nextDouble(0.5, 2.0);
        double[] sums = {random.nextDouble(10, 1000), maxNorm * maxNorm / 4, 0, Double.NaN};
        try (EmulatedGpuDevice device = kind.open(); Arena arena = Arena.ofConfined()) {
            long sum = device.allocate(8), total = device.allocate(8), scale = device.allocate(4);
            MemorySegment host = arena.allocate(8, 8);
            for (double s : sums) {
                host.set(ValueLayout.JAVA_DOUBLE, 0, s);
                device.copyToDevice(host, sum, 8);
                device.kernel("recur_clip_coefficient").pointer(0, sum).arg(1, maxNorm).pointer(2, total).pointer(3, scale)
                        .launchOneThread();
                device.copyToHost(total, host, 8);
                double norm = host.get(ValueLayout.JAVA_DOUBLE, 0);
                device.copyToHost(scale, host, 4);
                float coefficient = host.get(ValueLayout.JAVA_FLOAT, 0);
                double expectedNorm = Math.sqrt(s);
                float expected = expected(s, maxNorm);
                String as = "%s, sum of squares %s, max_norm %s (seed %d)".formatted(kind, s, maxNorm, seed);
                // compared as bits: a NaN norm must give a NaN scale, as Math.min and torch.clamp keep it
                assertThat(Double.doubleToLongBits(norm)).as("total norm, " + as).isEqualTo(Double.doubleToLongBits(expectedNorm));
                assertThat(Float.floatToIntBits(coefficient)).as("scale, " + as).isEqualTo(Float.floatToIntBits(expected));
            }
            assertThat(expected(sums[0], maxNorm)).as("the first case clips").isLessThan(1f);
        }
    }

    private static float expected(double sumOfSquares, double maxNorm) {
        return (float) Math.min(maxNorm / (Math.sqrt(sumOfSquares) + 1e-6), 1.0);
    }
}
