package dev.recur.engine.cli.bench;

/** The figures of one shape: Recur's timing and, with --peer, PyTorch's (else null). */
record BenchResult(BenchShape shape, Sampler.Timing recur, Sampler.Timing torch) {
    long flops() {
        return shape.flops();
    }

    /** FLOPs / median time, in GFLOP/s. */
    double gflops(Sampler.Timing t) {
        return shape.flops() / (t.medianMs() * 1e6);
    }

    /** torch median / Recur median: above 1 means Recur is faster; NaN without a peer. */
    double ratio() {
        return torch == null ? Double.NaN : torch.medianMs() / recur.medianMs();
    }
}
