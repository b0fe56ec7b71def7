package dev.recur.engine.cli.bench;

import java.util.Map;

/** The figures of one shape: Recur's timing and, per peer asked for, what that peer did. */
record BenchResult(BenchShape shape, Sampler.Timing recur, Map<Peer, PeerOutcome> peers) {
    BenchResult {
        peers = Map.copyOf(peers);
    }

    long flops() {
        return shape.flops();
    }

    /** FLOPs / median time, in GFLOP/s. */
    double gflops(Sampler.Timing t) {
        return shape.flops() / (t.medianMs() * 1e6);
    }

    /** The peer's outcome, or null when it was not asked for. */
    PeerOutcome peer(Peer p) {
        return peers.get(p);
    }

    /** Peer median / Recur median: above 1 means Recur is faster; NaN when the peer has no timing here. */
    double ratio(Peer p) {
        PeerOutcome o = peers.get(p);
        return o == null || !o.measured() ? Double.NaN : o.timing().medianMs() / recur.medianMs();
    }

    /** The fastest measured fp32 peer's median / Recur median; NaN when no such peer has a timing. */
    double bestPeerRatio() {
        return peers.keySet().stream().filter(Peer::fullPrecision).mapToDouble(this::ratio).filter(x -> !Double.isNaN(x))
                .min().orElse(Double.NaN);
    }
}
