package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Autoregressive greedy decoding shared by Seq2Seq and ConditionedGenerator: one step at a time. */
final class GreedyDecoder {
    private GreedyDecoder() {
    }

    /**
     * Feeds {@code bos}, then each sample's previous argmax, through body (one step, state carried
     * in h/c) and head; a sample stops after emitting {@code eos} (not included in its result; -1:
     * no end token) or after maxSteps tokens.
     */
    static int[][] decode(Graph g, RecurrentStack body, Linear head, Var h0, Var c0, int batch, int bos, int eos, int maxSteps) {
        if (maxSteps < 0) throw new IllegalArgumentException("maxSteps must be >= 0, got " + maxSteps);
        List<List<Integer>> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) out.add(new ArrayList<>());
        boolean[] done = new boolean[batch];
        int[] prev = new int[batch];
        Arrays.fill(prev, bos);
        Var h = h0, c = c0;
        for (int s = 0; s < maxSteps; s++) {
            Recurrent.Output o = body.run(g, body.embed(g, prev, 1, batch), null, h, c);
            Tensor logits = head.forward(g, o.output()).value();   // [1, B, V]
            int vocab = logits.dim(2);
            boolean all = true;
            for (int b = 0; b < batch; b++) {
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (logits.get((long) b * vocab + v) > logits.get((long) b * vocab + best)) best = v;
                }
                prev[b] = best;
                if (!done[b]) {
                    if (best == eos) done[b] = true;
                    else out.get(b).add(best);
                }
                all &= done[b];
            }
            if (all) break;
            h = o.hN();
            c = o.cN();
        }
        int[][] result = new int[batch][];
        for (int b = 0; b < batch; b++) result[b] = out.get(b).stream().mapToInt(Integer::intValue).toArray();
        return result;
    }
}
