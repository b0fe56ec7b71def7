package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.RecurrentLayerOp;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.backend.gpu.DeviceBlocks;
import dev.recur.engine.backend.gpu.GpuContext;
import dev.recur.engine.backend.gpu.GpuRecurrentLayer;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link RecurrentLayerOp} with the layer direction computed on a GPU ({@link GpuRecurrentLayer}):
 * the same contract (inputs, outputs, lengths, reverse, h0/c0, proj_size; y zero at padded steps),
 * the graph's values and gradients on the host; what {@link RecurrentExecution#gpu} runs. The simple
 * first version of a device path:
 * <ul>
 *   <li>forward: uploads x, lengths, h0, c0 and the layer's CURRENT weights (they change at every
 *       optimizer step, so every call uploads them; for inference with resident weights, only the
 *       first call does), runs the layer (keeping every step's
 *       activations when a gradient is needed), downloads y [T,B,P], h_n [B,P], c_n [B,H];</li>
 *   <li>backward: uploads dY, dh_n, dc_n (what has a gradient), runs the device backward and
 *       ACCUMULATES the downloaded gradients of x, every weight and bias, h0 and c0 into the Vars'
 *       gradients, as the CPU op does.</li>
 * </ul>
 * The device memory a training forward keeps is given back after the backward, or when the graph
 * closes if no backward runs. Per layer direction and step this moves the layer input and the
 * weights up, and y, the states and the gradients down: a device-resident training loop would
 * keep them there (docs/gpu.md).
 */
final class GpuRecurrentLayerOp {
    private static final long F = Float.BYTES;

    private GpuRecurrentLayerOp() {
    }

    /** The weights a resident layer direction was uploaded from: their host addresses and sizes, mode and direction. */
    private record ResidentKey(CellMode mode, boolean reverse, List<Long> addresses, List<Long> sizes) {
        static ResidentKey of(CellMode mode, boolean reverse, Var... weights) {
            List<Long> addresses = new ArrayList<>(), sizes = new ArrayList<>();
            for (Var w : weights) {
                addresses.add(w == null ? 0L : w.value().data().address());
                sizes.add(w == null ? 0L : w.value().data().byteSize());
            }
            return new ResidentKey(mode, reverse, addresses, sizes);
        }
    }

    /**
     * As {@link RecurrentLayerOp#forward}, on {@code gpu}'s device; with {@code residentWeights}, the
     * layer's weights uploaded once and kept in the context ({@link RecurrentExecution.Gpu}).
     */
    static RecurrentLayerOp.Result forward(GpuContext gpu, boolean residentWeights, CellMode mode, Var x, Var wIh, Var wHh,
                                           Var bIh, Var bHh, Var wHr, Var h0, Var c0, int[] lengths, boolean reverse) {
        Graph g = x.graph();
        TensorArena mem = g.arena();
        final int steps = x.dim(0), batch = x.dim(1);
        final int hidden = wIh.dim(0) / mode.gates();
        final int out = wHr != null ? wHr.dim(0) : hidden;
        final boolean lstm = mode == CellMode.LSTM;
        final Var[] inputs = {x, wIh, wHh, bIh, bHh, wHr, h0, c0};
        final boolean keep = g.needsGrad(inputs);
        if (keep && residentWeights) {
            throw new IllegalStateException("resident GPU weights are for inference: this " + mode.id()
                    + " layer's forward needs gradients (train with RecurrentExecution.gpu(context))");
        }

        DeviceBlocks kept = gpu.blocks();
        final GpuRecurrentLayer layer;
        final GpuRecurrentLayer.Activations activations;
        Tensor y = mem.empty(steps, batch, out), hN = mem.empty(batch, out), cN = lstm ? mem.empty(batch, hidden) : null;
        try {
            layer = residentWeights
                    ? gpu.resident(ResidentKey.of(mode, reverse, wIh, wHh, bIh, bHh, wHr), () -> {
                        GpuRecurrentLayer uploaded = GpuRecurrentLayer.upload(gpu.device(), gpu.memory(), mode, reverse,
                                wIh.value(), wHh.value(), value(bIh), value(bHh), value(wHr));
                        uploaded.useGraphs(RecurrentExecution.Gpu.graphsEnabled());
                        uploaded.usePersistent(RecurrentExecution.Gpu.persistentEnabled());
                        return uploaded;
                    })
                    : kept.hold(GpuRecurrentLayer.upload(gpu.device(), gpu.memory(), mode, reverse, wIh.value(),
                            wHh.value(), value(bIh), value(bHh), value(wHr)));
            // x's padded steps are zero (Recurrent.forward masks the input; a layer's y is zero there).
            long xDevice = kept.upload(x.value());
            long lengthsDevice = lengths == null ? 0 : kept.upload(lengths);
            long h0Device = h0 == null ? 0 : kept.upload(h0.value());
            long c0Device = c0 == null ? 0 : kept.upload(c0.value());
            long yDevice = kept.take(y.size() * F);
            activations = kept.hold(layer.forward(steps, batch, xDevice, lengthsDevice, h0Device, c0Device, yDevice,
                    out, keep));
            kept.download(yDevice, y);
            kept.download(activations.finalState(), hN);
            if (lstm) kept.download(activations.finalCell(), cN);
        } catch (RuntimeException e) {
            kept.close();
            throw e;
        }
        Var yVar = g.result(y, inputs), hVar = g.result(hN, inputs), cVar = lstm ? g.result(cN, inputs) : null;
        if (!keep) {
            kept.close();
            return new RecurrentLayerOp.Result(yVar, hVar, cVar);
        }
        g.releaseOnClose(kept);

        g.record(mode.id() + " layer (gpu)", () -> {
            Kernels k = g.kernels();
            try (DeviceBlocks scratch = gpu.blocks()) {
                long dY = yVar.hasGrad() ? scratch.upload(yVar.grad()) : 0;
                long dhN = hVar.hasGrad() ? scratch.upload(hVar.grad()) : 0;
                long dcN = lstm && cVar.hasGrad() ? scratch.upload(cVar.grad()) : 0;
                long dX = x.requiresGrad() ? scratch.zeros(x.value().size() * F) : 0;
                long dh0 = h0 != null && h0.requiresGrad() ? scratch.take((long) batch * out * F) : 0;
                long dc0 = c0 != null && c0.requiresGrad() ? scratch.take((long) batch * hidden * F) : 0;
                layer.zeroGradients();
                layer.backward(activations, dY, out, dhN, dcN, dX, dh0, dc0);
                accumulate(k, mem, layer, GpuRecurrentLayer.Part.WEIGHT_IH, wIh);
                accumulate(k, mem, layer, GpuRecurrentLayer.Part.WEIGHT_HH, wHh);
                accumulate(k, mem, layer, GpuRecurrentLayer.Part.BIAS_IH, bIh);
                accumulate(k, mem, layer, GpuRecurrentLayer.Part.BIAS_HH, bHh);
                accumulate(k, mem, layer, GpuRecurrentLayer.Part.WEIGHT_HR, wHr);
                if (dX != 0) accumulate(k, mem, scratch, dX, x);
                if (dh0 != 0) accumulate(k, mem, scratch, dh0, h0);
                if (dc0 != 0) accumulate(k, mem, scratch, dc0, c0);
            } finally {
                kept.close();   // the forward's activations and weights: not needed any more
            }
        });
        return new RecurrentLayerOp.Result(yVar, hVar, cVar);
    }

    private static Tensor value(Var v) {
        return v == null ? null : v.value();
    }

    /** param.grad += the layer's gradient of {@code part}, when the parameter is there and wants one. */
    private static void accumulate(Kernels k, TensorArena mem, GpuRecurrentLayer layer, GpuRecurrentLayer.Part part,
                                   Var param) {
        if (param == null || !param.requiresGrad()) return;
        Tensor downloaded = mem.empty(param.shape());
        layer.downloadGradient(part, downloaded.data());
        k.axpy((int) downloaded.size(), 1f, downloaded.data(), 0, param.grad().data(), 0);
    }

    /** v.grad += the device array at {@code from} (v's size). */
    private static void accumulate(Kernels k, TensorArena mem, DeviceBlocks blocks, long from, Var v) {
        Tensor downloaded = mem.empty(v.shape());
        blocks.download(from, downloaded);
        k.axpy((int) downloaded.size(), 1f, downloaded.data(), 0, v.grad().data(), 0);
    }
}
