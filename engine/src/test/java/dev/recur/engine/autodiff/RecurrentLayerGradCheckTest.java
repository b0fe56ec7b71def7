package dev.recur.engine.autodiff;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.recur.engine.autodiff.GradCheck.check;
import static dev.recur.engine.autodiff.GradCheck.uniform;

/**
 * Finite differences for the fused recurrent layer node (hand-written BPTT): every input
 * (x, W_ih, W_hh, biases, W_hr, h0, c0) of every mode, both directions, with and without
 * lengths, on both kernel sets. The checked output concatenates y, h_n and c_n so that the
 * gradients arriving through each of them are exercised at once.
 */
class RecurrentLayerGradCheckTest {
    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (String kernels : List.of("naive", "vector")) {
            for (CellMode mode : CellMode.values()) {
                for (boolean reverse : new boolean[]{false, true}) {
                    for (boolean lengths : new boolean[]{false, true}) {
                        cases.add(Arguments.of(kernels, mode, reverse, lengths, 0));
                    }
                }
            }
            cases.add(Arguments.of(kernels, CellMode.LSTM, false, true, 2));
            cases.add(Arguments.of(kernels, CellMode.LSTM, true, true, 2));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} reverse={2} lengths={3} proj={4}")
    @MethodSource("cases")
    void fusedLayerGradientsMatchFiniteDifferences(String kernelsName, CellMode mode, boolean reverse,
                                                   boolean withLengths, int proj) {
        Kernels kernels = KernelProvider.byName(kernelsName);
        SplittableRandom rng = new SplittableRandom(mode.ordinal() * 31L + (reverse ? 7 : 0) + (withLengths ? 3 : 0) + proj);
        int steps = 4, batch = 3, in = 3, hidden = 5;
        int out = proj > 0 ? proj : hidden, gh = mode.gates() * hidden;
        int[] lengths = withLengths ? new int[]{2, 4, 1} : null;
        boolean lstm = mode == CellMode.LSTM;
        // RNN relu: keep pre-activations away from the kink with a positive input bias.
        float lo = mode == CellMode.RNN_RELU ? 0.3f : -1f;
        List<GradCheck.Input> inputs = new ArrayList<>(List.of(
                uniform(rng, steps, batch, in), uniform(rng, gh, in), uniform(rng, gh, out),
                uniform(rng, lo, 1f, gh), uniform(rng, lo, 1f, gh), uniform(rng, batch, out)));
        if (proj > 0) inputs.add(uniform(rng, proj, hidden));
        if (lstm) inputs.add(uniform(rng, batch, hidden));
        // relu has a kink at 0: a step of 1e-2 on W_hh moves many pre-activations at once and can
        // cross it; a smaller step keeps the finite difference on one side (float noise stays far
        // below the tolerance at these sizes).
        double step = mode == CellMode.RNN_RELU ? 1e-3 : GradCheck.DEFAULT_STEP;
        check(kernels, step, GradCheck.DEFAULT_TOLERANCE, v -> {
            Var x = withLengths ? Masking.zeroPadded(v[0], lengths) : v[0];
            int next = 6;
            Var wHr = proj > 0 ? v[next++] : null;
            Var c0 = lstm ? v[next] : null;
            RecurrentLayerOp.Result r = RecurrentLayerOp.forward(mode, x, v[1], v[2], v[3], v[4], wHr, v[5], c0, lengths, reverse);
            Var flatY = Shapes.reshape(r.y(), steps * batch * out);
            Var flatH = Shapes.reshape(r.hN(), batch * out);
            return lstm ? Shapes.concat(0, flatY, flatH, Shapes.reshape(r.cN(), batch * hidden))
                    : Shapes.concat(0, flatY, flatH);
        }, inputs.toArray(GradCheck.Input[]::new));
    }
}
