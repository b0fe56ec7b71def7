package dev.recur.engine.backend.cuda;

import dev.recur.engine.backend.CellMode;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link Recurrent} stack (nn.LSTM / nn.GRU / nn.RNN: layers, directions, proj_size, bias,
 * batch_first, lengths, h0/c0) on a {@link GpuDevice}, with host tensors in and out: the model's
 * weights are uploaded once (the model's device copy), each pass uploads its inputs, runs every
 * layer direction with {@link GpuRecurrentLayer} (both directions of a layer write into one
 * [T, B, D·P] output through ldy = D·P), and downloads what is asked for. Activations come from
 * the {@link CachingDeviceAllocator}, so repeated passes of one shape allocate nothing new.
 *
 * <p>Not supported: dropout between layers (this is the model in eval mode, as {@code recur
 * infer} runs it; {@link Recurrent#forward} without dropout), more than one stream, and
 * weights that change after upload (call {@link #close()} and upload again; training uploads each
 * layer direction's current weights per step instead: {@code GpuRecurrentLayerOp}).
 */
public final class GpuRecurrent implements AutoCloseable {
    private static final long F = Float.BYTES;

    /** Device addresses of a backward's input, h0 and c0 gradients (c0: 0 except LSTM); see {@link Pass#backwardResident}. */
    public record DeviceGradients(long input, long h0, long c0) {
    }

    /** The gradients of one backward: input (as given: [T,B,I] or batch-first), h0, c0 and every parameter by PyTorch name. */
    public record Gradients(Tensor input, Tensor h0, Tensor c0, Map<String, Tensor> parameters) {
    }

    private final GpuDevice device;
    private final CachingDeviceAllocator memory;
    private final RecurrentConfig config;
    /** layer · D + direction, as PyTorch orders h_n. */
    private final GpuRecurrentLayer[] directions;

    /** Uploads the model's weights onto the device. */
    public GpuRecurrent(GpuDevice device, CachingDeviceAllocator memory, Recurrent model) {
        this.device = device;
        this.memory = memory;
        this.config = model.config();
        RecurrentConfig c = config;
        directions = new GpuRecurrentLayer[c.numLayers() * c.directions()];
        try {
            for (int layer = 0; layer < c.numLayers(); layer++) {
                for (int d = 0; d < c.directions(); d++) {
                    String suffix = suffix(layer, d);
                    directions[layer * c.directions() + d] = GpuRecurrentLayer.upload(device, memory, c.mode(), d == 1,
                            model.parameter("weight_ih" + suffix).value(), model.parameter("weight_hh" + suffix).value(),
                            c.bias() ? model.parameter("bias_ih" + suffix).value() : null,
                            c.bias() ? model.parameter("bias_hh" + suffix).value() : null,
                            c.projSize() > 0 ? model.parameter("weight_hr" + suffix).value() : null);
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static String suffix(int layer, int d) {
        return "_l" + layer + (d == 1 ? "_reverse" : "");
    }

    public RecurrentConfig config() {
        return config;
    }

    /**
     * Runs the stack. input [T,B,I] (or [B,T,I] when batch_first); lengths [B] in 1..T or null;
     * h0 [L·D,B,P] and c0 [L·D,B,H] or null (zeros). With {@code keepForBackward} the pass keeps
     * every step's activations for {@link Pass#backward}; without, each direction keeps a 2-slot ring.
     */
    public Pass forward(Tensor input, int[] lengths, Tensor h0, Tensor c0, boolean keepForBackward) {
        RecurrentConfig c = config;
        Recurrent.checkArguments(c, input.shape(), lengths, h0 == null ? null : h0.shape(), c0 == null ? null : c0.shape());
        int steps = c.batchFirst() ? input.dim(1) : input.dim(0), batch = c.batchFirst() ? input.dim(0) : input.dim(1);
        Pass pass = new Pass(steps, batch, keepForBackward, h0 != null, c0 != null);
        try {
            pass.run(input, lengths, h0, c0);
        } catch (RuntimeException e) {
            pass.close();
            throw e;
        }
        return pass;
    }

    /**
     * A forward on an input already on the device: x [T, B, I] time-major at {@code input} (kept
     * alive by the caller until the pass is closed), no lengths, zero initial states. What
     * {@code recur bench --device cuda} times: no host transfers in the loop.
     */
    public Pass forwardResident(long input, int steps, int batch, boolean keepForBackward) {
        if (steps < 1 || batch < 1) throw new IllegalArgumentException("steps and batch must be >= 1");
        Pass pass = new Pass(steps, batch, keepForBackward, false, false);
        try {
            pass.layerInputs[0] = input;
            pass.runLayers(0, 0);
        } catch (RuntimeException e) {
            pass.close();
            throw e;
        }
        return pass;
    }

    /**
     * A host copy of x [A, B, C], swapped to [B, A, C] when {@code swap} (batch_first <-> time-major);
     * with lengths, the padded steps of the time-major result (rows t >= lengths[b]) are zeroed:
     * they may hold garbage, and their rows enter dW_ih = dGx^T·X (as 0·x, NaN for x = NaN).
     */
    private static Tensor timeMajorCopy(TensorArena arena, Tensor x, boolean swap, int[] lengths) {
        int a = x.dim(0), b = x.dim(1), width = x.dim(2);
        Tensor r = swap ? arena.empty(b, a, width) : arena.copyOf(x);
        if (swap) {
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < b; j++) {
                    MemorySegment.copy(x.data(), ((long) i * b + j) * width * F, r.data(), ((long) j * a + i) * width * F, width * F);
                }
            }
        }
        if (lengths != null) {
            int steps = r.dim(0), batch = r.dim(1);
            for (int t = 0; t < steps; t++) {
                for (int s = 0; s < batch; s++) {
                    if (t >= lengths[s]) r.data().asSlice(((long) t * batch + s) * width * F, width * F).fill((byte) 0);
                }
            }
        }
        return r;
    }

    /**
     * One forward on the device and what it keeps: the inputs' device copies, every layer's output,
     * each direction's activations. Close it to give the device memory back to the allocator.
     */
    public final class Pass implements AutoCloseable {
        private final int steps, batch;
        private final boolean keep, hasH0, hasC0;
        private final DeviceBlocks blocks = new DeviceBlocks(device, memory);
        private final GpuRecurrentLayer.Activations[] activations = new GpuRecurrentLayer.Activations[directions.length];
        /** Layer l's input: [T, B, I] for l = 0, then the previous layer's output [T, B, D·P]. */
        private final long[] layerInputs = new long[config.numLayers()];
        private long output, lengths;
        private boolean backwardDone;

        private Pass(int steps, int batch, boolean keep, boolean hasH0, boolean hasC0) {
            this.steps = steps;
            this.batch = batch;
            this.keep = keep;
            this.hasH0 = hasH0;
            this.hasC0 = hasC0;
        }

        private void run(Tensor input, int[] hostLengths, Tensor h0, Tensor c0) {
            RecurrentConfig c = config;
            try (TensorArena host = TensorArena.open("gpu input")) {
                layerInputs[0] = blocks.upload(timeMajorCopy(host, input, c.batchFirst(), hostLengths));
            }
            if (hostLengths != null) lengths = blocks.upload(hostLengths);
            runLayers(h0 == null ? 0 : blocks.upload(h0), c0 == null ? 0 : blocks.upload(c0));
        }

        /** Every layer direction, on layerInputs[0]; h0s and c0s are [L·D, B, P] and [L·D, B, H] device copies or 0. */
        private void runLayers(long h0s, long c0s) {
            RecurrentConfig c = config;
            int dirs = c.directions(), width = dirs * c.outputSize();
            long stepRows = (long) steps * batch;
            for (int layer = 0; layer < c.numLayers(); layer++) {
                long y = blocks.take(stepRows * width * F);
                for (int d = 0; d < dirs; d++) {
                    int idx = layer * dirs + d;
                    GpuRecurrentLayer dir = directions[idx];
                    activations[idx] = dir.forward(steps, batch, layerInputs[layer], lengths,
                            h0s == 0 ? 0 : h0s + (long) idx * batch * c.outputSize() * F,
                            c0s == 0 ? 0 : c0s + (long) idx * batch * c.hiddenSize() * F,
                            y + (long) d * c.outputSize() * F, width, keep);
                }
                if (layer + 1 < c.numLayers()) layerInputs[layer + 1] = y;
                else output = y;
            }
        }

        /** output [T, B, D·P] (or [B, T, D·P] batch-first), zero at padded steps. */
        public Tensor output(TensorArena arena) {
            RecurrentConfig c = config;
            Tensor timeMajor = arena.empty(steps, batch, c.directions() * c.outputSize());
            device.copyToHost(output, timeMajor.data(), timeMajor.size() * F);
            return c.batchFirst() ? timeMajorCopy(arena, timeMajor, true, null) : timeMajor;
        }

        /** h_n [L·D, B, P]. */
        public Tensor hN(TensorArena arena) {
            int p = config.outputSize();
            Tensor h = arena.empty(directions.length, batch, p);
            for (int i = 0; i < directions.length; i++) {
                device.copyToHost(activations[i].finalState(), h.data().asSlice((long) i * batch * p * F), (long) batch * p * F);
            }
            return h;
        }

        /** c_n [L·D, B, H] for LSTM, else null. */
        public Tensor cN(TensorArena arena) {
            if (config.mode() != CellMode.LSTM) return null;
            int hidden = config.hiddenSize();
            Tensor cn = arena.empty(directions.length, batch, hidden);
            for (int i = 0; i < directions.length; i++) {
                device.copyToHost(activations[i].finalCell(), cn.data().asSlice((long) i * batch * hidden * F),
                        (long) batch * hidden * F);
            }
            return cn;
        }

        /**
         * Backward on the device from dY [T, B, D·P] (time-major, required) and dhN [L·D, B, P], dcN
         * [L·D, B, H] (or 0: zeros), all device addresses. The weight gradients are left in each
         * direction's gradient block (fresh, not accumulated across calls); the returned addresses
         * (input [T, B, I], h0 [L·D, B, P], c0 [L·D, B, H] or 0) live as long as this pass. Once per pass.
         */
        public DeviceGradients backwardResident(long dY, long dhNs, long dcNs) {
            if (!keep) throw new IllegalStateException("backward needs a forward run with keepForBackward");
            if (backwardDone) throw new IllegalStateException("backward already ran on this pass");
            backwardDone = true;
            RecurrentConfig c = config;
            int dirs = c.directions(), p = c.outputSize(), hidden = c.hiddenSize(), width = dirs * p;
            long stepRows = (long) steps * batch;
            long dh0s = blocks.take((long) directions.length * batch * p * F);
            long dc0s = c.mode() == CellMode.LSTM ? blocks.take((long) directions.length * batch * hidden * F) : 0;
            for (GpuRecurrentLayer dir : directions) dir.zeroGradients();
            long dInput = 0;
            for (int layer = c.numLayers() - 1; layer >= 0; layer--) {
                int in = layer == 0 ? c.inputSize() : width;
                long dX = blocks.zeros(stepRows * in * F);
                for (int d = 0; d < dirs; d++) {
                    int idx = layer * dirs + d;
                    directions[idx].backward(activations[idx], dY + (long) d * p * F, width,
                            dhNs == 0 ? 0 : dhNs + (long) idx * batch * p * F,
                            dcNs == 0 ? 0 : dcNs + (long) idx * batch * hidden * F, dX,
                            dh0s + (long) idx * batch * p * F, dc0s == 0 ? 0 : dc0s + (long) idx * batch * hidden * F);
                }
                dY = dX;
                dInput = dX;
            }
            return new DeviceGradients(dInput, dh0s, dc0s);
        }

        /**
         * Backward from the gradients reaching output (required, shaped as {@link #output}), h_n and
         * c_n (null: zeros). Returns fresh gradients (not accumulated across calls); h0 and c0's
         * gradients are given when the forward had h0 and c0. Once per pass.
         */
        public Gradients backward(TensorArena arena, Tensor dOutput, Tensor dhN, Tensor dcN) {
            if (!keep) throw new IllegalStateException("backward needs a forward run with keepForBackward");
            RecurrentConfig c = config;
            int p = c.outputSize(), hidden = c.hiddenSize(), dirs = c.directions();
            long dY;
            try (TensorArena host = TensorArena.open("gpu output gradient")) {
                dY = blocks.upload(timeMajorCopy(host, dOutput, c.batchFirst(), null));
            }
            DeviceGradients onDevice = backwardResident(dY, dhN == null ? 0 : blocks.upload(dhN), dcN == null ? 0 : blocks.upload(dcN));
            long dInput = onDevice.input(), dh0s = onDevice.h0(), dc0s = onDevice.c0();
            Tensor gInput = arena.empty(steps, batch, c.inputSize());
            device.copyToHost(dInput, gInput.data(), gInput.size() * F);
            if (c.batchFirst()) gInput = timeMajorCopy(arena, gInput, true, null);
            Tensor gH0 = null, gC0 = null;
            if (hasH0) {
                gH0 = arena.empty(directions.length, batch, p);
                device.copyToHost(dh0s, gH0.data(), gH0.size() * F);
            }
            if (hasC0) {
                gC0 = arena.empty(directions.length, batch, hidden);
                device.copyToHost(dc0s, gC0.data(), gC0.size() * F);
            }
            Map<String, Tensor> parameters = new LinkedHashMap<>();
            for (int layer = 0; layer < c.numLayers(); layer++) {
                for (int d = 0; d < dirs; d++) {
                    GpuRecurrentLayer dir = directions[layer * dirs + d];
                    for (GpuRecurrentLayer.Part part : dir.parts()) {
                        Tensor g = arena.empty(dir.shape(part));
                        dir.downloadGradient(part, g.data());
                        parameters.put(part.stem + suffix(layer, d), g);
                    }
                }
            }
            return new Gradients(gInput, gH0, gC0, parameters);
        }

        @Override
        public void close() {
            for (GpuRecurrentLayer.Activations a : activations) {
                if (a != null) a.close();
            }
            blocks.close();
        }
    }

    /** Gives every direction's weight memory back to the allocator. */
    @Override
    public void close() {
        for (GpuRecurrentLayer d : directions) {
            if (d != null) d.close();
        }
    }
}
