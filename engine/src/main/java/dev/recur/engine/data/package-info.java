/**
 * Training data: data sets, splits and batches for the training tasks.
 *
 * <ul>
 * <li>{@link dev.recur.engine.data.Rng}: the one random generator of data and training (xoshiro256**),
 *     whose full state a checkpoint saves and restores.</li>
 * <li>{@link dev.recur.engine.data.SequenceDataset}: indexed sequences with targets
 *     ({@link dev.recur.engine.data.TargetKind}); implementations
 *     {@link dev.recur.engine.data.FashionMnist} (rows as steps),
 *     {@link dev.recur.engine.data.TensorsDataset} (a user's safetensors file) and the windows of
 *     {@link dev.recur.engine.data.ForecastData}.</li>
 * <li>{@link dev.recur.engine.data.Batches} pads samples into time-major
 *     {@link dev.recur.engine.data.SequenceBatch}es with per-sample lengths;
 *     {@link dev.recur.engine.data.EpochSampler} draws shuffled epochs (state saved in checkpoints);
 *     {@link dev.recur.engine.data.IndexSplit} splits train/validation by a fixed seed.</li>
 * <li>Generated and token data: {@link dev.recur.engine.data.AddingProblem};
 *     {@link dev.recur.engine.data.CharCorpus} with its {@link dev.recur.engine.data.Vocabulary} and
 *     {@link dev.recur.engine.data.TokenBatch}es.</li>
 * </ul>
 *
 * <p>File formats live in {@code dev.recur.engine.io} ({@code IdxReader}, {@code CsvColumn},
 * {@code TextFiles}, {@code SafeTensorsFile}); their errors are one-line
 * {@link dev.recur.engine.io.DataFileException}s (or {@code SafeTensorsException}s) naming the file.
 * Batches are heap arrays, time-major ([T, B, ...]); {@code SequenceBatch.inputTensor} copies them
 * into an arena.
 *
 * <p>Knows the file formats and tensors; not models, optimizers, flags or the CLI.
 */
package dev.recur.engine.data;
