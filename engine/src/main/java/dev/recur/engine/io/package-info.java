/**
 * File formats: safetensors ({@link dev.recur.engine.io.SafeTensorsFile},
 * {@link dev.recur.engine.io.SafeTensorsWriter}) and PyTorch state dicts in them
 * ({@link dev.recur.engine.io.RecurrentStateDict}); the data files of the training tasks: IDX arrays,
 * plain or gzip-compressed ({@link dev.recur.engine.io.IdxReader}), one numeric column of a CSV file
 * ({@link dev.recur.engine.io.CsvColumn}) and UTF-8 text corpora, a file or a folder
 * ({@link dev.recur.engine.io.TextFiles}).
 *
 * <p>Every problem with a file is an {@link java.io.IOException} whose message is one line naming the
 * file (and the key, column or line): {@link dev.recur.engine.io.SafeTensorsException} for
 * safetensors, {@link dev.recur.engine.io.DataFileException} for the others. The CLI prints it and
 * exits with code 2. What the data means (data sets, splits, batches) is in
 * {@code dev.recur.engine.data}.
 *
 * <p>Knows tensors and the models' parameter names (to load a state dict into them); not the
 * training loop, flags or the CLI.
 */
package dev.recur.engine.io;
