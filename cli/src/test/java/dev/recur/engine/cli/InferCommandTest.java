package dev.recur.engine.cli;

import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.GoldenFixture;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.recur.engine.cli.CliRun.recur;
import static dev.recur.engine.tensor.RelativeError.l2;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recur infer} end to end: every PyTorch golden configuration is split into the files a
 * user would have (weights, input, grad-output), run through the command line, and the output
 * file compared with PyTorch's float64 results; then each kind of bad input.
 */
class InferCommandTest {
    @TempDir
    Path dir;

    static List<GoldenFixture> fixtures() {
        return GoldenFixture.all();
    }

    /** Copies the tensors under {@code prefix} (prefix removed) into a new file, with the given metadata. */
    static Path split(SafeTensorsFile f, String prefix, Path target, TensorArena arena, boolean withMeta,
                      GoldenFixture fixture) throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (String name : f.names()) {
            if (!name.startsWith(prefix)) continue;
            String key = name.substring(prefix.length());
            if (f.dtype(name).startsWith("I")) w.putI64(key, f.readLongs(name), f.shape(name));
            else w.put(key, f.readFloat(name, arena));
        }
        if (withMeta) {
            w.metadata("mode", fixture.meta("mode"));
            w.metadata("batch_first", fixture.meta("batch_first"));
        }
        w.write(target);
        return target;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void reproducesPyTorch(GoldenFixture fixture) throws IOException {
        SafeTensorsFile f = fixture.file();
        try (TensorArena arena = TensorArena.open("split")) {
            // Half the configurations name mode and batch_first by flags instead of metadata.
            boolean viaMetadata = fixture.name().hashCode() % 2 == 0;
            Path weights = split(f, "param.", dir.resolve("w.safetensors"), arena, viaMetadata, fixture);
            Path input = split(f, "in.", dir.resolve("in.safetensors"), arena, false, fixture);
            Path dy = split(f, "dy.", dir.resolve("dy.safetensors"), arena, false, fixture);
            Path out = dir.resolve("out.safetensors");
            List<String> args = new ArrayList<>(List.of("infer", "--weights", weights.toString(), "--input", input.toString(),
                    "--output", out.toString(), "--grad-output", dy.toString()));
            if (!viaMetadata) {
                args.addAll(List.of("--mode", fixture.meta("mode")));
                if (fixture.flag("batch_first")) args.add("--batch-first");
            }
            // A third of the configurations run on the reference path (naive kernels, textbook layer).
            if (Math.floorMod(fixture.name().hashCode(), 3) == 0) args.addAll(List.of("--kernels", "naive"));
            CliRun run = recur(args.toArray(String[]::new));
            assertThat(run.exit()).as(run.err()).isZero();

            SafeTensorsFile result = SafeTensorsFile.read(out);
            List<String> failures = new ArrayList<>();
            for (String name : f.names()) {
                if (!name.startsWith("out.")) continue;
                String key = name.substring(4);
                double tolerance = key.startsWith("grad.") ? 1e-4 : 1e-5;
                if (!result.contains(key)) {
                    failures.add(key + " missing");
                    continue;
                }
                Tensor actual = result.readFloat(key, arena);
                double err = l2(actual.toArray(), f.readDoubles(name));
                if (!(err <= tolerance)) failures.add(key + ": " + err);
            }
            assertThat(failures).isEmpty();

            // Without --grad-output: the same forward results and no gradients.
            Path fwd = dir.resolve("fwd.safetensors");
            args.subList(args.indexOf("--grad-output"), args.indexOf("--grad-output") + 2).clear();
            args.set(args.indexOf(out.toString()), fwd.toString());
            assertThat(recur(args.toArray(String[]::new)).exit()).isZero();
            SafeTensorsFile forward = SafeTensorsFile.read(fwd);
            assertThat(forward.names().stream().noneMatch(n -> n.startsWith("grad."))).isTrue();
            float[] fp32 = forward.readFloat("output", arena).toArray();
            assertThat(l2(fp32, f.readDoubles("out.output"))).isLessThanOrEqualTo(1e-5);

            // bf16 weights: close to PyTorch (bf16 keeps 8 bits of each weight), not fp32's result.
            Path bf16 = dir.resolve("bf16.safetensors");
            args.set(args.indexOf(fwd.toString()), bf16.toString());
            args.addAll(List.of("--weight-precision", "bf16"));
            CliRun bf16Run = recur(args.toArray(String[]::new));
            assertThat(bf16Run.exit()).as(bf16Run.err()).isZero();
            float[] rounded = SafeTensorsFile.read(bf16).readFloat("output", arena).toArray();
            assertThat(l2(rounded, f.readDoubles("out.output"))).isLessThanOrEqualTo(1e-2);
            assertThat(rounded).isNotEqualTo(fp32);
        }
    }

    // ---- bad input: one line naming the file and key, exit 2, no output file ----------------------

    private Path lstmWeights(TensorArena a) throws IOException {
        return new SafeTensorsWriter()
                .put("weight_ih_l0", a.zeros(8, 3)).put("weight_hh_l0", a.zeros(8, 2))
                .put("bias_ih_l0", a.zeros(8)).put("bias_hh_l0", a.zeros(8))
                .write(dir.resolve("w.safetensors"));
    }

    private CliRun expectBadInput(Path weights, Path input, Path dy, String... mustMention) {
        Path out = dir.resolve("never.safetensors");
        List<String> args = new ArrayList<>(List.of("infer", "--weights", weights.toString(), "--input", input.toString(),
                "--output", out.toString()));
        if (dy != null) args.addAll(List.of("--grad-output", dy.toString()));
        CliRun run = recur(args.toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).doesNotContain("\n").doesNotContain("Exception").doesNotContain("\tat ");
        for (String s : mustMention) assertThat(run.err()).contains(s);
        assertThat(out).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("never"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return run;
    }

    @Test
    void rejectsBadInputsWithOneLine() throws IOException {
        try (TensorArena a = TensorArena.open("bad")) {
            Path w = lstmWeights(a);
            Path good = new SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).write(dir.resolve("in.safetensors"));
            assertThat(recur("infer", "--weights", w.toString(), "--input", good.toString(), "--output",
                    dir.resolve("ok.safetensors").toString()).exit()).isZero();

            // lengths out of 1..T, wrong dtype, wrong shape
            Path lengths0 = new SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).putI64("lengths", new long[]{0, 4}, 2)
                    .write(dir.resolve("l0.safetensors"));
            expectBadInput(w, lengths0, null, "l0.safetensors", "lengths", "1..4");
            Path lengths5 = new SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).putI64("lengths", new long[]{5, 4}, 2)
                    .write(dir.resolve("l5.safetensors"));
            expectBadInput(w, lengths5, null, "l5.safetensors", "lengths");
            Path lengthsF = new SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).put("lengths", a.zeros(2))
                    .write(dir.resolve("lf.safetensors"));
            expectBadInput(w, lengthsF, null, "lf.safetensors", "lengths", "I64");
            // wrong input feature size, unexpected key, wrong h0 shape, c0 for gru-less... 
            Path wide = new SafeTensorsWriter().put("input", a.zeros(4, 2, 5)).write(dir.resolve("wide.safetensors"));
            expectBadInput(w, wide, null, "wide.safetensors", "input", "input_size 3");
            Path extra = new SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).put("bogus", a.zeros(1))
                    .write(dir.resolve("extra.safetensors"));
            expectBadInput(w, extra, null, "extra.safetensors", "bogus", "unexpected");
            Path badH0 = new SafeTensorsWriter().put("input", a.zeros(4, 2, 3)).put("h0", a.zeros(1, 3, 2))
                    .write(dir.resolve("h0.safetensors"));
            expectBadInput(w, badH0, null, "h0.safetensors", "h0", "[1, 2, 2]");
            // grad-output of the wrong shape
            Path dy = new SafeTensorsWriter().put("output", a.zeros(4, 2, 3)).write(dir.resolve("dy.safetensors"));
            expectBadInput(w, good, dy, "dy.safetensors", "output");

            // weights: wrong parameter shape, missing key, unexpected key, gate count vs mode
            Path wShape = new SafeTensorsWriter()
                    .put("weight_ih_l0", a.zeros(8, 3)).put("weight_hh_l0", a.zeros(8, 2))
                    .put("bias_ih_l0", a.zeros(7)).put("bias_hh_l0", a.zeros(8)).write(dir.resolve("wshape.safetensors"));
            expectBadInput(wShape, good, null, "wshape.safetensors", "bias_ih_l0", "[8]");
            Path wMissing = new SafeTensorsWriter()
                    .put("weight_ih_l0", a.zeros(8, 3)).put("weight_hh_l0", a.zeros(8, 2))
                    .put("bias_ih_l0", a.zeros(8)).write(dir.resolve("wmissing.safetensors"));
            expectBadInput(wMissing, good, null, "wmissing.safetensors", "bias_hh_l0", "missing");
            Path wExtra = new SafeTensorsWriter()
                    .put("weight_ih_l0", a.zeros(8, 3)).put("weight_hh_l0", a.zeros(8, 2))
                    .put("bias_ih_l0", a.zeros(8)).put("bias_hh_l0", a.zeros(8)).put("fc.weight", a.zeros(2, 2))
                    .write(dir.resolve("wextra.safetensors"));
            expectBadInput(wExtra, good, null, "wextra.safetensors", "fc.weight");
            Path wMode = new SafeTensorsWriter()
                    .put("weight_ih_l0", a.zeros(8, 3)).put("weight_hh_l0", a.zeros(8, 2))
                    .metadata("mode", "gru").write(dir.resolve("wmode.safetensors"));
            expectBadInput(wMode, good, null, "wmode.safetensors", "gru");

            // truncated weights file
            Path truncated = dir.resolve("trunc.safetensors");
            byte[] bytes = Files.readAllBytes(w);
            Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 5));
            expectBadInput(truncated, good, null, "trunc.safetensors");
            // missing file
            expectBadInput(dir.resolve("absent.safetensors"), good, null, "absent.safetensors");

            // bf16 weights: an unknown precision; gradients, which need fp32 weights
            Path out = dir.resolve("never.safetensors");
            for (String[] args : List.of(
                    new String[]{"--weight-precision", "fp8"},
                    new String[]{"--weight-precision", "bf16", "--grad-output", dy.toString()})) {
                List<String> line = new ArrayList<>(List.of("infer", "--weights", w.toString(), "--input", good.toString(),
                        "--output", out.toString()));
                line.addAll(List.of(args));
                CliRun run = recur(line.toArray(String[]::new));
                assertThat(run.exit()).isEqualTo(2);
                assertThat(run.err().strip()).doesNotContain("\n").startsWith("recur").contains("--weight-precision");
                assertThat(out).doesNotExist();
            }
        }
    }

    @Test
    void cudaDeviceFailsWithOneLineAndExitTwo() {
        CliRun run = recur("demo", "--device", "cuda");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().strip()).contains("cuda").doesNotContain("\n");
    }
}
