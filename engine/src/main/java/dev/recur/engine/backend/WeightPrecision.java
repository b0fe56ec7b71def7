package dev.recur.engine.backend;

import java.util.Arrays;

/**
 * How a recurrent layer's weight matrices W_ih and W_hh are stored while it runs inference.
 * States, activations and every sum stay fp32 either way.
 */
public enum WeightPrecision {
    /** fp32, as the model holds them: PyTorch's results. The default. */
    FP32("fp32"),
    /**
     * bfloat16 (the top 16 bits of an fp32, rounded to nearest, ties to even, as PyTorch's
     * {@code tensor.to(torch.bfloat16)}): half the bytes per step for W_hh, about 3 significant
     * digits per weight. Opt-in, inference only.
     */
    BF16("bf16");

    private final String id;

    WeightPrecision(String id) {
        this.id = id;
    }

    /** The name on the command line and in reports. */
    public String id() {
        return id;
    }

    public static WeightPrecision parse(String id) {
        for (WeightPrecision p : values()) {
            if (p.id.equals(id)) return p;
        }
        throw new IllegalArgumentException("unknown weight precision '" + id + "': expected one of "
                + Arrays.stream(values()).map(WeightPrecision::id).toList());
    }

    /** bf16 bits of x, rounded to nearest, ties to even; NaN stays a (quiet) NaN. */
    public static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return (short) ((bits | 0x0040_0000) >>> 16);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The fp32 value of bf16 bits (exact). */
    public static float fromBf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    @Override
    public String toString() {
        return id;
    }
}
