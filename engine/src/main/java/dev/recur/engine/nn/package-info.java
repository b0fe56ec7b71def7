/**
 * Modules with PyTorch's parameter names and initialisation, and the standard RNN models.
 *
 * <ul>
 *   <li>{@link dev.recur.engine.nn.Module}: named parameters, zeroGrad, close. {@link dev.recur.engine.nn.Linear},
 *       {@link dev.recur.engine.nn.Embedding}, {@link dev.recur.engine.nn.Dropout},
 *       {@link dev.recur.engine.nn.Recurrent} (RNN/GRU/LSTM).</li>
 *   <li>Heads: {@link dev.recur.engine.nn.ManyToOneHead} (last valid step or h_n),
 *       {@link dev.recur.engine.nn.TimeDistributedHead} (every step; loss over valid steps only).</li>
 *   <li>Models: {@link dev.recur.engine.nn.SequenceClassifier}, {@link dev.recur.engine.nn.SequenceRegressor},
 *       {@link dev.recur.engine.nn.SequenceTagger} (also a language model), {@link dev.recur.engine.nn.Seq2Seq},
 *       {@link dev.recur.engine.nn.Seq2SeqRegressor},
 *       {@link dev.recur.engine.nn.ConditionedGenerator} (one-to-many).</li>
 * </ul>
 *
 * A model's parameter names are unique and stable: the recurrent tensors keep PyTorch's names
 * under a prefix ({@code rnn.weight_ih_l0}, {@code encoder.rnn.weight_hh_l1}), heads and
 * embeddings have their own ({@code head.weight}, {@code embedding.weight}), so a model's
 * {@code parameters()} are the keys of the PyTorch module built the same way.
 *
 * <p>How a recurrent layer runs is chosen here, once, as a value:
 * {@link dev.recur.engine.nn.RecurrentExecution} (fused CPU, textbook reference, or a GPU context);
 * PyTorch's recurrent parameter names have one home, {@link dev.recur.engine.nn.RecurrentParameter}.
 * Knows the graph, the kernels and the GPU layer; not files, flags or training loops.
 */
package dev.recur.engine.nn;
