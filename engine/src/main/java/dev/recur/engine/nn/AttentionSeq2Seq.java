package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Attention;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Sequence to sequence with attention over token ids: an encoder (embedding, a recurrent stack,
 * bidirectional allowed) reads the source; a decoder writes the target one token at a time.
 * Per decoder step t, with h the decoder's state after step t - 1 (zeros before the first):
 * <pre>
 *   c_t    = attention(h's top layer over the encoder's outputs, padded source steps masked)
 *   h      = decoder cell([embedding(y_{t-1}); c_t], h)
 *   logits = head([h's output; c_t])
 * </pre>
 * Bahdanau et al.'s flow, with the score a choice ({@link Score}): additive (Bahdanau), or
 * multiplicative (Luong's dot and general). The decoder's width is the encoder's output width
 * (hidden × directions), so that a dot score needs no projection. Training reads the true previous
 * token (teacher forcing: {@link #forward}); decoding feeds back its own choices ({@link
 * #greedyDecode}, {@link #beamDecode}).
 *
 * <p>Parameters: {@code encoder.embedding.weight}, {@code encoder.rnn.*}, {@code
 * decoder.embedding.weight}, {@code decoder.rnn.*}, {@code attention.*} (additive: {@code keys}
 * [A, H], {@code query} [A, H], {@code v} [1, A]; general: {@code query} [H, H]; dot: none),
 * {@code head.weight} [V, 2H], {@code head.bias}.
 */
public final class AttentionSeq2Seq implements Module {
    /** How a decoder state scores an encoder state. */
    public enum Score {
        /** v · tanh(W1 h_s + W2 q) (Bahdanau et al. 2015). */
        ADDITIVE,
        /** h_s · q (Luong et al. 2015, "dot"). */
        DOT,
        /** h_s · (W q) (Luong et al. 2015, "general"). */
        GENERAL;

        public static Score parse(String name) {
            for (Score s : values()) if (s.name().equalsIgnoreCase(name)) return s;
            throw new IllegalArgumentException("'" + name + "' is not an attention score: expected additive, dot or general");
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A source read by the encoder: its outputs (the values), their additive keys, and its lengths. */
    private record Memory(Var values, Var keys, int[] lengths, int steps, int batch) {
    }

    /** One decoder step's logits [B, V], the state after it, and the attention weights [B, S]. */
    public record Step(Var logits, Var hN, Var cN, float[] weights) {
    }

    private final Score score;
    private final int width;
    private final RecurrentStack encoder, decoder;
    private final Embedding targetEmbedding;
    private final Linear keys, query, v, head;
    private final List<Parameter> parameters;

    /**
     * @param encoder   the encoder's stack (its input size is the source embedding's width)
     * @param attention additive scores' inner width A (ignored by dot and general)
     */
    public AttentionSeq2Seq(RecurrentConfig encoder, int sourceVocabulary, int targetVocabulary, int targetEmbedding,
                            Score score, int attention, float dropout, long seed) {
        if (encoder.batchFirst() || encoder.projSize() > 0) {
            throw new IllegalArgumentException("the encoder must be time-major, without projection: " + encoder);
        }
        SplittableRandom seeds = new SplittableRandom(seed);
        this.score = score;
        this.width = encoder.hiddenSize() * encoder.directions();
        this.encoder = new RecurrentStack("encoder.", encoder, sourceVocabulary, dropout, seeds.nextLong());
        this.targetEmbedding = new Embedding("decoder.embedding.", targetVocabulary, targetEmbedding, seeds.nextLong());
        RecurrentConfig cell = RecurrentConfig.of(encoder.mode(), targetEmbedding + width, width).withLayers(encoder.numLayers());
        this.decoder = new RecurrentStack("decoder.", cell, 0, dropout, seeds.nextLong());
        this.keys = score == Score.ADDITIVE ? new Linear("attention.keys.", width, attention, false, seeds.nextLong()) : null;
        this.query = switch (score) {
            case ADDITIVE -> new Linear("attention.query.", width, attention, false, seeds.nextLong());
            case GENERAL -> new Linear("attention.query.", width, width, false, seeds.nextLong());
            case DOT -> null;
        };
        this.v = score == Score.ADDITIVE ? new Linear("attention.v.", attention, 1, false, seeds.nextLong()) : null;
        this.head = new Linear("head.", 2 * width, targetVocabulary, seeds.nextLong());
        List<Parameter> all = new ArrayList<>(this.encoder.parameters());
        all.addAll(this.targetEmbedding.parameters());
        all.addAll(this.decoder.parameters());
        for (Linear l : new Linear[]{keys, query, v}) if (l != null) all.addAll(l.parameters());
        all.addAll(head.parameters());
        this.parameters = List.copyOf(all);
    }

    public Score score() {
        return score;
    }

    private Memory encode(Graph g, int[] sourceTokens, int steps, int batch, int[] lengths) {
        Var values = encoder.run(g, encoder.embed(g, sourceTokens, steps, batch), lengths, null, null).output();
        return new Memory(values, keys == null ? null : keys.forward(g, values), lengths, steps, batch);
    }

    /** One step: the previous tokens [B] and the state after the previous step (null: zeros). */
    private Step step(Graph g, Memory m, int[] previous, Var h, Var c) {
        int b = m.batch();
        Var top = h == null ? g.constant(g.arena().zeros(b, width))
                : Shapes.reshape(Shapes.slice(h, 0, h.dim(0) - 1, h.dim(0)), b, width);
        Attention.Output a = switch (score) {
            case ADDITIVE -> Attention.additive(m.keys(), query.forward(g, top), Shapes.reshape(v.weight().in(g), v.inFeatures()),
                    m.values(), m.lengths());
            case DOT -> Attention.dot(m.values(), top, m.lengths());
            case GENERAL -> Attention.dot(m.values(), query.forward(g, top), m.lengths());
        };
        Var input = Shapes.concat(2, targetEmbedding.forward(g, previous, 1, b), Shapes.reshape(a.context(), 1, b, width));
        Recurrent.Output o = decoder.run(g, input, null, h, c);
        Var logits = head.forward(g, Shapes.concat(1, Shapes.reshape(o.output(), b, width), a.context()));
        return new Step(logits, o.hN(), o.cN(), a.weights());
    }

    /**
     * Teacher forcing: logits [T'·B, V] (time-major rows) for decoder inputs {@code previous}
     * (time-major [T'·B]: bos, then the targets but the last) given source token ids [S·B].
     */
    public Var forward(Graph g, int[] sourceTokens, int sourceSteps, int batch, int[] sourceLengths, int[] previous,
                       int targetSteps) {
        Memory m = encode(g, sourceTokens, sourceSteps, batch, sourceLengths);
        Var h = null, c = null;
        Var[] logits = new Var[targetSteps];
        for (int t = 0; t < targetSteps; t++) {
            Step s = step(g, m, Arrays.copyOfRange(previous, t * batch, (t + 1) * batch), h, c);
            logits[t] = s.logits();
            h = s.hN();
            c = s.cN();
        }
        return targetSteps == 1 ? logits[0] : Shapes.concat(0, logits);
    }

    /** Mean cross-entropy over the target steps whose mask is 1 (time-major [T'·B]). */
    public static Var loss(Var logits, int[] targets, float[] mask) {
        return Losses.softmaxCrossEntropy(logits, targets, mask);
    }

    /** A decoded sequence (without bos and eos) and its attention weights, one row [S] per output token. */
    public record Decoded(int[] tokens, float[][] attention) {
    }

    /** Greedy decoding of a batch on an inference graph: each step feeds back its most likely token. */
    public List<Decoded> greedyDecode(Kernels kernels, int[] sourceTokens, int sourceSteps, int batch, int[] sourceLengths,
                                      int bos, int eos, int maxSteps) {
        try (Graph g = Graph.inference(kernels)) {
            Memory m = encode(g, sourceTokens, sourceSteps, batch, sourceLengths);
            List<List<Integer>> tokens = new ArrayList<>();
            List<List<float[]>> weights = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                tokens.add(new ArrayList<>());
                weights.add(new ArrayList<>());
            }
            boolean[] done = new boolean[batch];
            int[] previous = new int[batch];
            Arrays.fill(previous, bos);
            Var h = null, c = null;
            for (int t = 0; t < maxSteps; t++) {
                Step s = step(g, m, previous, h, c);
                float[] z = s.logits().value().toArray();
                int vocabulary = z.length / batch;
                boolean all = true;
                for (int b = 0; b < batch; b++) {
                    int best = 0;
                    for (int k = 1; k < vocabulary; k++) if (z[b * vocabulary + k] > z[b * vocabulary + best]) best = k;
                    previous[b] = best;
                    if (done[b]) continue;
                    if (best == eos) {
                        done[b] = true;
                    } else {
                        tokens.get(b).add(best);
                        weights.get(b).add(Arrays.copyOfRange(s.weights(), b * sourceSteps, (b + 1) * sourceSteps));
                    }
                    all &= done[b];
                }
                if (all) break;
                h = s.hN();
                c = s.cN();
            }
            List<Decoded> out = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                out.add(new Decoded(tokens.get(b).stream().mapToInt(Integer::intValue).toArray(),
                        weights.get(b).toArray(float[][]::new)));
            }
            return out;
        }
    }

    /**
     * Beam search for one source (token ids [S]): each step extends the live sequences by every
     * token and keeps the {@code beam} most probable (sum of log-probabilities); of those, the ones
     * ending at eos are finished. Returns the most probable finished one (if none finished within
     * {@code maxSteps}, the most probable live one), with its attention weights. A beam of 1 is
     * greedy decoding; the search stops once no live sequence can beat the best finished one.
     */
    public Decoded beamDecode(Kernels kernels, int[] sourceTokens, int bos, int eos, int beam, int maxSteps) {
        if (beam < 1) throw new IllegalArgumentException("beam width must be >= 1, got " + beam);
        int steps = sourceTokens.length;
        List<Hypothesis> live = List.of(new Hypothesis(new int[0], new float[0][], 0, 0));
        Hypothesis best = null;
        try (Graph g = Graph.inference(kernels)) {
            // The source encoded once, its memory repeated per beam row: one batched step scores every hypothesis.
            Memory one = encode(g, sourceTokens, steps, 1, null);
            Var[] values = new Var[beam], keys = one.keys() == null ? null : new Var[beam];
            for (int i = 0; i < beam; i++) {
                values[i] = one.values();
                if (keys != null) keys[i] = one.keys();
            }
            Memory m = beam == 1 ? one : new Memory(Shapes.concat(1, values), keys == null ? null : Shapes.concat(1, keys),
                    null, steps, beam);
            Var h = null, c = null;
            for (int t = 0; t < maxSteps && !live.isEmpty(); t++) {
                int[] previous = new int[beam];
                for (int i = 0; i < live.size(); i++) {
                    int[] tk = live.get(i).tokens();
                    previous[i] = tk.length == 0 ? bos : tk[tk.length - 1];
                }
                Var hIn = h == null ? null : reorder(g, h, live, beam), cIn = c == null ? null : reorder(g, c, live, beam);
                Step s = step(g, m, previous, hIn, cIn);
                float[] z = s.logits().value().toArray();
                int vocabulary = z.length / beam;
                List<Hypothesis> candidates = new ArrayList<>();
                for (int i = 0; i < live.size(); i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int k = 0; k < vocabulary; k++) max = Math.max(max, z[i * vocabulary + k]);
                    for (int k = 0; k < vocabulary; k++) sum += Math.exp(z[i * vocabulary + k] - max);
                    double lse = max + Math.log(sum);
                    Hypothesis parent = live.get(i);
                    float[][] attention = Arrays.copyOf(parent.attention(), parent.attention().length + 1);
                    attention[attention.length - 1] = Arrays.copyOfRange(s.weights(), i * steps, (i + 1) * steps);
                    for (int k = 0; k < vocabulary; k++) {
                        int[] tokens = Arrays.copyOf(parent.tokens(), parent.tokens().length + 1);
                        tokens[tokens.length - 1] = k;
                        candidates.add(new Hypothesis(tokens, attention, parent.logProbability() + z[i * vocabulary + k] - lse, i));
                    }
                }
                candidates.sort((x, y) -> Double.compare(y.logProbability(), x.logProbability()));
                // The beam's best candidates: those that end are finished, the others live on, unless
                // they can no longer beat the best finished one (log-probabilities only fall).
                List<Hypothesis> next = new ArrayList<>();
                for (Hypothesis x : candidates.subList(0, Math.min(beam, candidates.size()))) {
                    if (x.tokens()[x.tokens().length - 1] == eos) {
                        if (best == null || x.logProbability() > best.logProbability()) best = x;
                    } else {
                        next.add(x);
                    }
                }
                double bar = best == null ? Double.NEGATIVE_INFINITY : best.logProbability();
                next.removeIf(x -> x.logProbability() <= bar);
                live = next;
                h = s.hN();
                c = s.cN();
            }
        }
        Hypothesis chosen = best != null ? best : live.getFirst();   // none ended within maxSteps: the likeliest
        int[] tokens = chosen.tokens();
        boolean ended = tokens.length > 0 && tokens[tokens.length - 1] == eos;
        int n = ended ? tokens.length - 1 : tokens.length;
        return new Decoded(Arrays.copyOf(tokens, n), Arrays.copyOf(chosen.attention(), n));
    }

    /** A partial sequence of a beam search: its tokens, their attention rows, its log-probability, its parent's row. */
    private record Hypothesis(int[] tokens, float[][] attention, double logProbability, int row) {
    }

    /** The state rows [L, beam, H] of each live hypothesis's parent, in the live order (padded with row 0). */
    private static Var reorder(Graph g, Var state, List<Hypothesis> live, int beam) {
        int layers = state.dim(0), w = state.dim(2);
        float[] from = state.value().toArray(), to = new float[from.length];
        for (int i = 0; i < beam; i++) {
            int parent = i < live.size() ? live.get(i).row() : 0;
            for (int l = 0; l < layers; l++) {
                System.arraycopy(from, (l * beam + parent) * w, to, (l * beam + i) * w, w);
            }
        }
        return g.constant(g.arena().of(to, layers, beam, w));
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public void setRecurrentExecution(RecurrentExecution execution) {
        encoder.setRecurrentExecution(execution);
        decoder.setRecurrentExecution(execution);
    }

    @Override
    public void close() {
        encoder.close();
        targetEmbedding.close();
        decoder.close();
        for (Linear l : new Linear[]{keys, query, v}) if (l != null) l.close();
        head.close();
    }
}
