package dev.recur.engine.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recur.engine.cli.UserError;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peers ({@link Peer}) on the same shapes, in one long-lived Python process ({@code peer.py},
 * shipped in the jar). Recur sends one shape at a time and waits for its result, so Recur and a
 * peer never run at the same time on the same cores.
 */
final class PythonPeer implements AutoCloseable {
    static final String INSTALL_HINT = "install the peers: python3 -m venv .venv-peer && .venv-peer/bin/pip install "
            + "'torch==2.13.0+cpu' onnx onnxruntime onnxscript (from PyTorch's CPU wheel index), or pass --python";

    /** The Python to run and where that choice came from, for messages. */
    record Python(String executable, String source) {
        @Override
        public String toString() {
            return executable + " (" + source + ")";
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Python python;
    private final Process process;
    private final Path script;
    private final Path stderr;
    private final BufferedReader out;
    private final BufferedWriter in;
    private final String label;
    private final String cudaDevice;
    private final String torchVersion;
    private final String ortVersion;
    private final int threads;

    /**
     * The first of: {@code --python}, env RECUR_PYTHON, {@code .venv-peer/bin/python} under the
     * project root (system property recur.home, set by the launcher, or env RECUR_HOME), python3.
     */
    static Python resolvePython(String flag, Map<String, String> env, String recurHome) {
        if (flag != null) return new Python(flag, "from --python");
        String fromEnv = env.get("RECUR_PYTHON");
        if (fromEnv != null && !fromEnv.isBlank()) return new Python(fromEnv, "from RECUR_PYTHON");
        String home = recurHome != null ? recurHome : env.get("RECUR_HOME");
        if (home != null) {
            Path venv = Path.of(home, ".venv-peer", "bin", "python");
            if (Files.isExecutable(venv)) return new Python(venv.toString(), "the project's .venv-peer");
        }
        return new Python("python3", "from PATH; none of --python, RECUR_PYTHON, .venv-peer");
    }

    /**
     * Starts the peer process and waits for its greeting; a one-line {@link UserError} when an
     * engine of {@code peers} cannot run. label names the flag in messages ("--peer torch,ort").
     */
    static PythonPeer start(Python python, int threads, List<Peer> peers, String label) {
        Path script = null, stderr = null;
        try {
            script = Files.createTempFile("recur-peer", ".py");
            stderr = Files.createTempFile("recur-peer", ".err");
            try (InputStream resource = PythonPeer.class.getResourceAsStream("peer.py")) {
                if (resource == null) throw new IllegalStateException("peer.py is missing from the jar");
                Files.write(script, resource.readAllBytes());
            }
            ProcessBuilder pb = new ProcessBuilder(python.executable(), "-u", script.toString(), Integer.toString(threads))
                    .redirectError(stderr.toFile());
            // Before torch loads: its OpenMP and MKL pools then start with the same thread count.
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("MKL_NUM_THREADS", Integer.toString(threads));
            Process process;
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new UserError(label + ": cannot run Python " + python + ": " + reason(e) + "; " + INSTALL_HINT);
            }
            return new PythonPeer(python, process, script, stderr, peers, label);
        } catch (IOException e) {
            delete(script);
            delete(stderr);
            throw new UserError(label + ": cannot prepare the peer script: " + e.getMessage());
        } catch (RuntimeException e) {
            delete(script);
            delete(stderr);
            throw e;
        }
    }

    private PythonPeer(Python python, Process process, Path script, Path stderr, List<Peer> peers, String label) {
        this.python = python;
        this.label = label;
        this.process = process;
        this.script = script;
        this.stderr = stderr;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        try {
            JsonNode hello = readReply();
            if (hello.has("error")) {
                throw new UserError(label + ": PyTorch is not importable by " + python + ": "
                        + hello.get("error").asText() + "; " + INSTALL_HINT);
            }
            if (peers.contains(Peer.ORT) && hello.path("onnxruntime").isNull()) {
                throw new UserError(label + ": ONNX Runtime is not usable by " + python + ": "
                        + hello.path("onnxruntime_error").asText() + "; " + INSTALL_HINT);
            }
            this.torchVersion = hello.get("torch").asText();
            this.ortVersion = hello.path("onnxruntime").isNull() ? null : hello.get("onnxruntime").asText();
            this.threads = hello.get("threads").asInt();
            this.cudaDevice = hello.path("cuda").isTextual()
                    ? hello.get("cuda").asText() + ", cuDNN " + hello.path("cudnn").asText() : null;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    String torchVersion() {
        return torchVersion;
    }

    /** The GPU PyTorch sees, with cuDNN's version ("NVIDIA H100 80GB HBM3, cuDNN 91002"); null without one. */
    String cudaDevice() {
        return cudaDevice;
    }

    /** null when onnxruntime is not importable. */
    String ortVersion() {
        return ortVersion;
    }

    /** The version of that peer's engine (null: ONNX Runtime not importable). */
    String version(Peer p) {
        return p == Peer.ORT ? ortVersion : torchVersion;
    }

    int threads() {
        return threads;
    }

    Python python() {
        return python;
    }

    /**
     * The peer's timing of one shape under the same rules as Recur's, or why it cannot run it; on
     * GPU 0 (PyTorch with cuDNN) when {@code onGpu}, as Recur's {@code --device cuda}.
     */
    PeerOutcome measure(Peer peer, BenchShape s, Sampler.Rules rules, boolean onGpu) {
        ObjectNode request = JSON.createObjectNode()
                .put("engine", peer.id()).put("cell", s.cell().id()).put("batch", s.batch()).put("seq", s.steps()).put("input", s.input())
                .put("hidden", s.hidden()).put("layers", s.layers()).put("bidirectional", s.bidirectional())
                .put("mode", s.mode().id()).put("device", onGpu ? "cuda" : "cpu");
        return send(request, rules, peer.id(), s.toString());
    }

    /** ONNX Runtime's timing of an ONNX model on a safetensors file of its inputs, or why it cannot run it. */
    PeerOutcome measureModel(Path model, Path inputs, Sampler.Rules rules) {
        ObjectNode request = JSON.createObjectNode().put("engine", "ort-model").put("model", model.toString())
                .put("inputs", inputs.toString());
        return send(request, rules, Peer.ORT.id(), model.getFileName().toString());
    }

    private PeerOutcome send(ObjectNode request, Sampler.Rules rules, String peerId, String what) {
        request.set("rules", JSON.valueToTree(rules));
        try {
            in.write(JSON.writeValueAsString(request));
            in.newLine();
            in.flush();
        } catch (IOException e) {
            throw new UserError(label + ": the Python process " + python + " stopped" + stderrTail());
        }
        JsonNode r = readReply();
        if (r.has("error")) {
            throw new UserError("--peer " + peerId + " failed on " + what + ": " + r.get("error").asText());
        }
        if (r.has("refused")) return PeerOutcome.refused(r.get("refused").asText());
        return PeerOutcome.timed(new Sampler.Timing(r.get("median_ms").asDouble(), r.get("min_ms").asDouble(), r.get("max_ms").asDouble(),
                r.get("samples").asInt()));
    }

    private JsonNode readReply() {
        String line;
        try {
            line = out.readLine();
        } catch (IOException e) {
            line = null;
        }
        if (line == null) {
            throw new UserError(label + ": the Python process " + python + " stopped" + stderrTail());
        }
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UserError(label + ": " + python + " answered '" + line + "', not the peer script's JSON");
        }
    }

    /** ": <last line of the peer's stderr>", or "" when it printed nothing. */
    private String stderrTail() {
        try {
            process.waitFor(2, TimeUnit.SECONDS);
            List<String> lines = Files.readAllLines(stderr).stream().filter(l -> !l.isBlank()).toList();
            String exit = process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
            return exit + (lines.isEmpty() ? "" : ": " + lines.getLast().strip());
        } catch (IOException | InterruptedException e) {
            return "";
        }
    }

    /** "No such file or directory" out of "Cannot run program "x": Exec failed, error: 2 (No such file or directory)". */
    private static String reason(IOException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage().strip();
        int open = m.lastIndexOf('('), close = m.lastIndexOf(')');
        return open >= 0 && close > open ? m.substring(open + 1, close) : m.lines().findFirst().orElse(m);
    }

    private static void delete(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    @Override
    public void close() {
        try {
            in.close(); // end of input: the script's loop ends and it exits
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        delete(script);
        delete(stderr);
    }
}
