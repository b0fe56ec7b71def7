package dev.recur.engine.train;

import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Collectors;

import static dev.recur.engine.tensor.RelativeError.l2;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every optimizer configuration against torch.optim: the same initial parameters and the same
 * 10 gradients; every parameter after every step within 1e-5 relative L2 error of torch's, and the
 * final state dict holding torch's keys with torch's values. Beyond the tolerance, every float is
 * also required to be torch's bit for bit, the claim of {@link TorchOps} (should fixtures made on
 * a platform whose torch rounds differently break only that, the tolerance still stands).
 */
class OptimizerGoldenTest {
    static final double TOLERANCE = 1e-5;
    /** Worst relative error per configuration, printed after the run. */
    private static final Map<String, Double> WORST = new ConcurrentSkipListMap<>();

    static List<OptimizerGoldenFixture> optimizers() {
        return OptimizerGoldenFixture.ofKind("optimizer");
    }

    /** The optimizer the fixture describes: Recur's defaults when torch's were used, else the recorded arguments. */
    static Optimizer build(OptimizerGoldenFixture g, List<Parameter> parameters) {
        assertThat(g.hyperFlag("maximize")).as("maximize is not supported").isFalse();
        boolean defaults = Boolean.parseBoolean(g.meta("uses_defaults"));
        return switch (g.meta("optimizer")) {
            case "SGD" -> {
                var recorded = new SGD.Options(g.hyper("lr"), g.hyper("momentum"), g.hyper("dampening"),
                        g.hyper("weight_decay"), g.hyperFlag("nesterov"));
                if (defaults) assertThat(SGD.Options.defaults()).isEqualTo(recorded);
                yield new SGD(parameters, defaults ? SGD.Options.defaults() : recorded);
            }
            case "RMSprop" -> {
                var recorded = new RMSprop.Options(g.hyper("lr"), g.hyper("alpha"), g.hyper("eps"),
                        g.hyper("weight_decay"), g.hyper("momentum"), g.hyperFlag("centered"));
                if (defaults) assertThat(RMSprop.Options.defaults()).isEqualTo(recorded);
                yield new RMSprop(parameters, defaults ? RMSprop.Options.defaults() : recorded);
            }
            case "Adam" -> {
                var recorded = new Adam.Options(g.hyper("lr"), g.hyper("beta1"), g.hyper("beta2"), g.hyper("eps"),
                        g.hyper("weight_decay"), g.hyperFlag("amsgrad"), g.hyperFlag("decoupled_weight_decay"));
                if (defaults) assertThat(Adam.Options.defaults()).isEqualTo(recorded);
                yield new Adam(parameters, defaults ? Adam.Options.defaults() : recorded);
            }
            case "AdamW" -> {
                assertThat(g.hyperFlag("decoupled_weight_decay")).isTrue();
                var recorded = new AdamW.Options(g.hyper("lr"), g.hyper("beta1"), g.hyper("beta2"), g.hyper("eps"),
                        g.hyper("weight_decay"), g.hyperFlag("amsgrad"));
                if (defaults) assertThat(AdamW.Options.defaults()).isEqualTo(recorded);
                yield new AdamW(parameters, defaults ? AdamW.Options.defaults() : recorded);
            }
            default -> throw new IllegalStateException("unknown optimizer " + g.meta("optimizer"));
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizers")
    void matchesTorchStepForStep(OptimizerGoldenFixture g) throws Exception {
        SafeTensorsFile f = g.file();
        int steps = Integer.parseInt(g.meta("steps"));
        List<String> failures = new ArrayList<>();
        List<String> notBitwise = new ArrayList<>();
        double worst = 0;
        try (TensorArena arena = TensorArena.open("optimizer golden " + g.name())) {
            List<Parameter> parameters = g.parameters("param.", arena);
            try (Optimizer optimizer = build(g, parameters)) {
                assertThat(optimizer.kind()).isEqualTo(g.meta("optimizer"));
                for (int step = 0; step < steps; step++) {
                    for (Parameter p : parameters) {
                        p.grad().copyFrom(f.readFloat("grad." + step + "." + p.name(), arena));
                    }
                    optimizer.step();
                    for (Parameter p : parameters) {
                        String key = "expected." + step + "." + p.name();
                        double err = l2(p.value().toArray(), f.readDoubles(key));
                        worst = Math.max(worst, err);
                        if (!(err <= TOLERANCE)) {
                            failures.add("step " + step + " " + p.name() + ": relative L2 error " + err);
                        }
                        if (!Arrays.equals(p.value().toArray(), f.readFloat(key, arena).toArray())) {
                            notBitwise.add(key);
                        }
                    }
                }

                Map<String, Tensor> state = optimizer.stateDict();
                Set<String> torchKeys = f.names().stream().filter(n -> n.startsWith("state."))
                        .collect(Collectors.toCollection(TreeSet::new));
                assertThat(new TreeSet<>(state.keySet())).as("state keys").isEqualTo(torchKeys);
                for (String key : torchKeys) {
                    Tensor mine = state.get(key);
                    assertThat(mine.shape()).as(key + " shape").isEqualTo(f.shape(key));
                    double err = l2(mine.toArray(), f.readDoubles(key));
                    worst = Math.max(worst, err);
                    if (!(err <= TOLERANCE)) {
                        failures.add(key + ": relative L2 error " + err);
                    }
                    if (!Arrays.equals(mine.toArray(), f.readFloat(key, arena).toArray())) {
                        notBitwise.add(key);
                    }
                }
            }
        }
        WORST.put(g.name(), worst);
        assertThat(failures).as(g.name()).isEmpty();
        assertThat(notBitwise).as(g.name() + ": within tolerance but not torch's floats bit for bit").isEmpty();
    }

    @AfterAll
    static void report() {
        WORST.forEach((name, err) -> System.out.printf("%-42s worst relative L2 error %.3e%n", name, err));
    }
}
