package dev.recur.engine.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.io.SafeTensorsWriter;
import dev.recur.engine.nn.Parameter;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.RecurrentExecution;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checkpoints and PyTorch, both ways: a {@code torch.nn.LSTM} state dict saved with safetensors
 * (committed fixture, engine/src/test/python/make_checkpoint_golden.py) loads into Recur and runs
 * to PyTorch's output; a Recur checkpoint's recurrent tensors load with
 * {@code torch.nn.LSTM(...).load_state_dict()} (when a Python with torch is found, else the test is
 * skipped with the reason).
 */
class CheckpointTorchInteropTest {
    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path dir;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(CheckpointTorchInteropTest.class.getResource("/checkpoint/" + name).toURI());
    }

    private static Recurrent.Output run(Graph g, Recurrent model, Tensor input) {
        return model.forward(g, g.constant(input), null, null, null, RecurrentExecution.FUSED);
    }

    @Test
    void pytorchStateDictLoadsAndRunsToPytorchsOutput() throws Exception {
        Path weights = resource("torch_lstm_state_dict.safetensors");
        SafeTensorsFile file = SafeTensorsFile.read(weights);
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, 5, 6).withLayers(2).withBidirectional(true);
        SafeTensorsFile io = SafeTensorsFile.read(resource("torch_lstm_io.safetensors"));
        try (Recurrent lstm = Recurrent.zeros(config); TensorArena arena = TensorArena.open("fixture")) {
            Checkpoint.loadParameters(weights, lstm.parameters());
            assertThat(lstm.parameters()).hasSize(16);
            for (Parameter p : lstm.parameters()) {
                assertThat(p.value().toArray()).as(p.name()).isEqualTo(file.readFloat(p.name(), arena).toArray());
            }
            try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
                Recurrent.Output out = run(g, lstm, io.readFloat("in.input", arena));
                assertThat(RelativeError.l2(out.output().value().toArray(), io.readFloat("out.output", arena).toArray()))
                        .isLessThanOrEqualTo(TOLERANCE);
                assertThat(RelativeError.l2(out.hN().value().toArray(), io.readFloat("out.h_n", arena).toArray()))
                        .isLessThanOrEqualTo(TOLERANCE);
                assertThat(RelativeError.l2(out.cN().value().toArray(), io.readFloat("out.c_n", arena).toArray()))
                        .isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void pytorchStateDictIntoAnotherArchitectureIsRefused() throws Exception {
        Path weights = resource("torch_lstm_state_dict.safetensors");
        try (Recurrent gru = Recurrent.zeros(RecurrentConfig.of(CellMode.GRU, 5, 6).withLayers(2)
                .withBidirectional(true))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Checkpoint.loadParameters(weights, gru.parameters()))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage(weights + ": key 'weight_ih_l0' has shape [24, 5], expected [18, 5]");
        }
    }

    /** The Python to try: RECUR_PYTHON, the project's .venv-peer, python3; and why it cannot serve, if it cannot. */
    record Python(String executable, String problem) {
        static Python find() {
            List<String> tried = new ArrayList<>();
            String fromEnv = System.getenv("RECUR_PYTHON");
            Path root = Path.of("").toAbsolutePath();
            List<String> candidates = new ArrayList<>();
            if (fromEnv != null && !fromEnv.isBlank()) candidates.add(fromEnv);
            for (Path p = root; p != null; p = p.getParent()) {
                Path venv = p.resolve(".venv-peer/bin/python");
                if (Files.isExecutable(venv)) {
                    candidates.add(venv.toString());
                    break;
                }
            }
            candidates.add("python3");
            for (String candidate : candidates) {
                String problem = probe(candidate);
                if (problem == null) return new Python(candidate, null);
                tried.add(candidate + " (" + problem + ")");
            }
            return new Python(null, "no Python with torch and safetensors: tried " + String.join(", ", tried)
                    + "; set RECUR_PYTHON or create .venv-peer with torch");
        }

        private static String probe(String python) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import torch, safetensors").redirectErrorStream(true).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "import timed out";
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                return p.exitValue() == 0 ? null : out.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue());
            } catch (IOException e) {
                return "cannot run: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }

    private static final String LOAD_IN_TORCH = """
            import sys, torch
            from safetensors import safe_open
            from safetensors.torch import load_file, save_file
            checkpoint, inputs, outputs = sys.argv[1:4]
            with safe_open(checkpoint, "pt") as f:
                meta = f.metadata()
            state = load_file(checkpoint)
            recurrent = {k: v for k, v in state.items() if "." not in k}   # not optimizer.*, head.*
            lstm = torch.nn.LSTM(input_size=int(meta["model.input"]), hidden_size=int(meta["model.hidden"]),
                                 num_layers=int(meta["model.layers"]),
                                 bidirectional=meta["model.bidirectional"] == "true",
                                 proj_size=int(meta["model.proj_size"]))
            lstm.load_state_dict(recurrent)   # strict: every key present, none extra, shapes equal
            with torch.no_grad():
                y, (h, c) = lstm(load_file(inputs)["input"])
            save_file({"output": y.contiguous(), "h_n": h.contiguous(), "c_n": c.contiguous()}, outputs)
            print("loaded", len(recurrent), "tensors; ignored", sorted(set(state) - set(recurrent))[:3], "...")
            """;

    @Test
    void recurCheckpointLoadsIntoTorchLstm() throws Exception {
        // Projection and two bidirectional layers: every PyTorch name kind (_reverse, weight_hr).
        RecurrentConfig config = RecurrentConfig.of(CellMode.LSTM, 4, 7).withLayers(2).withBidirectional(true)
                .withProjSize(3);
        Path checkpoint = dir.resolve("recur.safetensors");
        Path inputs = dir.resolve("in.safetensors");
        float[] recurOutput;
        try (Recurrent lstm = Recurrent.create(config, 5); TensorArena arena = TensorArena.open("head")) {
            int features = config.directions() * config.outputSize();
            Parameter w = new Parameter("head.weight", arena.zeros(2, features), arena.zeros(2, features));
            Parameter b = new Parameter("head.bias", arena.zeros(2), arena.zeros(2));
            List<Parameter> params = new ArrayList<>(lstm.parameters());
            params.add(w);
            params.add(b);
            try (Adam adam = new Adam(params, Adam.Options.defaults())) {
                for (Parameter p : params) p.grad().fill(0.5f);
                adam.step();
                Map<String, String> model = new LinkedHashMap<>(CheckpointTest.configMap(config));
                Checkpoint.save(checkpoint, params, adam, null,
                        new Checkpoint.Info(model, new Checkpoint.Progress(1, 0, 8, Double.NaN), null, Map.of()));
            }
            Tensor x = arena.empty(5, 2, 4);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) Math.sin(0.7 * i));
            new SafeTensorsWriter().put("input", x).write(inputs);
            try (Graph g = Graph.inference(KernelProvider.defaultKernels())) {
                recurOutput = run(g, lstm, x).output().value().toArray();
            }
        }
        assertThat(SafeTensorsFile.read(checkpoint).names()).contains("weight_hr_l1_reverse", "optimizer.state.head.bias.exp_avg");

        Python python = Python.find();
        Assumptions.assumeTrue(python.problem() == null, () -> "skipped: " + python.problem());
        Path script = Files.writeString(dir.resolve("load_in_torch.py"), LOAD_IN_TORCH);
        Path outputs = dir.resolve("torch_out.safetensors");
        Process p = new ProcessBuilder(python.executable(), script.toString(), checkpoint.toString(), inputs.toString(),
                outputs.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("torch said:\n%s", log).isZero();
        assertThat(log).contains("loaded " + Recurrent.parameterSpecs(config).size() + " tensors"); // 20: 2 layers x 2 directions x 5
        try (TensorArena arena = TensorArena.open("torch output")) {
            float[] torchOutput = SafeTensorsFile.read(outputs).readFloat("output", arena).toArray();
            assertThat(RelativeError.l2(recurOutput, torchOutput)).isLessThanOrEqualTo(TOLERANCE);
        }
    }
}
