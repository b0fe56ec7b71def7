package dev.recur.engine.cli.bench;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** An engine timed beside Recur by {@code recur bench --peer}; both run in the {@link PythonPeer} process. */
enum Peer {
    /** PyTorch's nn.LSTM/GRU/RNN, eager, under inference_mode or with autograd. */
    TORCH("torch", "PyTorch"),
    /** ONNX Runtime's CPU provider on the same module exported with torch.onnx.export. */
    ORT("ort", "ONNX Runtime"),
    /**
     * PyTorch's dynamically quantized nn.LSTM/GRU ({@code torch.ao.quantization.quantize_dynamic},
     * int8 weights, fp32 activations): inference only, no nn.RNN. A reduced-precision peer, for
     * Recur's bf16 weights; not counted in {@link BenchResult#bestPeerRatio}.
     */
    TORCH_INT8("torch-int8", "PyTorch int8 (quantize_dynamic)"),
    /**
     * PyTorch's module and input in bfloat16 on GPU 0 (cuDNN), beside {@code --device cuda} only:
     * a reduced-precision peer, reported beside the fp32 one and not counted in
     * {@link BenchResult#bestPeerRatio}.
     */
    TORCH_BF16("torch-bf16", "PyTorch bf16"),
    /**
     * PyTorch fp32 on GPU 0 beside {@code --device cuda}, its input uploaded (from pinned host
     * memory) and its output downloaded in every run: the host-to-host work Recur's GPU run does,
     * and a service's request would.
     */
    TORCH_HOST("torch-host", "PyTorch host I/O");

    private final String id;
    private final String displayName;

    Peer(String id, String displayName) {
        this.id = id;
        this.displayName = displayName;
    }

    String id() {
        return id;
    }

    String displayName() {
        return displayName;
    }

    /** Whether this peer can run beside {@code --device cuda} (on the same GPU). */
    boolean runsOnGpu() {
        return this == TORCH || this == TORCH_BF16 || this == TORCH_HOST;
    }

    /** Whether this peer computes with fp32 weights, as Recur does by default. */
    boolean fullPrecision() {
        return this != TORCH_INT8 && this != TORCH_BF16;
    }

    /** "torch", "ort", "torch,ort,torch-int8", ... (any order, no repeats) in declaration order. */
    static List<Peer> parseList(String text) {
        Set<Peer> chosen = EnumSet.noneOf(Peer.class);
        for (String part : text.split(",", -1)) {
            Peer p = null;
            for (Peer candidate : values()) {
                if (candidate.id.equals(part.strip())) p = candidate;
            }
            if (p == null || !chosen.add(p)) {
                throw new IllegalArgumentException(part);
            }
        }
        return new ArrayList<>(chosen);
    }
}
