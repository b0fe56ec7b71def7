/**
 * Training's optimisation layer, with the semantics of {@code torch.optim}: optimizers
 * ({@link dev.recur.engine.train.SGD}, {@link dev.recur.engine.train.RMSprop},
 * {@link dev.recur.engine.train.Adam}, {@link dev.recur.engine.train.AdamW}) that update
 * {@link dev.recur.engine.nn.Parameter}s from their gradients, gradient clipping by global norm
 * ({@link dev.recur.engine.train.GradientClipping}), and learning-rate schedules
 * ({@link dev.recur.engine.train.StepLR}, {@link dev.recur.engine.train.CosineAnnealingLR},
 * {@link dev.recur.engine.train.ReduceLROnPlateau}).
 *
 * <p>A training step, as in PyTorch:
 * <pre>{@code
 * try (Adam adam = new Adam(model.parameters(), Adam.Options.defaults().withLr(2e-3))) {
 *     var schedule = new CosineAnnealingLR(adam, steps, 1e-5);
 *     for (int step = 0; step < steps; step++) {
 *         adam.zeroGrad();
 *         ... forward, loss, graph.backward(loss) ...
 *         GradientClipping.clipGradNorm(adam.parameters(), 1.0);
 *         adam.step();
 *         schedule.step();
 *     }
 * }
 * }</pre>
 *
 * <p>Checkpoints: {@link dev.recur.engine.train.Optimizer#stateDict()} gives the optimizer's
 * off-heap state as named float32 tensors ({@code state.<parameter>.exp_avg},
 * {@code state.<parameter>.step}, ...), ready for a safetensors writer;
 * {@link dev.recur.engine.train.Optimizer#loadStateDict} takes them back. The learning rate and a
 * schedule's progress are doubles, kept apart ({@code learningRate()}, the schedules'
 * {@code stateDict()}). Each class's javadoc gives the torch rule it implements; the tests hold
 * every optimizer, the clipping and the schedules against torch's own results.
 *
 * <p>{@link dev.recur.engine.train.Checkpoint} puts all of it in one safetensors file: the
 * parameters under their own (PyTorch) names, the optimizer's state under {@code optimizer.}, and
 * in {@code __metadata__} the model configuration, optimizer kind, options and learning rate, the
 * schedule's state, the caller's RNG state ({@code long[]}), progress and a task map. Saves are
 * atomic; {@code restore} checks the whole file against the model, optimizer and schedule before
 * it changes any of them, and reports a mismatch as one line naming the file and the key
 * ({@link dev.recur.engine.train.CheckpointException}, an {@code IOException}).
 *
 * <p>Truncated backpropagation through time for a language model read as a continuous stream:
 * {@link dev.recur.engine.train.TokenStream} cuts a token sequence into B parallel rows and
 * consecutive chunks (PyTorch word_language_model's {@code batchify}/{@code get_batch}),
 * {@link dev.recur.engine.train.CarriedState} holds the detached h (and c) each row carries from
 * chunk to chunk, and {@link dev.recur.engine.train.TruncatedBptt} runs TBPTT(k1, k2) on one chunk
 * (its javadoc gives the exact semantics); the caller clips and steps as above:
 * <pre>{@code
 * TokenStream stream = new TokenStream(corpus.trainIds(), batch);
 * TruncatedBptt tbptt = new TruncatedBptt(k1, k2);
 * try (CarriedState state = CarriedState.zeros(model.rnn().config(), batch)) {
 *     while (stream.hasNext()) {
 *         adam.zeroGrad();
 *         TruncatedBptt.Result r = tbptt.step(model, state, stream.next(k1), kernels);
 *         GradientClipping.clipGradNorm(adam.parameters(), 1.0);
 *         adam.step();
 *     }
 * }
 * }</pre>
 * A checkpoint keeps the carried state with the parameters
 * ({@link dev.recur.engine.train.CarriedState#checkpointEntries()}) and the stream's position
 * (e.g. in its task map), so a resumed run continues exactly.
 *
 * <p>Knows models, the graph and the data; not flags, commands or files other than checkpoints.
 */
package dev.recur.engine.train;
