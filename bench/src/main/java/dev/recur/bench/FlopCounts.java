package dev.recur.bench;

import dev.recur.engine.backend.CellMode;

import java.util.Map;
import java.util.OptionalDouble;

/**
 * The floating-point operation counts behind every GFLOP/s figure of the benchmarks: multiply-adds
 * of the matrix products only (2 flops each), as cuDNN's and DeepBench's figures count them; the
 * pointwise gate math is left out.
 */
public final class FlopCounts {
    /** A training step (forward, then backward) counts three times the forward's products. */
    public static final int TRAINING_FACTOR = 3;

    private FlopCounts() {
    }

    /** C [m,n] = op(A) [m,k] · op(B) [k,n]: 2·m·n·k. */
    public static double sgemm(long m, long n, long k) {
        return 2.0 * m * n * k;
    }

    /**
     * One layer direction over a sequence, forward: 2·G·H·(I+H)·B·T (G gates, hidden H, input I,
     * batch B, steps T): the input projection G·H x I and the recurrent product G·H x H per sample
     * and step.
     */
    public static double recurrentLayerForward(CellMode mode, int batch, int steps, int input, int hidden) {
        return 2.0 * mode.gates() * hidden * ((double) input + hidden) * batch * steps;
    }

    /** Forward and backward of one layer direction: {@link #TRAINING_FACTOR} x the forward. */
    public static double recurrentLayerTraining(CellMode mode, int batch, int steps, int input, int hidden) {
        return TRAINING_FACTOR * recurrentLayerForward(mode, batch, steps, input, hidden);
    }

    /**
     * FLOPs of one operation of a benchmark, from its name and JMH parameters, where the count is
     * known: {@link RecurrentLayerBenchmark} (params mode, shape "BxTxIxH" and pass). Others report
     * their GFLOP/s themselves (a "gflop" counter) or have none.
     */
    public static OptionalDouble perOperation(String benchmark, Map<String, String> params) {
        String benchmarkClass = benchmark.substring(0, Math.max(0, benchmark.lastIndexOf('.')));
        if (benchmarkClass.equals(RecurrentLayerBenchmark.class.getName())) {
            CellMode mode = CellMode.parse(required(params, "mode"));
            LayerShape s = LayerShape.parse(required(params, "shape"));
            double forward = recurrentLayerForward(mode, s.batch(), s.steps(), s.input(), s.hidden());
            return OptionalDouble.of(switch (required(params, "pass")) {
                case RecurrentLayerBenchmark.FORWARD -> forward;
                case RecurrentLayerBenchmark.FORWARD_BACKWARD -> TRAINING_FACTOR * forward;
                default -> throw new IllegalArgumentException("unknown pass '" + params.get("pass") + "'");
            });
        }
        return OptionalDouble.empty();
    }

    private static String required(Map<String, String> params, String name) {
        String v = params.get(name);
        if (v == null) throw new IllegalArgumentException("parameter '" + name + "' missing in " + params);
        return v;
    }

    /** A recurrent layer problem "BxTxIxH": batch, steps, input size, hidden size. */
    public record LayerShape(int batch, int steps, int input, int hidden) {
        public static LayerShape parse(String text) {
            String[] p = text.split("x");
            if (p.length != 4) {
                throw new IllegalArgumentException("layer shape '" + text + "': expected BxTxIxH, e.g. 16x25x512x512");
            }
            return new LayerShape(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()),
                    Integer.parseInt(p[2].strip()), Integer.parseInt(p[3].strip()));
        }
    }
}
