package dev.recur.engine.cli.bench;

/**
 * What a peer did with one shape: a timing, or the reason it cannot run that shape (ONNX Runtime
 * does not train; an export the runtime rejects). Exactly one of the two is non-null.
 */
record PeerOutcome(Sampler.Timing timing, String refusal) {
    PeerOutcome {
        if ((timing == null) == (refusal == null)) {
            throw new IllegalArgumentException("a peer outcome is a timing or a refusal");
        }
    }

    static PeerOutcome timed(Sampler.Timing timing) {
        return new PeerOutcome(timing, null);
    }

    static PeerOutcome refused(String why) {
        return new PeerOutcome(null, why);
    }

    boolean measured() {
        return timing != null;
    }
}
