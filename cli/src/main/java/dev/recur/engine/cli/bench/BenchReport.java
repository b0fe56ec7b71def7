package dev.recur.engine.cli.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * The {@code --json} file. A single shape gives one object with Recur's figures at the top level
 * ({@code median_ms}, ...) beside {@code recur}, {@code torch}, {@code ort} and
 * {@code best_peer_ratio}; a suite gives one object with a {@code results} array of per-shape
 * objects. A peer's entry is null when it was not asked for, its timing with {@code ratio}
 * (peer median / Recur median), or {@code {"refused": why}}. Both carry the machine, the command
 * line, the date and the sampling rules.
 */
final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Everything about a run besides its figures. */
    record Context(String command, String date, MachineFacts machine, int threads, String kernels, String algorithm,
                   Sampler.Rules rules, String torchVersion, String ortVersion, Integer peerThreads, String python) {
    }

    private BenchReport() {
    }

    static byte[] single(Context ctx, BenchResult result) throws JsonProcessingException {
        ObjectNode root = header(ctx);
        ObjectNode figures = shapeNode(result);
        ObjectNode recur = (ObjectNode) figures.get("recur");
        root.put("median_ms", recur.get("median_ms").asDouble());
        root.put("min_ms", recur.get("min_ms").asDouble());
        root.put("max_ms", recur.get("max_ms").asDouble());
        root.put("samples", recur.get("samples").asInt());
        root.put("gflops", recur.get("gflops").asDouble());
        root.setAll(figures);
        return JSON.writeValueAsBytes(root);
    }

    /**
     * {@code bench --model}: Recur's figures at the top level ({@code median_ms}, ...) after its
     * {@code warm_up} (calls, seconds, settled), and with the peer {@code peer_median_ms} (and min,
     * max, samples) and {@code ratio} (peer median / Recur median), or {@code peer_refused}.
     */
    static byte[] model(Context ctx, java.nio.file.Path model, java.nio.file.Path inputs, dev.recur.engine.nn.WarmUp warmUp,
                        Sampler.Timing recur, PeerOutcome ort) throws JsonProcessingException {
        ObjectNode root = header(ctx);
        root.put("model", model.toString());
        root.put("inputs", inputs.toString());
        ObjectNode warm = root.putObject("warm_up");
        warm.put("calls", warmUp.calls());
        warm.put("seconds", warmUp.seconds());
        warm.put("settled", warmUp.settled());
        root.put("median_ms", recur.medianMs());
        root.put("min_ms", recur.minMs());
        root.put("max_ms", recur.maxMs());
        root.put("samples", recur.samples());
        if (ort != null) {
            root.put("peer", "ort");
            if (ort.measured()) {
                root.put("peer_median_ms", ort.timing().medianMs());
                root.put("peer_min_ms", ort.timing().minMs());
                root.put("peer_max_ms", ort.timing().maxMs());
                root.put("peer_samples", ort.timing().samples());
                root.put("ratio", ort.timing().medianMs() / recur.medianMs());
            } else {
                root.put("peer_refused", ort.refusal());
            }
        }
        return JSON.writeValueAsBytes(root);
    }

    static byte[] suite(Context ctx, String suite, String modeFilter, List<BenchResult> results)
            throws JsonProcessingException {
        ObjectNode root = header(ctx);
        root.put("suite", suite);
        root.put("mode_filter", modeFilter);
        var array = root.putArray("results");
        results.forEach(r -> array.add(shapeNode(r)));
        return JSON.writeValueAsBytes(root);
    }

    private static ObjectNode header(Context ctx) {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", ctx.command());
        root.put("date", ctx.date());
        MachineFacts m = ctx.machine();
        ObjectNode machine = root.putObject("machine");
        machine.put("cpu_model", m.cpuModel());
        machine.put("cores", m.cores());
        machine.put("vector_bits", m.vectorBits());
        machine.put("jdk_version", m.jdkVersion());
        machine.put("jdk_vendor", m.jdkVendor());
        machine.put("os", m.os());
        machine.put("threads", ctx.threads());
        machine.put("kernels", ctx.kernels());
        machine.put("algorithm", ctx.algorithm());
        if (m.gpuName() == null && m.gpuDriver() == null) {
            machine.putNull("gpu");
        } else {
            machine.putObject("gpu").put("name", m.gpuName()).put("driver", m.gpuDriver());
        }
        machine.put("torch_version", ctx.torchVersion());
        machine.put("onnxruntime_version", ctx.ortVersion());
        machine.put("peer_threads", ctx.peerThreads());
        machine.put("python", ctx.python());
        Sampler.Rules r = ctx.rules();
        root.putObject("sampling")
                .put("warmup_min_runs", r.warmupRuns())
                .put("warmup_min_s", r.warmupNanos() / 1e9)
                .put("first_of_kind_warmup_min_s", r.firstOfKindWarmupNanos() / 1e9)
                .put("settle_window_s", r.settleWindowNanos() / 1e9)
                .put("settle_tolerance", r.settleTolerance())
                .put("warmup_max_s", r.maxWarmupNanos() / 1e9)
                .put("min_samples", r.minSamples())
                .put("target_samples", r.targetSamples())
                .put("budget_s", r.budgetNanos() / 1e9);
        return root;
    }

    private static ObjectNode shapeNode(BenchResult r) {
        ObjectNode node = JSON.createObjectNode();
        BenchShape s = r.shape();
        node.putObject("config")
                .put("cell", s.cell().id())
                .put("mode", s.mode().id())
                .put("batch", s.batch())
                .put("seq", s.steps())
                .put("input", s.input())
                .put("hidden", s.hidden())
                .put("layers", s.layers())
                .put("bidirectional", s.bidirectional());
        node.put("flops", r.flops());
        node.set("recur", timingNode(r, r.recur()));
        for (Peer p : Peer.values()) {
            PeerOutcome o = r.peer(p);
            if (o == null) {
                node.putNull(p.id());
            } else if (o.measured()) {
                node.set(p.id(), timingNode(r, o.timing()).put("ratio", r.ratio(p)));
            } else {
                node.putObject(p.id()).put("refused", o.refusal());
            }
        }
        double best = r.bestPeerRatio();
        if (Double.isNaN(best)) {
            node.putNull("best_peer_ratio");
        } else {
            node.put("best_peer_ratio", best);
        }
        return node;
    }

    private static ObjectNode timingNode(BenchResult r, Sampler.Timing t) {
        return JSON.createObjectNode()
                .put("median_ms", t.medianMs())
                .put("min_ms", t.minMs())
                .put("max_ms", t.maxMs())
                .put("samples", t.samples())
                .put("gflops", r.gflops(t));
    }
}
