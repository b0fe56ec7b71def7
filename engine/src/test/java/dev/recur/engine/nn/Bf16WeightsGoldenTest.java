package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.io.RecurrentStateDict;
import dev.recur.engine.io.SafeTensorsFile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.recur.engine.tensor.RelativeError.l2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * bf16 weights on every PyTorch golden configuration: the fast kernels and their naive twin agree
 * (1e-5), the outputs stay within 1e-2 relative L2 of PyTorch's float64 results (bf16 keeps 8
 * bits of each weight's mantissa, so about 2e-3 per weight), and the rounding is really applied
 * (the outputs move away from fp32's). Training refuses bf16 weights.
 */
class Bf16WeightsGoldenTest {
    static final double BF16_TOLERANCE = 1e-2;
    static final double TWIN_TOLERANCE = 1e-5;

    @Test
    void bf16OutputsStayCloseToPyTorchOnEveryGoldenConfiguration() throws Exception {
        List<Double> errors = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (GoldenFixture fixture : GoldenFixture.all()) {
            double[] expected = fixture.file().readDoubles("out.output");
            float[] vector = output(fixture, KernelProvider.byName("vector"), WeightPrecision.BF16);
            float[] naive = output(fixture, KernelProvider.byName("naive"), WeightPrecision.BF16);
            double error = l2(vector, expected), twins = l2(vector, naive);
            errors.add(error);
            if (!(error <= BF16_TOLERANCE)) failures.add(fixture + ": bf16 vs float64 " + error);
            if (!(twins <= TWIN_TOLERANCE)) failures.add(fixture + ": vector vs naive twin " + twins);
        }
        assertThat(failures).isEmpty();
        errors.sort(null);
        System.out.printf(Locale.ROOT, "bf16 weights, output vs PyTorch's float64, relative L2 over %d golden configurations: "
                + "min %.2e, median %.2e, max %.2e%n", errors.size(), errors.getFirst(), errors.get(errors.size() / 2),
                errors.getLast());
        assertThat(errors.getLast()).as("the largest bf16 error: rounding applied").isGreaterThan(1e-4);
    }

    @Test
    void trainingRefusesBf16Weights() throws Exception {
        GoldenFixture fixture = GoldenFixture.all().getFirst();
        SafeTensorsFile f = fixture.file();
        try (Recurrent model = RecurrentStateDict.load(f, "param.", null, false);
             Graph g = Graph.training(KernelProvider.byName("vector"))) {
            Var input = g.variable(f.readFloat("in.input", g.arena()));
            assertThatThrownBy(() -> model.forward(g, input, null, null, null, RecurrentExecution.fused(WeightPrecision.BF16)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inference only");
        }
    }

    private static float[] output(GoldenFixture fixture, Kernels kernels, WeightPrecision weights) throws Exception {
        SafeTensorsFile f = fixture.file();
        try (Recurrent model = RecurrentStateDict.load(f, "param.", null, false);
             Graph g = Graph.inference(kernels)) {
            Var input = g.constant(f.readFloat("in.input", g.arena()));
            int[] lengths = f.contains("in.lengths") ? RecurrentGoldenTest.toInts(f.readLongs("in.lengths")) : null;
            Var h0 = f.contains("in.h0") ? g.constant(f.readFloat("in.h0", g.arena())) : null;
            Var c0 = f.contains("in.c0") ? g.constant(f.readFloat("in.c0", g.arena())) : null;
            return model.forward(g, input, lengths, h0, c0, RecurrentExecution.fused(weights)).output().value().toArray();
        }
    }
}
