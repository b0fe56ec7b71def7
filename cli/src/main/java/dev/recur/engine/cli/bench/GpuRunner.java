package dev.recur.engine.cli.bench;

import dev.recur.engine.backend.cuda.CachingDeviceAllocator;
import dev.recur.engine.backend.cuda.GpuDevice;
import dev.recur.engine.backend.cuda.GpuRecurrent;
import dev.recur.engine.nn.Recurrent;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.tensor.TensorArena;

import java.util.SplittableRandom;

/**
 * Times the recurrent stack on a {@link GpuDevice} ({@code recur bench --device cuda}). The model
 * (seed 42, as {@link RecurRunner}) is uploaded once, and the input [T,B,I] (uniform in ±1, seed
 * 7) and, for training, the output gradient (all ones: loss = sum of the output) are put on the
 * device once, outside the timing. One timed run, ended by {@link GpuDevice#synchronize()}:
 *
 * <ul>
 *   <li>inference: the forward (2-slot state rings), then the pass's memory back to the cache;</li>
 *   <li>training: the forward keeping every step, the backward to every weight gradient and to
 *       the input's gradient (left on the device: nothing is downloaded).</li>
 * </ul>
 * Activations come from the caching allocator, so after the first run no run allocates device memory.
 */
final class GpuRunner {
    private GpuRunner() {
    }

    static Sampler.Timing measure(BenchShape s, GpuDevice device, Sampler sampler) {
        RecurrentConfig config = new RecurrentConfig(s.cell(), s.input(), s.hidden(), s.layers(), s.bidirectional(),
                true, false, 0);
        long inputBytes = (long) s.steps() * s.batch() * s.input() * Float.BYTES;
        long outputBytes = (long) s.steps() * s.batch() * config.directions() * config.outputSize() * Float.BYTES;
        try (Recurrent model = Recurrent.create(config, 42); TensorArena data = TensorArena.open("bench input");
             CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
             GpuRecurrent stack = new GpuRecurrent(device, memory, model);
             CachingDeviceAllocator.Block x = memory.allocate(inputBytes);
             CachingDeviceAllocator.Block ones = s.mode() == BenchShape.Mode.TRAINING ? memory.allocate(outputBytes) : null) {
            Tensor host = data.empty(s.steps(), s.batch(), s.input());
            SplittableRandom rng = new SplittableRandom(7);
            for (long i = 0; i < host.size(); i++) host.set(i, (float) rng.nextDouble(-1, 1));
            device.copyToDevice(host.data(), x.address(), inputBytes);
            if (ones != null) {
                Tensor dY = data.empty(s.steps(), s.batch(), config.directions() * config.outputSize());
                dY.fill(1f);
                device.copyToDevice(dY.data(), ones.address(), outputBytes);
            }
            device.synchronize();
            Runnable run = switch (s.mode()) {
                case INFERENCE -> () -> {
                    try (GpuRecurrent.Pass pass = stack.forwardResident(x.address(), s.steps(), s.batch(), false)) {
                        device.synchronize();
                    }
                };
                case TRAINING -> () -> {
                    try (GpuRecurrent.Pass pass = stack.forwardResident(x.address(), s.steps(), s.batch(), true)) {
                        pass.backwardResident(ones.address(), 0, 0);
                        device.synchronize();
                    }
                };
            };
            return sampler.measure(run);
        }
    }
}
