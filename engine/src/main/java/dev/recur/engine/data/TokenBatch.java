package dev.recur.engine.data;

/**
 * A language-model batch, time-major: {@code targets[t*B + b]} is the token that follows
 * {@code inputs[t*B + b]} in the text.
 *
 * @param inputs  [T, B] token ids
 * @param targets [T, B] token ids, the inputs shifted by one position
 */
public record TokenBatch(int steps, int batchSize, int[] inputs, int[] targets) {
}
