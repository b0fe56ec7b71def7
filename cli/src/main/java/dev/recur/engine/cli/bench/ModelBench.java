package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.io.OnnxTensor;
import dev.recur.engine.io.OnnxTensorFiles;
import dev.recur.engine.nn.WarmUp;
import dev.recur.engine.onnx.OnnxModel;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * {@code recur bench --model FILE.onnx --input IN.safetensors}: one ONNX model's inference on one
 * set of inputs, through {@link OnnxModel}'s public API: first {@link OnnxModel#warmUp} (up to
 * {@link #WARM_UP}: a model's kernels run in seconds-long slow stretches while the JIT settles,
 * longer than {@link Sampler}'s own warm-up allows), then timed by {@link Sampler}; then, with
 * {@code --peer ort}, ONNX Runtime on the same file and inputs under the same rules.
 */
final class ModelBench {
    /** The most {@link OnnxModel#warmUp} may take before the timed runs (none with --quick). */
    static final Duration WARM_UP = Duration.ofSeconds(20);

    /** Recur's warm-up and timing, and ONNX Runtime's outcome (null without the peer). */
    record Result(WarmUp warmUp, Sampler.Timing recur, PeerOutcome ort) {
    }

    private ModelBench() {
    }

    static Result run(Path model, Path inputs, Kernels kernels, Sampler.Rules rules, PythonPeer peer) throws IOException {
        Sampler.Timing recur;
        WarmUp warmUp;
        try (OnnxModel loaded = OnnxModel.load(model, kernels)) {
            Map<String, OnnxTensor> values = OnnxTensorFiles.read(inputs);
            warmUp = loaded.warmUp(values, rules.equals(Sampler.Rules.QUICK) ? Duration.ZERO : WARM_UP);
            recur = new Sampler(rules).measure(() -> loaded.run(values));
        }
        PeerOutcome ort = peer == null ? null : peer.measureModel(model.toAbsolutePath(), inputs.toAbsolutePath(), rules);
        return new Result(warmUp, recur, ort);
    }

    static void printTable(PrintWriter out, Path model, Path inputs, Result r) {
        out.printf(Locale.ROOT, "%-28s %-28s | %10s %10s %10s%s%n", "model", "inputs", "recur ms", "min", "max",
                r.ort() == null ? "" : " | " + String.format(Locale.ROOT, "%10s %11s", "ort ms", "ort/recur"));
        String peerColumns = "";
        if (r.ort() != null) {
            peerColumns = !r.ort().measured()
                    ? " | refused: " + r.ort().refusal()
                    : String.format(Locale.ROOT, " | %10.4g %11.2f", r.ort().timing().medianMs(),
                    r.ort().timing().medianMs() / r.recur().medianMs());
        }
        out.printf(Locale.ROOT, "%-28s %-28s | %10.4g %10.4g %10.4g%s%n", model.getFileName(), inputs.getFileName(),
                r.recur().medianMs(), r.recur().minMs(), r.recur().maxMs(), peerColumns);
        if (r.ort() != null && !!r.ort().measured()) {
            out.println("ort/recur = ONNX Runtime's median / Recur's median: above 1 means Recur is faster");
        }
    }
}
