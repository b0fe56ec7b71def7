package dev.recur.engine.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.backend.cpu.CpuParallel;
import dev.recur.engine.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** {@code recur bench} end to end on tiny shapes with the quick timing rule, and each kind of bad argument. */
class BenchCommandTest {
    /**
     * The project's peer venv (Surefire runs in the module's folder, one below the project root),
     * where a developer has one; CI has none, and the peer tests skip.
     */
    static final Path PEER_PYTHON = Path.of("").toAbsolutePath().getParent().resolve(".venv-peer/bin/python");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A bad argument: exit 2, one line on stderr that contains {@code expected}, nothing on stdout. */
    static void assertUsageError(CliRun run, String... expected) {
        assertThat(run.exit()).as(run.err()).isEqualTo(2);
        assertThat(run.err().strip().lines()).hasSize(1);
        assertThat(run.err()).contains(expected);
        assertThat(run.out()).isEmpty();
    }

    /** The GPU path of bench under the emulation test hook: it runs and reports; its figures mean nothing about a GPU. */
    @Test
    void deviceCudaUnderEmulationTimesTheGpuLayer() throws IOException {
        Path json = dir.resolve("gpu.json");
        System.setProperty(dev.recur.engine.cli.DeviceOption.EMULATE_PROPERTY, "true");
        CliRun run;
        try {
            run = recur("bench", "--device", "cuda", "--cell", "lstm", "--batch", "3", "--seq", "5", "--input", "3",
                    "--hidden", "4", "--layers", "2", "--bidirectional", "--mode", "training", "--quick", "--json", json.toString());
            assertUsageError(recur("bench", "--device", "cuda", "--peer", "torch,ort"),
                    "beside --device cuda only torch, torch-bf16 and torch-host run");
        } finally {
            System.clearProperty(dev.recur.engine.cli.DeviceOption.EMULATE_PROPERTY);
        }
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("emulated GPU", "lstm", "training");
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.get("median_ms").asDouble()).isPositive();
        assertThat(root.at("/machine/kernels").asText()).startsWith("emulated GPU");
    }

    @Test
    void singleShapeWritesOneObjectWithRecursMedianAtTheTop() throws IOException {
        Path json = dir.resolve("one.json");
        CliRun run = recur("bench", "--cell", "gru", "--batch", "2", "--seq", "3", "--input", "4", "--hidden", "8",
                "--mode", "training", "--quick", "--json", json.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("gru", "training", "recur ms", "GFLOP/s").doesNotContain("torch");
        assertThat(run.err()).contains("bench [1/1] gru training B=2 T=3 I=4 H=8 L=1 uni: recur");

        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.get("median_ms").asDouble()).isPositive();
        assertThat(root.get("median_ms").asDouble()).isEqualTo(root.at("/recur/median_ms").asDouble());
        assertThat(root.at("/recur/samples").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(root.at("/recur/min_ms").asDouble()).isLessThanOrEqualTo(root.at("/recur/max_ms").asDouble());
        assertThat(root.at("/config/cell").asText()).isEqualTo("gru");
        assertThat(root.at("/config/mode").asText()).isEqualTo("training");
        // 3 · 2·3·8·(4+8)·2·3
        assertThat(root.get("flops").asLong()).isEqualTo(3L * 2 * 3 * 8 * 12 * 2 * 3);
        assertThat(root.get("torch").isNull()).isTrue();
        assertThat(root.get("ort").isNull()).isTrue();
        assertThat(root.get("best_peer_ratio").isNull()).isTrue();
        assertThat(root.get("command").asText()).startsWith("recur bench --cell gru");
        assertThat(root.at("/machine/cores").asInt()).isPositive();
        assertThat(root.at("/machine/vector_bits").asInt()).isPositive();
        assertThat(root.at("/machine/threads").asInt()).isEqualTo(CpuParallel.threads());
        assertThat(root.at("/machine/kernels").asText()).isEqualTo("vector");
        assertThat(root.at("/machine").has("gpu")).isTrue();
        assertThat(root.at("/machine/torch_version").isNull()).isTrue();
        assertThat(root.get("date").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(dir).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void suiteWritesEveryShapeAndModeNarrowsIt() throws IOException {
        Path json = dir.resolve("suite.json");
        CliRun run = recur("bench", "--suite", "smoke", "--mode", "inference", "--quick", "--json", json.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.get("suite").asText()).isEqualTo("smoke");
        assertThat(root.get("mode_filter").asText()).isEqualTo("inference");
        JsonNode results = root.get("results");
        long entries = BenchSuite.SMOKE.shapes().stream().filter(s -> s.mode() == BenchShape.Mode.INFERENCE).count();
        assertThat(results).hasSize((int) entries);
        for (JsonNode r : results) {
            assertThat(r.at("/config/mode").asText()).isEqualTo("inference");
            assertThat(r.at("/recur/median_ms").asDouble()).isPositive();
            assertThat(r.at("/recur/gflops").asDouble()).isPositive();
            assertThat(r.get("flops").asLong()).isPositive();
            assertThat(r.get("torch").isNull()).isTrue();
        }
        assertThat(run.err().lines().filter(l -> l.startsWith("bench ["))).hasSize((int) entries);
    }

    /** bf16 weights run a suite's inference shapes only (training needs fp32) and say so in the report. */
    @Test
    void bf16WeightsTimeTheInferenceShapesOfASuite() throws IOException {
        Path json = dir.resolve("bf16.json");
        CliRun run = recur("bench", "--suite", "smoke", "--weight-precision", "bf16", "--quick", "--json", json.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("(fused-bf16)");
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.at("/machine/algorithm").asText()).isEqualTo("fused-bf16");
        long inference = BenchSuite.SMOKE.shapes().stream().filter(s -> s.mode() == BenchShape.Mode.INFERENCE).count();
        assertThat(root.get("results")).hasSize((int) inference);
        for (JsonNode r : root.get("results")) {
            assertThat(r.at("/config/mode").asText()).isEqualTo("inference");
            assertThat(r.at("/recur/median_ms").asDouble()).isPositive();
        }
    }

    @Test
    void dryRunListsAGpuSuiteAndItsEstimateWithoutRunning() {
        CliRun run = recur("bench", "--suite", "deepbench-gpu", "--dry-run");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("lstm training B=128 T=25 I=4096 H=4096", "gru inference B=4 T=1500 I=2816 H=2816")
                .contains(BenchSuite.DEEPBENCH_GPU.shapes().size() + " shapes, about");
    }

    @Test
    void badArgumentsGiveOneLineAndExitCodeTwo() {
        assertUsageError(recur("bench", "--cell", "transformer"), "--cell 'transformer' is unknown");
        assertUsageError(recur("bench", "--mode", "serving"), "--mode 'serving' is unknown");
        assertUsageError(recur("bench", "--batch", "0"), "--batch must be at least 1");
        assertUsageError(recur("bench", "--suite", "mlperf"), "--suite 'mlperf' is unknown", "deepbench-cpu");
        assertUsageError(recur("bench", "--suite", "smoke", "--batch", "4", "--bidirectional"),
                "drop --batch, --bidirectional");
        assertUsageError(recur("bench", "--suite", "smoke", "--mode", "inference", "--png", dir.resolve("x.png").toString()),
                "--png", "needs --peer torch");
        assertUsageError(recur("bench", "--png", dir.resolve("x.png").toString()), "needs --peer torch");
        assertUsageError(recur("bench", "--peer", "tensorflow"), "--peer 'tensorflow' is unknown");
        assertUsageError(recur("bench", "--peer", "torch,torch"), "--peer 'torch,torch' is unknown",
                "expected torch, ort, torch-int8, torch-bf16, torch-host or a list of them");
        assertUsageError(recur("bench", "--peer", "torch,"), "--peer 'torch,' is unknown");
        assertUsageError(recur("bench", "--peer", "torch-bf16"), "--peer torch-bf16 runs beside --device cuda only");
        assertUsageError(recur("bench", "--peer", "torch-host"), "--peer torch-host runs beside --device cuda only");
        assertUsageError(recur("bench", "--suite", "deepbench-gpu"), "needs --device cuda");
        assertUsageError(recur("bench", "--device", "cuda"), "--device cuda is not usable");
        assertUsageError(recur("bench", "--kernels", "blas", "--batch", "1", "--seq", "1", "--input", "1", "--hidden", "1"),
                "--kernels 'blas' is unknown");
        assertUsageError(recur("bench", "--json", dir.resolve("missing/x.json").toString()), "--json", "does not exist");
        assertUsageError(recur("bench", "--weight-precision", "fp16"), "--weight-precision 'fp16' is unknown",
                "expected fp32 or bf16");
        assertUsageError(recur("bench", "--weight-precision", "bf16", "--mode", "training"),
                "--weight-precision bf16 is for CPU inference only, not with --mode training");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void threadsThatCannotTakeEffectAreRefused() {
        int inForce = CpuParallel.threads();
        assertUsageError(recur("bench", "--threads", Integer.toString(inForce + 1), "--batch", "1"),
                "--threads " + (inForce + 1) + " cannot take effect", "started with " + inForce);
        assertThat(System.getProperty("recur.threads")).isNotEqualTo(Integer.toString(inForce + 1));
    }

    @Test
    void peerWithAMissingPythonSaysWhichPythonAndHowToInstall() {
        String missing = dir.resolve("no-such-python").toString();
        CliRun run = recur("bench", "--batch", "1", "--seq", "1", "--input", "1", "--hidden", "1", "--quick",
                "--peer", "torch", "--python", missing, "--json", dir.resolve("x.json").toString());
        assertUsageError(run, "--peer torch: cannot run Python " + missing + " (from --python)",
                "python3 -m venv .venv-peer && .venv-peer/bin/pip install 'torch==2.13.0+cpu' onnx onnxruntime");
        assertThat(dir.resolve("x.json")).doesNotExist();
    }

    @Test
    void peerWithAPythonWithoutTorchSaysSo() throws Exception {
        Process p = new ProcessBuilder("python3", "-c", "import torch").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assumeThat(p.waitFor()).as("python3 without torch").isNotZero();
        CliRun run = recur("bench", "--batch", "1", "--seq", "1", "--input", "1", "--hidden", "1", "--quick",
                "--peer", "torch", "--python", "python3");
        assertUsageError(run, "PyTorch is not importable by python3 (from --python)", "No module named 'torch'",
                "pip install");
    }

    @Test
    void pythonIsChosenFromFlagThenEnvironmentThenProjectVenvThenPath() throws IOException {
        Path venvPython = Files.createDirectories(dir.resolve(".venv-peer/bin")).resolve("python");
        Files.writeString(venvPython, "#!/bin/sh\n");
        assertThat(venvPython.toFile().setExecutable(true)).isTrue();
        String home = dir.toString();
        assertThat(PythonPeer.resolvePython("/x/python", Map.of("RECUR_PYTHON", "/y/python"), home).executable())
                .isEqualTo("/x/python");
        assertThat(PythonPeer.resolvePython(null, Map.of("RECUR_PYTHON", "/y/python"), home).executable())
                .isEqualTo("/y/python");
        assertThat(PythonPeer.resolvePython(null, Map.of(), home).executable()).isEqualTo(venvPython.toString());
        assertThat(PythonPeer.resolvePython(null, Map.of("RECUR_HOME", home), null).executable())
                .isEqualTo(venvPython.toString());
        assertThat(PythonPeer.resolvePython(null, Map.of(), dir.resolve("elsewhere").toString()).executable())
                .isEqualTo("python3");
    }

    /**
     * PyTorch beside {@code --device cuda} (here the emulated device): fp32 and bf16 on GPU 0 where
     * PyTorch sees one, else each refused with the reason, in the table and the JSON.
     */
    @Test
    void peerTorchBesideDeviceCudaRunsOnTheGpuOrSaysWhyNot() throws IOException {
        assumeThat(Files.isExecutable(PEER_PYTHON)).as("PyTorch peer at " + PEER_PYTHON).isTrue();
        Path json = dir.resolve("gpu-peer.json");
        System.setProperty(dev.recur.engine.cli.DeviceOption.EMULATE_PROPERTY, "true");
        CliRun run;
        try {
            run = recur("bench", "--device", "cuda", "--cell", "gru", "--batch", "2", "--seq", "3", "--input", "4",
                    "--hidden", "8", "--quick", "--peer", "torch,torch-bf16,torch-host", "--python", PEER_PYTHON.toString(),
                    "--json", json.toString());
        } finally {
            System.clearProperty(dev.recur.engine.cli.DeviceOption.EMULATE_PROPERTY);
        }
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("torch/recur", "torch-bf16/recur");
        JsonNode root = JSON.readTree(json.toFile());
        for (String peer : new String[]{"torch", "torch-bf16", "torch-host"}) {
            JsonNode r = root.get(peer);
            if (r.has("refused")) assertThat(r.get("refused").asText()).as(peer).isEqualTo("PyTorch sees no CUDA device");
            else assertThat(r.get("median_ms").asDouble()).as(peer).isPositive();
        }
    }

    @Test
    void peerTorchTimesTheSameShapeAndChartsTheRatio() throws IOException {
        assumeThat(Files.isExecutable(PEER_PYTHON)).as("PyTorch peer at " + PEER_PYTHON).isTrue();
        Path json = dir.resolve("peer.json"), png = dir.resolve("peer.png");
        CliRun run = recur("bench", "--cell", "lstm", "--batch", "2", "--seq", "3", "--input", "4", "--hidden", "8",
                "--bidirectional", "--layers", "2", "--quick", "--peer", "torch", "--python", PEER_PYTHON.toString(),
                "--json", json.toString(), "--png", png.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("torch ms", "torch/recur");
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.at("/torch/median_ms").asDouble()).isPositive();
        assertThat(root.at("/torch/samples").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(root.at("/torch/ratio").asDouble())
                .isCloseTo(root.at("/torch/median_ms").asDouble() / root.get("median_ms").asDouble(),
                        org.assertj.core.data.Percentage.withPercentage(1e-9));
        assertThat(root.get("best_peer_ratio").asDouble()).isEqualTo(root.at("/torch/ratio").asDouble());
        assertThat(root.get("ort").isNull()).isTrue();
        assertThat(root.at("/machine/torch_version").asText()).startsWith("2.");
        assertThat(root.at("/machine/onnxruntime_version").isNull()).isTrue();
        assertThat(root.at("/machine/peer_threads").asInt()).isEqualTo(CpuParallel.threads());
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
    }

    /**
     * Both peers on a suite: ONNX Runtime times the inference shapes and refuses the training
     * ones with a reason in a footnote, the JSON says which, and the best-peer ratio is the
     * faster peer's.
     */
    @Test
    void peerOrtTimesInferenceAndRefusesTrainingWithAReason() throws IOException {
        assumeThat(Files.isExecutable(PEER_PYTHON)).as("peers at " + PEER_PYTHON).isTrue();
        Path json = dir.resolve("both.json"), png = dir.resolve("both.png");
        CliRun run = recur("bench", "--suite", "smoke", "--quick", "--peer", "torch,ort", "--python",
                PEER_PYTHON.toString(), "--json", json.toString(), "--png", png.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("torch/recur", "ort/recur", "ONNX Runtime 1.", "refused",
                "ort: ONNX Runtime's InferenceSession runs inference only");
        JsonNode root = JSON.readTree(json.toFile());
        assertThat(root.at("/machine/onnxruntime_version").asText()).startsWith("1.");
        int inference = 0, training = 0;
        for (JsonNode r : root.get("results")) {
            if (r.at("/config/mode").asText().equals("inference")) {
                inference++;
                double torch = r.at("/torch/median_ms").asDouble(), ort = r.at("/ort/median_ms").asDouble();
                assertThat(ort).as(r.get("config").toString()).isPositive();
                assertThat(r.get("best_peer_ratio").asDouble())
                        .isCloseTo(Math.min(torch, ort) / r.at("/recur/median_ms").asDouble(),
                                org.assertj.core.data.Percentage.withPercentage(1e-9));
            } else {
                training++;
                assertThat(r.at("/ort/refused").asText()).contains("inference only");
                assertThat(r.get("best_peer_ratio").asDouble()).isEqualTo(r.at("/torch/ratio").asDouble());
            }
        }
        assertThat(inference).isPositive();
        assertThat(training).isPositive();
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G');
    }

    /**
     * PyTorch's int8 LSTM/GRU beside Recur's bf16 weights: timed on LSTM, refused on nn.RNN with a
     * reason, and left out of the best fp32 peer's ratio.
     */
    @Test
    void peerTorchInt8TimesLstmAndRefusesRnnWithAReason() throws IOException {
        assumeThat(Files.isExecutable(PEER_PYTHON)).as("peers at " + PEER_PYTHON).isTrue();
        Path json = dir.resolve("int8.json");
        CliRun run = recur("bench", "--suite", "smoke", "--quick", "--weight-precision", "bf16", "--peer", "torch,torch-int8",
                "--python", PEER_PYTHON.toString(), "--json", json.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("torch-int8/recur", "PyTorch int8 (quantize_dynamic) 2.", "not nn.RNN");
        for (JsonNode r : JSON.readTree(json.toFile()).get("results")) {
            String cell = r.at("/config/cell").asText();
            if (cell.equals("lstm") || cell.equals("gru")) {
                assertThat(r.at("/torch-int8/median_ms").asDouble()).as(cell).isPositive();
            } else {
                assertThat(r.at("/torch-int8/refused").asText()).as(cell).contains("not nn.RNN");
            }
            assertThat(r.get("best_peer_ratio").asDouble()).isEqualTo(r.at("/torch/ratio").asDouble());
        }
    }
}
