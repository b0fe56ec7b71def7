package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.CellMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The named shape lists of {@code recur bench --suite}. Each row below expands to the product of
 * its lists: {@code I} input size ({@code I=H}: equal to the hidden size, as DeepBench does),
 * {@code H} hidden size, {@code T} steps, {@code B} batch, optional {@code L} layers and {@code bi}.
 * DeepBench's own lists are {@code code/kernels/rnn_problems.h} in baidu-research/DeepBench
 * ({@code training_set} and {@code inference_server_set}); its "vanilla" cell is rnn_tanh here.
 */
public enum BenchSuite {
    /**
     * DeepBench's RNN shapes scaled to run in seconds on a 2-core CPU: its LSTM, GRU and vanilla
     * hidden sizes up to 1024, batch 1 to 64, T cut to 25..150; training steps at batch 16 and 64
     * of each family; then the four shapes of the project's published PyTorch reference figures.
     */
    DEEPBENCH_CPU("deepbench-cpu", false, """
            lstm     inference I=H   H=256  T=150 B=1,4,16,64
            lstm     inference I=H   H=512  T=25  B=1,4,16,64
            lstm     inference I=H   H=1024 T=25  B=1,4,16,64
            gru      inference I=H   H=512  T=100 B=1,4,16,64
            gru      inference I=H   H=1024 T=50  B=1,4,16,64
            rnn_tanh inference I=H   H=1024 T=50  B=1,4,16,64
            lstm     training  I=H   H=256  T=150 B=16,64
            lstm     training  I=H   H=512  T=25  B=16,64
            lstm     training  I=H   H=1024 T=25  B=16,64
            gru      training  I=H   H=512  T=100 B=16,64
            gru      training  I=H   H=1024 T=50  B=16,64
            rnn_tanh training  I=H   H=1024 T=50  B=16,64
            lstm     inference I=256 H=512  T=50  B=64
            lstm     training  I=256 H=512  T=50  B=64
            lstm     inference I=256 H=512  T=100 B=1
            gru      inference I=256 H=512  T=50  B=64
            """),
    /** DeepBench's training_set and inference_server_set, unscaled: for a GPU (--device cuda) only. */
    DEEPBENCH_GPU("deepbench-gpu", true, """
            rnn_tanh training  I=H H=1760,2048,2560      T=50                 B=16,32,64,128
            lstm     training  I=H H=512,1024,2048,4096  T=25                 B=16,32,64,128
            lstm     training  I=H H=1536                T=50                 B=8,16,32
            lstm     training  I=H H=256                 T=150                B=16,32,64
            gru      training  I=H H=2816                T=750,375,187        B=32
            gru      training  I=H H=2048,1536,2560      T=1500,750,375,187   B=32
            gru      training  I=H H=512                 T=1                  B=32
            gru      training  I=H H=1024                T=1500               B=32,64
            lstm     inference I=H H=512,1024,2048       T=25                 B=1,2,4
            lstm     inference I=H H=1536                T=50                 B=1,2,4
            lstm     inference I=H H=256                 T=150                B=1,2,4
            gru      inference I=H H=2816,2048,1536,2560 T=1500,750,375,187   B=1,2,4
            gru      inference I=H H=512                 T=1                  B=1,2,4
            gru      inference I=H H=1024                T=1500               B=1,2,4
            """),
    /**
     * Issue 17's first GPU run: one layer, T = 100, I = H, the small batches where a per-step
     * loop should beat cuDNN and the batch of 64 where it should keep up; for a GPU only.
     */
    GPU_FIRST_RUN("gpu-first-run", true, """
            lstm     inference I=H H=512,1024 T=100 B=1,4,8,64
            gru      inference I=H H=512,1024 T=100 B=1,4,8,64
            lstm     training  I=H H=512,1024 T=100 B=1,4,8,64
            gru      training  I=H H=512,1024 T=100 B=1,4,8,64
            """),
    /** One sequence at a time: what an interactive user waits for. */
    LATENCY("latency", false, """
            lstm     inference I=256 H=256,512,1024 T=100 B=1
            gru      inference I=256 H=256,512,1024 T=100 B=1
            rnn_tanh inference I=256 H=256,512,1024 T=100 B=1
            """),
    /** Tiny shapes covering every cell, mode, layers > 1 and bidirectional: tests and a quick check. */
    SMOKE("smoke", false, """
            lstm     inference I=8 H=16 T=5 B=2
            lstm     training  I=8 H=16 T=5 B=2
            gru      training  I=8 H=16 T=5 B=2
            rnn_relu inference I=8 H=16 T=5 B=3 L=2 bi
            rnn_tanh training  I=8 H=16 T=5 B=3 L=2 bi
            """);

    private final String id;
    private final boolean gpuOnly;
    private final List<BenchShape> shapes;

    BenchSuite(String id, boolean gpuOnly, String rows) {
        this.id = id;
        this.gpuOnly = gpuOnly;
        this.shapes = rows.lines().map(String::strip).filter(l -> !l.isEmpty())
                .flatMap(l -> expand(l).stream()).toList();
    }

    public String id() {
        return id;
    }

    /** True for suites sized for a GPU, which {@code recur bench} refuses to run on the CPU. */
    public boolean gpuOnly() {
        return gpuOnly;
    }

    public List<BenchShape> shapes() {
        return shapes;
    }

    /** The ids, for messages: {@code deepbench-cpu, deepbench-gpu, gpu-first-run, latency, smoke}. */
    public static String ids() {
        return String.join(", ", Arrays.stream(values()).map(BenchSuite::id).toList());
    }

    public static BenchSuite parse(String id) {
        for (BenchSuite s : values()) {
            if (s.id.equals(id)) return s;
        }
        throw new IllegalArgumentException("unknown suite '" + id + "': expected one of " + ids());
    }

    /** One row, e.g. {@code gru inference I=H H=512,1024 T=100 B=1,4 L=2 bi}, as the product of its lists. */
    static List<BenchShape> expand(String row) {
        String[] tokens = row.split("\\s+");
        CellMode cell = CellMode.parse(tokens[0]);
        BenchShape.Mode mode = BenchShape.Mode.parse(tokens[1]);
        int[] hidden = null, steps = null, batches = null, inputs = null, layers = {1};
        boolean inputIsHidden = false, bidirectional = false;
        for (int i = 2; i < tokens.length; i++) {
            String t = tokens[i];
            if (t.equals("bi")) {
                bidirectional = true;
                continue;
            }
            String value = t.substring(t.indexOf('=') + 1);
            switch (t.substring(0, t.indexOf('=') + 1)) {
                case "I=" -> {
                    inputIsHidden = value.equals("H");
                    if (!inputIsHidden) inputs = ints(value);
                }
                case "H=" -> hidden = ints(value);
                case "T=" -> steps = ints(value);
                case "B=" -> batches = ints(value);
                case "L=" -> layers = ints(value);
                default -> throw new IllegalArgumentException("suite row '" + row + "': unknown field '" + t + "'");
            }
        }
        if (hidden == null || steps == null || batches == null || (inputs == null && !inputIsHidden)) {
            throw new IllegalArgumentException("suite row '" + row + "' needs I=, H=, T= and B=");
        }
        List<BenchShape> out = new ArrayList<>();
        for (int h : hidden) {
            for (int in : inputIsHidden ? new int[]{h} : inputs) {
                for (int l : layers) {
                    for (int b : batches) {
                        for (int s : steps) {
                            out.add(new BenchShape(cell, b, s, in, h, l, bidirectional, mode));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    @Override
    public String toString() {
        return id;
    }
}
