package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.cli.Charts;
import dev.recur.engine.cli.DeviceOption;
import dev.recur.engine.cli.KernelsOption;
import dev.recur.engine.cli.ThreadsOption;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.cli.WeightPrecisionOption;
import dev.recur.engine.io.AtomicFiles;
import dev.recur.engine.nn.RecurrentExecution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code recur bench}: times Recur's recurrent layers on one shape (from the flags) or on a named
 * suite, optionally beside PyTorch on the same shapes, threads and timing rules, and writes the
 * figures as a table, a JSON file and a ratio chart.
 *
 * <p>Shapes run one after the other; with {@code --peer torch,ort}, each shape runs on Recur, then
 * on PyTorch, then on ONNX Runtime (one long-lived Python process that waits idle meanwhile),
 * never two at once.
 */
@Command(name = "bench", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Time Recur's LSTM/GRU/RNN on one shape or a suite, optionally against PyTorch and ONNX Runtime.",
                "Timing: warm-up (>= 2 runs and >= 0.3 s; 1.5 s for the first shape of each cell and mode), "
                        + "then on until settled (medians of 0.2-s windows within 3%% and no JIT compilation, at most 6 s in all), then 20 samples or 2 s, at least 3; median, min, max. GFLOP/s = 2*G*H*(I_l+H)*B*T per layer and direction (x3 training) / median."})
public final class BenchCommand implements Callable<Integer> {
    /** What {@code --dry-run} assumes when it estimates the time of a suite, per engine. */
    static final double ESTIMATE_GFLOPS = 150;
    /** Per shape and engine, besides the timed runs: model initialisation and input. */
    static final double SETUP_SECONDS = 0.2;

    @Option(names = "--cell", paramLabel = "CELL", description = "lstm (default), gru, rnn_tanh or rnn_relu")
    String cell;

    @Option(names = "--batch", paramLabel = "B", description = "batch size (default 64)")
    Integer batch;

    @Option(names = "--seq", paramLabel = "T", description = "sequence length (default 50)")
    Integer seq;

    @Option(names = "--input", paramLabel = "I", description = "input size (default 256); with --model, the "
            + "safetensors file of the model's inputs by name")
    String input;

    @Option(names = "--model", paramLabel = "FILE.onnx", description = "time an ONNX model's inference on the inputs in "
            + "--input instead of a shape (peer: ort, the same file in ONNX Runtime)")
    Path model;

    @Option(names = "--hidden", paramLabel = "H", description = "hidden size (default 512)")
    Integer hidden;

    @Option(names = "--layers", paramLabel = "L", description = "stacked layers (default 1)")
    Integer layers;

    @Option(names = "--bidirectional", description = "two directions per layer (default: one)")
    Boolean bidirectional;

    @Option(names = "--mode", paramLabel = "MODE", description = "inference (default) or training "
            + "(forward, loss = sum of the output, backward); with --suite: run only the suite's entries of this mode")
    String mode;

    @Option(names = "--suite", paramLabel = "NAME", description = "a named list of shapes instead of the shape flags: "
            + "deepbench-cpu, deepbench-gpu and gpu-first-run (--device cuda only), latency, smoke")
    String suite;

    @Option(names = "--peer", paramLabel = "PEERS", description = "also time peers on the same shapes: torch "
            + "(PyTorch's nn.LSTM/GRU/RNN), ort (ONNX Runtime on the module exported with torch.onnx.export; "
            + "inference only), torch-int8 (torch.ao.quantization.quantize_dynamic: int8 weights, LSTM and GRU, "
            + "inference only), or a list such as torch,ort; beside --device cuda: torch (PyTorch with cuDNN on the "
            + "same GPU, fp32, TF32 off, input and output resident there), torch-bf16 (the same in bfloat16) and "
            + "torch-host (fp32, input up from and output down to host memory in every run, as Recur's run does)")
    String peer;

    @Option(names = "--python", paramLabel = "PATH", description = "the Python with the peers for --peer (default: "
            + "env RECUR_PYTHON, else .venv-peer/bin/python in the project, else python3)")
    String python;

    /** CPU threads for Recur, and the same count for the peer. */
    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--json", paramLabel = "FILE", description = "write every figure and the machine's facts as JSON")
    Path json;

    @Option(names = "--png", paramLabel = "FILE", description = "write a bar chart of peer/Recur time ratios (needs --peer)")
    Path png;

    @Option(names = "--dry-run", description = "list the shapes and an estimate of the time they take, run nothing")
    boolean dryRun;

    @Option(names = "--quick", description = "for tests: warm-up 20 ms, then 5 samples or 0.1 s (figures not reliable)")
    boolean quick;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Mixin
    KernelsOption kernels = new KernelsOption();

    @Mixin
    WeightPrecisionOption weightPrecision = new WeightPrecisionOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (GpuContext gpu = device.openGpu()) {   // null for cpu; fails with one line where CUDA is not usable
            return run(gpu);
        }
    }

    private Integer run(GpuContext gpu) throws IOException {
        if (model != null) return runModel(gpu);
        BenchShape.Mode modeFilter = parseMode();
        weightPrecision.requireFp32Because(gpu != null, "--device cuda");
        weightPrecision.requireFp32Because(modeFilter == BenchShape.Mode.TRAINING, "--mode training");
        if (weightPrecision.precision() != WeightPrecision.FP32) {
            modeFilter = BenchShape.Mode.INFERENCE;   // a suite's training shapes need fp32 weights
        }
        BenchSuite chosen = suite == null ? null : parseSuite();
        List<BenchShape> shapes = chosen == null ? List.of(singleShape(modeFilter)) : suiteShapes(chosen, modeFilter);
        List<Peer> peers = parsePeers();
        if (gpu != null && peers.stream().anyMatch(p -> !p.runsOnGpu())) {
            throw new UserError("--peer " + peer + ": beside --device cuda only torch, torch-bf16 and torch-host run (PyTorch"
                    + " with cuDNN on the same GPU); ort and torch-int8 run on the CPU");
        }
        for (Peer gpuOnly : List.of(Peer.TORCH_BF16, Peer.TORCH_HOST)) {
            if (gpu == null && peers.contains(gpuOnly)) {
                throw new UserError("--peer " + gpuOnly.id() + " runs beside --device cuda only (PyTorch on the same GPU)");
            }
        }
        if (png != null && peers.isEmpty()) {
            throw new UserError("--png charts the peer/Recur time ratios: it needs --peer torch, ort or torch,ort");
        }
        if (png != null && !Charts.available()) {
            throw new UserError("--png: " + Charts.UNAVAILABLE);
        }
        requireWritableDirectory("--json", json);
        requireWritableDirectory("--png", png);
        Sampler.Rules rules = quick ? Sampler.Rules.QUICK : Sampler.Rules.STANDARD;
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (dryRun) {
            printPlan(out, shapes, rules, peers);
            return 0;
        }
        int threadCount = threads.apply();
        Kernels k = kernels.kernels();
        RecurrentExecution execution = DeviceOption.execution(gpu, kernels.execution(weightPrecision.precision()));
        MachineFacts machine = MachineFacts.probe();

        List<BenchResult> results = new ArrayList<>();
        PythonPeer peerProcess = peers.isEmpty() ? null
                : PythonPeer.start(PythonPeer.resolvePython(python, System.getenv(), System.getProperty("recur.home")),
                threadCount, peers, "--peer " + peer);
        try {
            List<Sampler.Rules> perShape = rulesPerShape(shapes, rules);
            for (int i = 0; i < shapes.size(); i++) {
                BenchShape s = shapes.get(i);
                Sampler.Rules shapeRules = perShape.get(i);
                Sampler.Timing recur = RecurRunner.measure(s, k, execution, new Sampler(shapeRules));
                Map<Peer, PeerOutcome> outcomes = new EnumMap<>(Peer.class);
                for (Peer p : peers) {
                    awaitIdleJit();
                    outcomes.put(p, peerProcess.measure(p, s, shapeRules, gpu != null));
                }
                BenchResult r = new BenchResult(s, recur, outcomes);
                results.add(r);
                err.println(progressLine(i + 1, shapes.size(), r));
                err.flush();
            }
        } finally {
            if (peerProcess != null) peerProcess.close();
        }

        String peerNote = peerProcess == null ? "" : "; " + peerDescription(peerProcess, peers);
        String engine = gpu != null ? gpu.device().description() + ", inference with the weights kept on the device, "
                + gpuLoop()
                : String.format(Locale.ROOT, "%d threads, kernels %s (%s)", threadCount, k.name(), execution.id());
        out.printf(Locale.ROOT, "Recur bench%s: %s, %s%s%n", chosen == null ? "" : " --suite " + chosen.id(),
                machine.cpuModel(), engine, peerNote);
        printTable(out, results, peers);
        out.flush();

        if (json != null) {
            BenchReport.Context ctx = new BenchReport.Context(commandLine(), now(), machine, threadCount,
                    gpu != null ? gpu.device().description() : k.name(),
                    gpu != null ? "gpu-layer (inference: gpu-layer-resident, weights kept on the device, " + gpuLoop() + ")"
                            : execution.id(), rules,
                    peerProcess == null ? null : peerProcess.torchVersion(),
                    peerProcess == null || !peers.contains(Peer.ORT) ? null : peerProcess.ortVersion(),
                    peerProcess == null ? null : peerProcess.threads(),
                    peerProcess == null ? null : peerProcess.python().executable());
            AtomicFiles.write(json, chosen == null ? BenchReport.single(ctx, results.getFirst())
                    : BenchReport.suite(ctx, chosen.id(), modeFilter == null ? null : modeFilter.id(), results));
        }
        if (png != null) {
            String title = "Recur vs " + peerNames(peerProcess, peers) + ", " + threadCount + " threads"
                    + (chosen == null ? "" : ", suite " + chosen.id());
            RatioChart.write(png, title, results, peers);
        }
        return 0;
    }

    /** How a resident GPU layer runs an inference shape's steps, for the report. */
    private static String gpuLoop() {
        String loop = RecurrentExecution.Gpu.graphsEnabled() ? "the per-step loop as a CUDA graph" : "the per-step loop";
        return RecurrentExecution.Gpu.persistentEnabled()
                ? "the persistent kernels where their plan holds the shape (-Drecur.gpu.persistent=true), else " + loop : loop;
    }

    /** {@code --model}: an ONNX model's inference on one input file, beside ONNX Runtime on the same file. */
    private Integer runModel(GpuContext gpu) throws IOException {
        List<String> notApplicable = new ArrayList<>();
        if (suite != null) notApplicable.add("--suite");
        if (cell != null) notApplicable.add("--cell");
        if (batch != null) notApplicable.add("--batch");
        if (seq != null) notApplicable.add("--seq");
        if (hidden != null) notApplicable.add("--hidden");
        if (layers != null) notApplicable.add("--layers");
        if (bidirectional != null) notApplicable.add("--bidirectional");
        if (mode != null) notApplicable.add("--mode");
        if (png != null) notApplicable.add("--png");
        if (gpu != null) notApplicable.add("--device cuda");
        if (weightPrecision.precision() != WeightPrecision.FP32) notApplicable.add("--weight-precision");
        if (!notApplicable.isEmpty()) {
            throw new UserError("--model times the model on its inputs, for inference on the CPU: drop "
                    + String.join(", ", notApplicable));
        }
        if (input == null) throw new UserError("--model needs --input IN.safetensors: the model's inputs by name");
        List<Peer> peers = parsePeers();
        if (peers.stream().anyMatch(p -> p != Peer.ORT)) {
            throw new UserError("--model runs beside --peer ort only (ONNX Runtime on the same file), not " + peer);
        }
        requireWritableDirectory("--json", json);
        Sampler.Rules rules = quick ? Sampler.Rules.QUICK : Sampler.Rules.STANDARD.firstOfKind();
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Path inputs = Path.of(input);
        if (dryRun) {
            // A 10-ms call assumed; Recur's warm-up may take up to ModelBench.WARM_UP on top.
            double seconds = (peers.size() + 1) * Sampler.estimateSeconds(rules, 0.01)
                    + (quick ? 0 : ModelBench.WARM_UP.toSeconds());
            out.printf(Locale.ROOT, "recur bench --model %s --input %s: one model, Recur%s, at most about %.0f s%n", model,
                    inputs, peers.isEmpty() ? "" : " then ONNX Runtime", seconds);
            return 0;
        }
        int threadCount = threads.apply();
        MachineFacts machine = MachineFacts.probe();
        ModelBench.Result result;
        PythonPeer peerProcess = peers.isEmpty() ? null
                : PythonPeer.start(PythonPeer.resolvePython(python, System.getenv(), System.getProperty("recur.home")),
                threadCount, peers, "--peer " + peer);
        try {
            result = ModelBench.run(model, inputs, kernels.kernels(), rules, peerProcess);
        } finally {
            if (peerProcess != null) peerProcess.close();
        }
        err.println(String.format(Locale.ROOT, "bench --model %s: warm-up %d calls in %.1f s (%s), then recur %.3f ms",
                model.getFileName(), result.warmUp().calls(), result.warmUp().seconds(),
                result.warmUp().settled() ? "settled" : "not settled", result.recur().medianMs()));
        out.printf(Locale.ROOT, "Recur bench --model: %s, %d threads, kernels %s%s%n", machine.cpuModel(), threadCount,
                kernels.kernels().name(), peerProcess == null ? "" : "; " + peerDescription(peerProcess, peers));
        ModelBench.printTable(out, model, inputs, result);
        out.flush();
        if (json != null) {
            BenchReport.Context ctx = new BenchReport.Context(commandLine(), now(), machine, threadCount, kernels.kernels().name(),
                    "onnx plan", rules, peerProcess == null ? null : peerProcess.torchVersion(),
                    peerProcess == null ? null : peerProcess.ortVersion(), peerProcess == null ? null : peerProcess.threads(),
                    peerProcess == null ? null : peerProcess.python().executable());
            AtomicFiles.write(json, BenchReport.model(ctx, model, inputs, result.warmUp(), result.recur(), result.ort()));
        }
        return 0;
    }

    private List<Peer> parsePeers() {
        if (peer == null) return List.of();
        try {
            return Peer.parseList(peer);
        } catch (IllegalArgumentException e) {
            throw new UserError("--peer '" + peer + "' is unknown: expected torch, ort, torch-int8, torch-bf16, torch-host "
                    + "or a list of them such as torch,ort");
        }
    }

    /** "PyTorch 2.13.0, ONNX Runtime 1.30.0 (2 threads, /path/python)". */
    private static String peerDescription(PythonPeer python, List<Peer> peers) {
        String where = python.cudaDevice() != null && peers.stream().anyMatch(Peer::runsOnGpu)
                ? "on " + python.cudaDevice() + " when beside --device cuda, " : "";
        return peerNames(python, peers) + String.format(Locale.ROOT, " (%s%d threads, %s)", where, python.threads(),
                python.python().executable());
    }

    /** "PyTorch 2.13.0, ONNX Runtime 1.30.0". */
    private static String peerNames(PythonPeer python, List<Peer> peers) {
        List<String> names = new ArrayList<>();
        for (Peer p : peers) {
            names.add(p.displayName() + " " + python.version(p));
        }
        return String.join(", ", names);
    }

    /** Checked before anything runs, so that a long run does not end on a typo. */
    private static void requireWritableDirectory(String flag, Path file) {
        if (file == null) return;
        Path dir = file.toAbsolutePath().getParent();
        if (!java.nio.file.Files.isDirectory(dir) || !java.nio.file.Files.isWritable(dir)) {
            throw new UserError(flag + " " + file + ": directory " + dir + " does not exist or is not writable");
        }
    }

    private BenchShape.Mode parseMode() {
        if (mode == null) return null;
        try {
            return BenchShape.Mode.parse(mode);
        } catch (IllegalArgumentException e) {
            throw new UserError("--mode '" + mode + "' is unknown: expected inference or training");
        }
    }

    private BenchSuite parseSuite() {
        try {
            return BenchSuite.parse(suite);
        } catch (IllegalArgumentException e) {
            throw new UserError("--suite '" + suite + "' is unknown: expected one of " + BenchSuite.ids());
        }
    }

    private BenchShape singleShape(BenchShape.Mode modeFilter) {
        CellMode c;
        try {
            c = cell == null ? CellMode.LSTM : CellMode.parse(cell);
        } catch (IllegalArgumentException e) {
            throw new UserError("--cell '" + cell + "' is unknown: expected lstm, gru, rnn_tanh or rnn_relu");
        }
        int b = UserError.positive("--batch", batch, 64), t = UserError.positive("--seq", seq, 50);
        int i = UserError.positive("--input", inputSize(), 256), h = UserError.positive("--hidden", hidden, 512);
        int l = UserError.positive("--layers", layers, 1);
        return new BenchShape(c, b, t, i, h, l, Boolean.TRUE.equals(bidirectional),
                modeFilter == null ? BenchShape.Mode.INFERENCE : modeFilter);
    }

    /** --input as the input size I (null when not given). */
    private Integer inputSize() {
        if (input == null) return null;
        try {
            return Integer.parseInt(input.strip());
        } catch (NumberFormatException e) {
            throw new UserError("--input '" + input + "' is not a whole number: it is the input size I (a file of inputs "
                    + "goes with --model)");
        }
    }

    private List<BenchShape> suiteShapes(BenchSuite chosen, BenchShape.Mode modeFilter) {
        List<String> shapeFlags = new ArrayList<>();
        if (cell != null) shapeFlags.add("--cell");
        if (batch != null) shapeFlags.add("--batch");
        if (seq != null) shapeFlags.add("--seq");
        if (input != null) shapeFlags.add("--input");
        if (hidden != null) shapeFlags.add("--hidden");
        if (layers != null) shapeFlags.add("--layers");
        if (bidirectional != null) shapeFlags.add("--bidirectional");
        if (!shapeFlags.isEmpty()) {
            throw new UserError("--suite " + chosen.id() + " brings its own shapes: drop " + String.join(", ", shapeFlags)
                    + " (only --mode may narrow a suite)");
        }
        if (chosen.gpuOnly() && !device.isCuda() && !dryRun) {
            throw new UserError("--suite " + chosen.id() + " is sized for a GPU and would take hours on the CPU: "
                    + "it needs --device cuda (--dry-run lists it)");
        }
        List<BenchShape> shapes = chosen.shapes().stream()
                .filter(s -> modeFilter == null || s.mode() == modeFilter).toList();
        if (shapes.isEmpty()) {
            throw new UserError("--suite " + chosen.id() + " has no " + modeFilter.id() + " entries");
        }
        return shapes;
    }

    private void printPlan(PrintWriter out, List<BenchShape> shapes, Sampler.Rules rules, List<Peer> peers) {
        out.printf(Locale.ROOT, "%-46s %10s %12s%n", "shape", "GFLOP", "est. s");
        List<Sampler.Rules> perShape = rulesPerShape(shapes, rules);
        double total = 0;
        for (int i = 0; i < shapes.size(); i++) {
            BenchShape s = shapes.get(i);
            double seconds = shapeSeconds(s, perShape.get(i), ESTIMATE_GFLOPS, peers.size());
            total += seconds;
            out.printf(Locale.ROOT, "%-46s %10.3f %12.1f%n", s.label(), s.flops() / 1e9, seconds);
        }
        out.printf(Locale.ROOT, "%d shapes, about %.0f s (%.1f min)%s, assuming %.0f GFLOP/s per engine%n", shapes.size(),
                total, total / 60, peers.isEmpty() ? "" : " with --peer " + peer, ESTIMATE_GFLOPS);
    }

    /**
     * Waits (at most 1 s) until the JIT compiler has done nothing for 50 ms: compilations queued
     * while Recur ran would otherwise take a core from PyTorch, whose OpenMP threads wait for each
     * other at every parallel region and slow down a lot when one of them is descheduled.
     */
    private static void awaitIdleJit() {
        long deadline = System.nanoTime() + 1_000_000_000L;
        long before = Sampler.jitMillis();
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = Sampler.jitMillis();
            if (now == before) return;
            before = now;
        }
    }

    /** The rules of each shape: {@link Sampler.Rules#firstOfKind()} for the first of each cell and mode. */
    static List<Sampler.Rules> rulesPerShape(List<BenchShape> shapes, Sampler.Rules rules) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        return shapes.stream().map(s -> seen.add(s.cell() + " " + s.mode()) ? rules.firstOfKind() : rules).toList();
    }

    /**
     * Wall time of a run of these shapes by the sampling rules, each run taking FLOPs / gflops,
     * plus {@link #SETUP_SECONDS} per shape, on Recur and on each of {@code peerCount} peers.
     */
    static double estimateSeconds(List<BenchShape> shapes, Sampler.Rules rules, double gflops, int peerCount) {
        List<Sampler.Rules> perShape = rulesPerShape(shapes, rules);
        double total = 0;
        for (int i = 0; i < shapes.size(); i++) {
            total += shapeSeconds(shapes.get(i), perShape.get(i), gflops, peerCount);
        }
        return total;
    }

    /** One shape's share of {@link #estimateSeconds}. */
    private static double shapeSeconds(BenchShape s, Sampler.Rules rules, double gflops, int peerCount) {
        return (Sampler.estimateSeconds(rules, s.flops() / (gflops * 1e9)) + SETUP_SECONDS) * (1 + peerCount);
    }

    private static String progressLine(int index, int count, BenchResult r) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "bench [%d/%d] %s: recur %s ms (%s GFLOP/s)",
                index, count, r.shape().label(), ms(r.recur().medianMs()), gflops(r.gflops(r.recur()))));
        for (Peer p : Peer.values()) {
            PeerOutcome o = r.peer(p);
            if (o == null) continue;
            line.append(o.measured()
                    ? String.format(Locale.ROOT, ", %s %s ms (%s GFLOP/s), %s/recur %.2f", p.id(),
                    ms(o.timing().medianMs()), gflops(r.gflops(o.timing())), p.id(), r.ratio(p))
                    : ", " + p.id() + " refused: " + o.refusal());
        }
        return line.toString();
    }

    private static void printTable(PrintWriter out, List<BenchResult> results, List<Peer> peers) {
        String shapeHeader = String.format(Locale.ROOT, "%-8s %-9s %4s %5s %5s %5s %2s %3s", "cell", "mode", "B", "T", "I",
                "H", "L", "dir");
        StringBuilder header = new StringBuilder(shapeHeader
                + String.format(Locale.ROOT, " | %10s %10s %10s %8s", "recur ms", "min", "max", "GFLOP/s"));
        for (Peer p : peers) {
            header.append(String.format(Locale.ROOT, " | %10s %8s %11s", p.id() + " ms", "GFLOP/s", p.id() + "/recur"));
        }
        out.println(header);
        Map<String, Integer> refusals = new LinkedHashMap<>();  // reason -> footnote number
        for (BenchResult r : results) {
            BenchShape s = r.shape();
            out.printf(Locale.ROOT, "%-8s %-9s %4d %5d %5d %5d %2d %3s | %10s %10s %10s %8s", s.cell(), s.mode(),
                    s.batch(), s.steps(), s.input(), s.hidden(), s.layers(), s.bidirectional() ? "bi" : "uni",
                    ms(r.recur().medianMs()), ms(r.recur().minMs()), ms(r.recur().maxMs()), gflops(r.gflops(r.recur())));
            for (Peer p : peers) {
                PeerOutcome o = r.peer(p);
                if (o.measured()) {
                    out.printf(Locale.ROOT, " | %10s %8s %11.2f", ms(o.timing().medianMs()), gflops(r.gflops(o.timing())),
                            r.ratio(p));
                } else {
                    int note = refusals.computeIfAbsent(p.id() + ": " + o.refusal(), k -> refusals.size() + 1);
                    out.printf(Locale.ROOT, " | %10s %8s %11s", "refused", "[" + note + "]", "-");
                }
            }
            out.println();
        }
        if (!peers.isEmpty()) {
            out.println("peer/recur = peer median / Recur median: above 1 means Recur is faster");
        }
        refusals.forEach((reason, note) -> out.println("[" + note + "] " + reason));
    }

    /** Milliseconds with about four significant digits. */
    private static String ms(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.1f" : v >= 10 ? "%.2f" : v >= 1 ? "%.3f" : "%.4f", v);
    }

    /** GFLOP/s with three significant digits for small rates. */
    private static String gflops(double v) {
        return String.format(Locale.ROOT, v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f", v);
    }

    private String commandLine() {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        return "recur " + String.join(" ", args);
    }

    private static String now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }
}
