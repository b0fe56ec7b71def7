package dev.recur.bindings.generator;

import dev.recur.bindings.WheelCublas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed bindings are what the generator makes from the lists and the headers on this
 * machine: regenerated into a temporary folder and compared byte for byte. Skipped, saying why,
 * where a header is missing or is another version than the one the sources were generated from.
 */
class BindingDriftTest {
    private static final Path COMMITTED = Path.of("src/main/java");

    private static Path cudaInclude() {
        return Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "include");
    }

    @Test
    void cudaDriverBindingsMatchCudaH(@TempDir Path out) throws IOException {
        assumeTrue(Files.isRegularFile(cudaInclude().resolve("cuda.h")), "no cuda.h in " + cudaInclude() + " (set CUDA_HOME)");
        assertNoDrift("functions/cuda.txt", List.of(cudaInclude()), out);
    }

    @Test
    void cublasBindingsMatchTheWheelsHeaders(@TempDir Path out) throws IOException {
        WheelCublas.assumeHeaders();
        assumeTrue(Files.isRegularFile(cudaInclude().resolve("library_types.h")),
                "no library_types.h in " + cudaInclude() + " (the CUDA toolkit's headers; set CUDA_HOME)");
        assertNoDrift("functions/cublas.txt", List.of(cudaInclude(), WheelCublas.home().resolve("include")), out);
    }

    private static void assertNoDrift(String list, List<Path> includes, Path out) throws IOException {
        List<String> args = new ArrayList<>();
        for (Path include : includes) args.addAll(List.of("--include", include.toString()));
        args.addAll(List.of("--out", out.toString(), list));
        BindingGenerator.main(args.toArray(String[]::new));
        Path relative;
        try (var files = Files.walk(out)) {
            relative = out.relativize(files.filter(Files::isRegularFile).findFirst().orElseThrow());
        }
        Path committedFile = COMMITTED.resolve(relative);
        if (Files.exists(committedFile) && Files.mismatch(out.resolve(relative), committedFile) == -1) return;
        List<String> regenerated = Files.readAllLines(out.resolve(relative));
        List<String> committed = Files.exists(committedFile) ? Files.readAllLines(committedFile) : List.of();
        int line = 0;
        while (line < Math.min(regenerated.size(), committed.size()) && regenerated.get(line).equals(committed.get(line))) line++;
        String were = line < committed.size() ? committed.get(line) : "(end of file)";
        String now = line < regenerated.size() ? regenerated.get(line) : "(end of file)";
        if (were.startsWith("// and the headers ") && now.startsWith("// and the headers ")) {
            abort("bindings/src/main/java/" + relative + " was generated from other header versions than this machine's: "
                    + were.substring(3) + " vs " + now.substring(3) + "; regenerate deliberately with "
                    + BindingGenerator.REGENERATE_COMMAND + " to move to these");
        }
        fail("bindings/src/main/java/" + relative + " differs from what bindings/" + list + " and the headers in " + includes
                + " generate (first at line " + (line + 1) + ": committed '" + were + "', generated '" + now + "'); run "
                + BindingGenerator.REGENERATE_COMMAND + " and commit the result");
    }
}
