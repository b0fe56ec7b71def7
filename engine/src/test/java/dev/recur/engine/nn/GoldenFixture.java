package dev.recur.engine.nn;

import dev.recur.engine.io.SafeTensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A PyTorch golden file from engine/src/test/resources/golden (made by
 * engine/src/test/python/make_rnn_golden.py): parameters under {@code param.}, inputs under
 * {@code in.}, upstream gradients under {@code dy.}, float64 results under {@code out.}.
 */
public record GoldenFixture(String name, Path path, SafeTensorsFile file) {
    /**
     * The folder of golden files, for tests outside this module (the CLI's), which see this one's
     * test classes packed in a jar; without it, the test classpath's /golden.
     */
    public static final String DIRECTORY_PROPERTY = "recur.golden.dir";

    public static List<GoldenFixture> all() {
        try {
            String configured = System.getProperty(DIRECTORY_PROPERTY);
            Path dir = configured != null ? Path.of(configured) : Path.of(GoldenFixture.class.getResource("/golden").toURI());
            try (Stream<Path> files = Files.list(dir)) {
                return files.filter(p -> p.toString().endsWith(".safetensors")).sorted()
                        .map(GoldenFixture::open).toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static GoldenFixture open(Path p) {
        try {
            String n = p.getFileName().toString().replace(".safetensors", "");
            return new GoldenFixture(n, p, SafeTensorsFile.read(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String meta(String key) {
        return file.metadata().get(key);
    }

    public boolean flag(String key) {
        return "true".equals(meta(key));
    }

    @Override
    public String toString() {
        return name;
    }
}
