package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Sequence-to-sequence: an encoder whose final state (h_n, and c_n for LSTM, at each sample's last
 * valid source step) initialises a decoder over target tokens; a time-distributed Linear gives
 * logits over the target vocabulary. Training uses teacher forcing (the decoder reads the true
 * previous token, {@link #teacherInputs}); inference decodes greedily, each step reading the
 * previous prediction through the decoder's Embedding.
 *
 * <p>Both stacks are time-major and unidirectional, with the same cell, layers and state width.
 * Parameters: {@code encoder.embedding.weight} (with a source vocabulary), {@code encoder.rnn.*},
 * {@code decoder.embedding.weight}, {@code decoder.rnn.*}, {@code head.weight}, {@code head.bias}.
 */
public final class Seq2Seq implements Module {
    private final RecurrentStack encoder, decoder;
    private final TimeDistributedHead head;
    private final List<Parameter> parameters;

    /** @param sourceVocabulary 0 for feature-vector sources [T, B, I], else token ids */
    public Seq2Seq(RecurrentConfig encoder, int sourceVocabulary, RecurrentConfig decoder, int targetVocabulary,
                   float dropout, long seed) {
        if (encoder.bidirectional() || decoder.bidirectional() || encoder.batchFirst() || decoder.batchFirst()) {
            throw new IllegalArgumentException("Seq2Seq needs unidirectional, time-major encoder and decoder");
        }
        if (encoder.mode() != decoder.mode() || encoder.numLayers() != decoder.numLayers()
                || encoder.hiddenSize() != decoder.hiddenSize() || encoder.outputSize() != decoder.outputSize()) {
            throw new IllegalArgumentException("the encoder's final state must fit the decoder: " + encoder + " vs " + decoder);
        }
        if (targetVocabulary < 1) throw new IllegalArgumentException("target vocabulary must be >= 1, got " + targetVocabulary);
        SplittableRandom seeds = new SplittableRandom(seed);
        this.encoder = new RecurrentStack("encoder.", encoder, sourceVocabulary, dropout, seeds.nextLong());
        this.decoder = new RecurrentStack("decoder.", decoder, targetVocabulary, dropout, seeds.nextLong());
        this.head = new TimeDistributedHead("head.", decoder.outputSize(), targetVocabulary, seeds.nextLong());
        this.parameters = Module.concat(this.encoder.parameters(), this.decoder.parameters(), head.parameters());
    }

    /** The encoder's output and final state for source x [T, B, I] and lengths [B] (or null). */
    public Recurrent.Output encode(Graph g, Var source, int[] sourceLengths) {
        return encoder.run(g, source, sourceLengths, null, null);
    }

    /** Source token ids, time-major [T·B], as the encoder's input. */
    public Var embedSource(Graph g, int[] sourceTokens, int steps, int batch) {
        return encoder.embed(g, sourceTokens, steps, batch);
    }

    /**
     * Teacher forcing: logits [T', B, V] for decoder inputs (time-major [T'·B] token ids, usually
     * {@link #teacherInputs}) given the source.
     */
    public Var forward(Graph g, Var source, int[] sourceLengths, int[] decoderInputs, int targetSteps, int[] targetLengths) {
        Recurrent.Output enc = encode(g, source, sourceLengths);
        int batch = enc.hN().dim(1);
        Var y = decoder.run(g, decoder.embed(g, decoderInputs, targetSteps, batch), targetLengths, enc.hN(), enc.cN()).output();
        return head.forward(g, y);
    }

    /** Cross-entropy over the valid target steps only; targets time-major [T'·B]. */
    public static Var loss(Var logits, int[] targets, int[] targetLengths) {
        return TimeDistributedHead.loss(logits, targets, targetLengths);
    }

    /** Targets shifted one step right behind {@code bos}: the decoder's inputs under teacher forcing. */
    public static int[] teacherInputs(int[] targets, int steps, int batch, int bos) {
        if (targets.length != steps * batch) throw new IllegalArgumentException(targets.length + " targets for T·B = " + steps * batch);
        int[] in = new int[steps * batch];
        for (int b = 0; b < batch; b++) in[b] = bos;
        System.arraycopy(targets, 0, in, batch, (steps - 1) * batch);
        return in;
    }

    /**
     * Greedy decoding on an inference graph: per sample, the tokens predicted after {@code bos},
     * up to {@code eos} (excluded; -1: none) or {@code maxSteps} tokens.
     */
    public int[][] greedyDecode(Kernels kernels, Tensor source, int[] sourceLengths, int bos, int eos, int maxSteps) {
        try (Graph g = Graph.inference(kernels)) {
            Recurrent.Output enc = encode(g, g.constant(source), sourceLengths);
            return GreedyDecoder.decode(g, decoder, head.linear(), enc.hN(), enc.cN(), enc.hN().dim(1), bos, eos, maxSteps);
        }
    }

    /** {@link #greedyDecode(Kernels, Tensor, int[], int, int, int)} for source token ids, time-major [T·B]. */
    public int[][] greedyDecode(Kernels kernels, int[] sourceTokens, int steps, int batch, int[] sourceLengths,
                                int bos, int eos, int maxSteps) {
        try (Graph g = Graph.inference(kernels)) {
            Recurrent.Output enc = encode(g, encoder.embed(g, sourceTokens, steps, batch), sourceLengths);
            return GreedyDecoder.decode(g, decoder, head.linear(), enc.hN(), enc.cN(), batch, bos, eos, maxSteps);
        }
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
        decoder.close();
        head.close();
    }
}
