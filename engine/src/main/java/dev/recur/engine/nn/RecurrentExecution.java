package dev.recur.engine.nn;

import dev.recur.engine.autodiff.RecurrentLayerOp;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.WeightPrecision;
import dev.recur.engine.backend.gpu.GpuContext;

import java.util.Objects;

/**
 * How the layers of a {@link Recurrent} stack are computed, chosen once by the caller and passed
 * as a value ({@link Recurrent#forward}) or held by a model ({@link Module#setRecurrentExecution}):
 * <ul>
 *   <li>{@link #FUSED}: one fused graph node per layer direction on the graph's CPU kernels
 *       ({@link RecurrentLayerOp}), the fast path; {@link #fused}{@code (BF16)} the same with
 *       W_ih and W_hh rounded to bfloat16, for inference ({@link WeightPrecision#BF16});</li>
 *   <li>{@link #TEXTBOOK}: per step and per gate generic graph ops ({@link TextbookRecurrentLayer}),
 *       the reference that tests and benchmarks hold the fast paths to;</li>
 *   <li>{@link #gpu}: each layer direction on a GPU device ({@link GpuRecurrentLayerOp}); every
 *       other op of the graph stays on the host. {@link Gpu#withResidentWeights()}: for inference,
 *       each layer direction's weights uploaded once and kept on the device, and each shape's
 *       per-step loop captured once as a CUDA graph and replayed (or, opted in, a shape the
 *       persistent kernels hold run as one launch of them).</li>
 * </ul>
 * Every kind has the same contract as {@link RecurrentLayerOp#forward}.
 */
public sealed interface RecurrentExecution {
    RecurrentExecution FUSED = new Fused(WeightPrecision.FP32);
    RecurrentExecution TEXTBOOK = new Textbook();

    /**
     * The fused CPU layer with W_ih and W_hh at the given precision. bf16 is for inference: a
     * forward whose inputs need gradients refuses it.
     */
    static RecurrentExecution fused(WeightPrecision weights) {
        return weights == WeightPrecision.FP32 ? FUSED : new Fused(weights);
    }

    /** Runs the recurrent layers on {@code context}'s device (the caller keeps and closes the context). */
    static RecurrentExecution gpu(GpuContext context) {
        return new Gpu(context, false);
    }

    /** A short name for reports: {@code fused}, {@code fused-bf16}, {@code textbook}, {@code gpu-layer}. */
    String id();

    /**
     * One layer direction. x [T,B,I] time-major with padded steps zeroed; w_ih [G·H, I]; w_hh [G·H, P];
     * biases [G·H] or null; w_hr [P, H] or null; h0 [B,P] and c0 [B,H] or null (zeros).
     */
    RecurrentLayerOp.Result layer(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr, Var h0, Var c0,
                                  int[] lengths, boolean reverse);

    /** The fused CPU layer, its weights used at the given precision. */
    record Fused(WeightPrecision weights) implements RecurrentExecution {
        public Fused {
            Objects.requireNonNull(weights, "weights");
        }

        @Override
        public String id() {
            return weights == WeightPrecision.FP32 ? "fused" : "fused-" + weights.id();
        }

        @Override
        public RecurrentLayerOp.Result layer(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr, Var h0,
                                             Var c0, int[] lengths, boolean reverse) {
            return RecurrentLayerOp.forward(mode, x, wIh, wHh, bIh, bHh, wHr, h0, c0, lengths, reverse, weights);
        }
    }

    /** The textbook reference layer. */
    record Textbook() implements RecurrentExecution {
        @Override
        public String id() {
            return "textbook";
        }

        @Override
        public RecurrentLayerOp.Result layer(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr, Var h0,
                                             Var c0, int[] lengths, boolean reverse) {
            return TextbookRecurrentLayer.forward(mode, x, wIh, wHh, bIh, bHh, wHr, h0, c0, lengths, reverse);
        }
    }

    /**
     * The layer on a GPU device. With {@code residentWeights} (inference only), each layer
     * direction's weights are uploaded by its first call and kept in the context
     * ({@link GpuContext#resident}), keyed by the weight tensors' host addresses: the caller
     * promises not to change them while the context keeps them, or calls
     * {@link GpuContext#forgetResident}. A forward that needs gradients is refused: training
     * changes the weights at every step.
     */
    record Gpu(GpuContext context, boolean residentWeights) implements RecurrentExecution {
        /** {@code -Drecur.gpu.graphs=false}: resident layers run their loop directly, not as CUDA graphs (to time both). */
        public static final String GRAPHS_PROPERTY = "recur.gpu.graphs";

        /**
         * Whether resident layers run each inference shape's per-step loop as a CUDA graph
         * ({@code GpuRecurrentLayer.useGraphs}): yes unless {@link #GRAPHS_PROPERTY} is false.
         */
        public static boolean graphsEnabled() {
            return !"false".equals(System.getProperty(GRAPHS_PROPERTY));
        }

        /** {@code -Drecur.gpu.persistent=true}: resident layers use the persistent kernels where their plan holds a shape. */
        public static final String PERSISTENT_PROPERTY = "recur.gpu.persistent";

        /**
         * Whether resident layers run inference shapes that {@code PersistentPlan} accepts as one
         * persistent-kernel launch ({@code GpuRecurrentLayer.usePersistent}): only with
         * {@link #PERSISTENT_PROPERTY} true, until those kernels have run on a GPU (docs/gpu.md).
         */
        public static boolean persistentEnabled() {
            return "true".equals(System.getProperty(PERSISTENT_PROPERTY));
        }

        public Gpu {
            Objects.requireNonNull(context, "context");
        }

        /** The same device, the weights kept on it between inference calls. */
        public Gpu withResidentWeights() {
            return new Gpu(context, true);
        }

        @Override
        public String id() {
            return residentWeights ? "gpu-layer-resident" : "gpu-layer";
        }

        @Override
        public RecurrentLayerOp.Result layer(CellMode mode, Var x, Var wIh, Var wHh, Var bIh, Var bHh, Var wHr, Var h0,
                                             Var c0, int[] lengths, boolean reverse) {
            return GpuRecurrentLayerOp.forward(context, residentWeights, mode, x, wIh, wHh, bIh, bHh, wHr, h0, c0, lengths,
                    reverse);
        }
    }
}
