package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.RecurrentStateDict;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.recur.engine.tensor.RelativeError.l2;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every PyTorch golden configuration through every path: the fused layer on the Vector API
 * kernels, the fused layer on the naive kernels, and the textbook layer on the naive kernels.
 * Forward within 1e-5 and every gradient within 1e-4 (relative L2, float32 against float64).
 */
class RecurrentGoldenTest {
    static final double FORWARD_TOLERANCE = 1e-5;
    static final double GRADIENT_TOLERANCE = 1e-4;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (GoldenFixture f : GoldenFixture.all()) {
            cases.add(Arguments.of(f, "vector", RecurrentExecution.FUSED));
            cases.add(Arguments.of(f, "naive", RecurrentExecution.FUSED));
            cases.add(Arguments.of(f, "naive", RecurrentExecution.TEXTBOOK));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesPyTorch(GoldenFixture fixture, String kernelsName, RecurrentExecution algorithm) throws Exception {
        SafeTensorsFile f = fixture.file();
        Kernels kernels = KernelProvider.byName(kernelsName);
        try (Recurrent model = RecurrentStateDict.load(f, "param.", null, false);
             Graph g = Graph.training(kernels)) {
            assertThat(model.config().mode().id()).isEqualTo(fixture.meta("mode"));
            assertThat(model.config().batchFirst()).isEqualTo(fixture.flag("batch_first"));
            Var input = g.variable(f.readFloat("in.input", g.arena()));
            int[] lengths = f.contains("in.lengths") ? toInts(f.readLongs("in.lengths")) : null;
            Var h0 = f.contains("in.h0") ? g.variable(f.readFloat("in.h0", g.arena())) : null;
            Var c0 = f.contains("in.c0") ? g.variable(f.readFloat("in.c0", g.arena())) : null;

            Recurrent.Output out = model.forward(g, input, lengths, h0, c0, algorithm);

            List<String> failures = new ArrayList<>();
            check(failures, "output", out.output().value(), f.readDoubles("out.output"), FORWARD_TOLERANCE);
            check(failures, "h_n", out.hN().value(), f.readDoubles("out.h_n"), FORWARD_TOLERANCE);
            if (out.cN() != null) check(failures, "c_n", out.cN().value(), f.readDoubles("out.c_n"), FORWARD_TOLERANCE);

            List<Var> outs = new ArrayList<>(List.of(out.output(), out.hN()));
            List<Tensor> seeds = new ArrayList<>(List.of(f.readFloat("dy.output", g.arena()), f.readFloat("dy.h_n", g.arena())));
            if (out.cN() != null) {
                outs.add(out.cN());
                seeds.add(f.readFloat("dy.c_n", g.arena()));
            }
            g.backward(outs.toArray(Var[]::new), seeds.toArray(Tensor[]::new));

            check(failures, "grad.input", input.grad(), f.readDoubles("out.grad.input"), GRADIENT_TOLERANCE);
            if (h0 != null) check(failures, "grad.h0", h0.grad(), f.readDoubles("out.grad.h0"), GRADIENT_TOLERANCE);
            if (c0 != null) check(failures, "grad.c0", c0.grad(), f.readDoubles("out.grad.c0"), GRADIENT_TOLERANCE);
            for (Parameter p : model.parameters()) {
                check(failures, "grad." + p.name(), p.grad(), f.readDoubles("out.grad." + p.name()), GRADIENT_TOLERANCE);
            }
            assertThat(failures).as(fixture + " on " + kernelsName + "/" + algorithm).isEmpty();
        }
    }

    private static void check(List<String> failures, String what, Tensor actual, double[] expected, double tolerance) {
        double err = l2(actual.toArray(), expected);
        if (!(err <= tolerance)) {
            failures.add(what + ": relative L2 error " + err + " > " + tolerance);
        }
    }

    static int[] toInts(long[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Math.toIntExact(values[i]);
        return out;
    }
}
