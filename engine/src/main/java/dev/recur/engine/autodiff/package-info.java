/**
 * The define-by-run tape: {@link dev.recur.engine.autodiff.Graph} records each op's backward beside
 * its forward and runs them in reverse; {@link dev.recur.engine.autodiff.Var} is a value with its
 * gradient. The ops (matmul, elementwise, activations, shapes, masking, gather, embedding lookup,
 * dropout, losses, reductions) and {@link dev.recur.engine.autodiff.RecurrentLayerOp}, a whole
 * recurrent layer direction as one node with hand-written BPTT on the CPU kernels.
 *
 * <p>Knows tensors and the CPU kernels; not which device a layer runs on, nor modules, parameter
 * names or files.
 */
package dev.recur.engine.autodiff;
