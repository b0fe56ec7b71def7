package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.nn.AttentionSeq2Seq;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.train.Checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the sequence-to-sequence tasks (dates, pairs) share: an {@link AttentionSeq2Seq} trained by
 * teacher forcing on batches of token-id pairs; the loss per target token (padded target steps
 * masked); the metric exact match, the share of sources whose greedy decoding is the whole target.
 */
abstract class TranslationTask extends AbstractTrainingTask<AttentionSeq2Seq, TranslationTask.Batch> {
    /**
     * Sources as time-major ids [S·B] with lengths; decoder inputs and targets [T'·B] (each target
     * followed by eos, padded with 0 under a mask of 0); and each target's ids without eos.
     */
    record Batch(int[] source, int steps, int batch, int[] lengths, int[] previous, int[] targets, float[] mask,
                 int targetSteps, int[][] expected) {
        /** {@code targets} without eos: it is appended here. */
        static Batch of(List<int[]> sources, List<int[]> targets, int bos, int eos) {
            int b = sources.size(), steps = 0, t = 0;
            for (int[] s : sources) steps = Math.max(steps, s.length);
            for (int[] y : targets) t = Math.max(t, y.length + 1);
            int[] source = new int[steps * b], lengths = new int[b], previous = new int[t * b], target = new int[t * b];
            float[] mask = new float[t * b];
            int[][] expected = new int[b][];
            for (int i = 0; i < b; i++) {
                int[] ids = sources.get(i), y = targets.get(i);
                lengths[i] = ids.length;
                for (int s = 0; s < ids.length; s++) source[s * b + i] = ids[s];
                for (int s = 0; s <= y.length; s++) {
                    target[s * b + i] = s < y.length ? y[s] : eos;
                    previous[s * b + i] = s == 0 ? bos : y[s - 1];
                    mask[s * b + i] = 1;
                }
                expected[i] = y.clone();
            }
            return new Batch(source, steps, b, lengths, previous, target, mask, t, expected);
        }
    }

    private final int bos, eos;

    TranslationTask(AttentionSeq2Seq model, DataState data, int bos, int eos) {
        super(model, data);
        this.bos = bos;
        this.eos = eos;
    }

    /** The most tokens a decoding may write (eos included) before it is cut. */
    abstract int maxDecodeSteps();

    @Override
    public final String metricName() {
        return "val_exact_match";
    }

    @Override
    public final boolean higherIsBetter() {
        return true;
    }

    final Var loss(Graph g, Batch b) {
        Var logits = model().forward(g, b.source(), b.steps(), b.batch(), b.lengths(), b.previous(), b.targetSteps());
        return AttentionSeq2Seq.loss(logits, b.targets(), b.mask());
    }

    /** Loss per target token; metric per pair: 1 when the greedy decoding is the whole target. */
    @Override
    final void score(Graph g, Batch b, Totals totals) {
        double loss = loss(g, b).value().get(0);
        List<AttentionSeq2Seq.Decoded> decoded = model().greedyDecode(g.kernels(), b.source(), b.steps(), b.batch(),
                b.lengths(), bos, eos, maxDecodeSteps());
        int right = 0;
        for (int i = 0; i < b.batch(); i++) if (Arrays.equals(decoded.get(i).tokens(), b.expected()[i])) right++;
        totals.add(loss * b.batch(), right, b.batch());
    }

    /** {@code model.*} of a translation model: its encoder, the score, and both vocabularies. */
    static Map<String, String> modelConfig(RecurrentConfig encoder, AttentionSeq2Seq.Score score, int attention,
                                           int sourceVocabulary, int targetVocabulary) {
        Map<String, String> head = new LinkedHashMap<>();
        head.put("head", "seq2seq_attention");
        head.put("score", score.id());
        head.put("attention", Integer.toString(attention));
        head.put("source_vocabulary", Integer.toString(sourceVocabulary));
        head.put("target_vocabulary", Integer.toString(targetVocabulary));
        return TaskConfigs.recurrent(encoder, head);
    }

    /** The encoder and the score a translation checkpoint's {@code model.*} describe. */
    record Saved(RecurrentConfig encoder, AttentionSeq2Seq.Score score, int attention) {
        static Saved of(Path file, Checkpoint saved) {
            Map<String, String> m = saved.modelConfig();
            try {
                RecurrentConfig encoder = RecurrentConfig.of(CellMode.parse(m.getOrDefault("cell", "")),
                                Integer.parseInt(m.get("input")), Integer.parseInt(m.get("hidden")))
                        .withLayers(Integer.parseInt(m.get("layers"))).withBidirectional(Boolean.parseBoolean(m.get("bidirectional")));
                return new Saved(encoder, AttentionSeq2Seq.Score.parse(m.getOrDefault("score", "")),
                        Integer.parseInt(m.get("attention")));
            } catch (RuntimeException e) {
                throw new UserError(file + ": model metadata does not describe a translation model: " + e.getMessage());
            }
        }
    }

    /** One source's decoding: greedy (beam 1) or beam search. */
    static AttentionSeq2Seq.Decoded translate(AttentionSeq2Seq model, Kernels kernels, int[] ids, int beam, int bos, int eos,
                                             int maxSteps) {
        return beam <= 1
                ? model.greedyDecode(kernels, ids, ids.length, 1, new int[]{ids.length}, bos, eos, maxSteps).getFirst()
                : model.beamDecode(kernels, ids, bos, eos, beam, maxSteps);
    }
}
