package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Losses;
import dev.recur.engine.autodiff.Shapes;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Sequence-to-sequence over real values (e.g. multi-step forecasting): the encoder's final state
 * initialises a decoder whose input at each step is the previous output vector through a Linear
 * ({@code decoder.input.*}); a Linear head ({@code head.*}) gives the output vector. Training uses
 * teacher forcing ({@link #teacherInputs}: the start vector, then the true previous outputs);
 * {@link #predict} feeds back its own predictions. Parameters: {@code encoder.rnn.*},
 * {@code decoder.input.weight/bias}, {@code decoder.rnn.*}, {@code head.weight/bias}.
 *
 * <p>Both stacks are time-major and unidirectional, with the same cell, layers and state width.
 */
public final class Seq2SeqRegressor implements Module {
    private final RecurrentStack encoder, decoder;
    private final Linear decoderInput, head;
    private final int outputs;
    private final List<Parameter> parameters;

    public Seq2SeqRegressor(RecurrentConfig encoder, RecurrentConfig decoder, int outputs, float dropout, long seed) {
        if (encoder.bidirectional() || decoder.bidirectional() || encoder.batchFirst() || decoder.batchFirst()) {
            throw new IllegalArgumentException("Seq2SeqRegressor needs unidirectional, time-major encoder and decoder");
        }
        if (encoder.mode() != decoder.mode() || encoder.numLayers() != decoder.numLayers()
                || encoder.hiddenSize() != decoder.hiddenSize() || encoder.outputSize() != decoder.outputSize()) {
            throw new IllegalArgumentException("the encoder's final state must fit the decoder: " + encoder + " vs " + decoder);
        }
        SplittableRandom seeds = new SplittableRandom(seed);
        this.outputs = outputs;
        this.encoder = new RecurrentStack("encoder.", encoder, 0, dropout, seeds.nextLong());
        this.decoderInput = new Linear("decoder.input.", outputs, decoder.inputSize(), seeds.nextLong());
        this.decoder = new RecurrentStack("decoder.", decoder, 0, dropout, seeds.nextLong());
        this.head = new Linear("head.", decoder.outputSize(), outputs, seeds.nextLong());
        this.parameters = Module.concat(this.encoder.parameters(), decoderInput.parameters(), this.decoder.parameters(),
                head.parameters());
    }

    /**
     * Teacher forcing: predictions [T', B, O] from source [T, B, I] (lengths [B] or null) and the
     * decoder's previous outputs [T', B, O] (usually {@link #teacherInputs}).
     */
    public Var forward(Graph g, Var source, int[] sourceLengths, Var previousOutputs) {
        Recurrent.Output enc = encoder.run(g, source, sourceLengths, null, null);
        return head.forward(g, decode(g, previousOutputs, enc.hN(), enc.cN()).output());
    }

    private Recurrent.Output decode(Graph g, Var previous, Var h, Var c) {
        return decoder.run(g, decoderInput.forward(g, previous), null, h, c);
    }

    /** [start, targets[0..T'-2]]: start [B, O], targets [T', B, O] -> [T', B, O]. */
    public static Var teacherInputs(Var start, Var targets) {
        int steps = targets.dim(0), batch = targets.dim(1), width = targets.dim(2);
        Var first = Shapes.reshape(start, 1, batch, width);
        return steps == 1 ? first : Shapes.concat(0, first, Shapes.slice(targets, 0, 0, steps - 1));
    }

    /** Mean squared error over every step and output. */
    public static Var loss(Var prediction, Var target) {
        return Losses.mse(prediction, target);
    }

    /**
     * Autoregressive prediction on an inference graph: each step's input is the previous step's
     * prediction (the first step's is {@code start} [B, O]). Returns [steps, B, O] row-major.
     */
    public float[] predict(Kernels kernels, Tensor source, int[] sourceLengths, Tensor start, int steps) {
        try (Graph g = Graph.inference(kernels)) {
            Recurrent.Output enc = encoder.run(g, g.constant(source), sourceLengths, null, null);
            int batch = start.dim(0);
            float[] out = new float[steps * batch * outputs];
            Var previous = Shapes.reshape(g.constant(start), 1, batch, outputs);
            Var h = enc.hN(), c = enc.cN();
            for (int t = 0; t < steps; t++) {
                Recurrent.Output o = decode(g, previous, h, c);
                Var y = head.forward(g, o.output());                          // [1, B, O]
                System.arraycopy(y.value().toArray(), 0, out, t * batch * outputs, batch * outputs);
                previous = y;
                h = o.hN();
                c = o.cN();
            }
            return out;
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
        decoderInput.close();
        decoder.close();
        head.close();
    }
}
