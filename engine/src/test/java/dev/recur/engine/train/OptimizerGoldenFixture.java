package dev.recur.engine.train;

import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A torch.optim golden file from engine/src/test/resources/golden/optim (made by
 * engine/src/test/python/make_optimizer_golden.py; key scheme in that directory's README.md).
 */
record OptimizerGoldenFixture(String name, SafeTensorsFile file) {
    static final String FORMAT = "recur-optim-golden-v1";

    /** Every file whose metadata {@code kind} is {@code kind} (optimizer, clip, schedule). */
    static List<OptimizerGoldenFixture> ofKind(String kind) {
        try {
            Path dir = Path.of(OptimizerGoldenFixture.class.getResource("/golden/optim").toURI());
            List<OptimizerGoldenFixture> out = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList()) {
                    SafeTensorsFile file = SafeTensorsFile.read(p);
                    if (!FORMAT.equals(file.metadata().get("format"))) {
                        throw new IllegalStateException(p + " is not " + FORMAT);
                    }
                    if (kind.equals(file.metadata().get("kind"))) {
                        out.add(new OptimizerGoldenFixture(p.getFileName().toString().replace(".safetensors", ""), file));
                    }
                }
            }
            if (out.isEmpty()) {
                throw new IllegalStateException("no golden files of kind " + kind + " in " + dir);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    String meta(String key) {
        String value = file.metadata().get(key);
        if (value == null) {
            throw new IllegalStateException(name + " has no metadata " + key);
        }
        return value;
    }

    double hyper(String key) {
        return Double.parseDouble(meta("hyper." + key));
    }

    int hyperInt(String key) {
        return Integer.parseInt(meta("hyper." + key));
    }

    boolean hyperFlag(String key) {
        return Boolean.parseBoolean(meta("hyper." + key));
    }

    List<String> parameterNames() {
        return List.of(meta("parameters").split(","));
    }

    /** The parameters with values read from {@code <prefix><name>} and zero gradients, in {@code arena}. */
    List<Parameter> parameters(String prefix, TensorArena arena) throws IOException {
        List<Parameter> out = new ArrayList<>();
        for (String n : parameterNames()) {
            var value = file.readFloat(prefix + n, arena);
            out.add(new Parameter(n, value, arena.zeros(value.shape())));
        }
        return out;
    }

    @Override
    public String toString() {
        return name;
    }
}
