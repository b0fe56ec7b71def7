package dev.recur.engine.cli.train;

import dev.recur.engine.cli.UserError;
import dev.recur.engine.nn.RecurrentConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The check before a run allocates anything: an estimate of the native memory training needs,
 * refused in one line when it is more than the machine has available, rather than growing until
 * the kernel kills the process or the JVM prints an OutOfMemoryError.
 *
 * <p>The estimate (float32 everywhere):
 * <ul>
 *   <li>parameters, their gradients, the optimizer's state (Adam 2 slots per weight, RMSprop and
 *       momentum 1, SGD 0) and the recurrent kernels' packed copy of W_hh (1);</li>
 *   <li>per training step, the recurrent stack's activations and their gradients: per layer,
 *       direction, step and sample, the gate pre-activations, the states and cells, the output and
 *       the input, twice (forward and backward), plus the batch itself; and a per-step head's
 *       logits (a language model's: one per vocabulary entry), three times (the logits, their
 *       softmax and their gradient).</li>
 * </ul>
 * Available memory: Linux's {@code MemAvailable}, capped by a cgroup v2 limit when the process has
 * one; elsewhere the JVM's view of free physical memory.
 */
final class MemoryBudget {
    private static final long GIB = 1L << 30;

    private MemoryBudget() {
    }

    /** Bytes a training run needs, by part. */
    record Estimate(long parameterBytes, long stateBytes, long activationBytes) {
        long total() {
            return parameterBytes + stateBytes + activationBytes;
        }
    }

    /** Optimizer slots per weight. */
    static int optimizerSlots(String optimizer) {
        return switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adam", "adamw" -> 2;
            case "rmsprop", "momentum", "nesterov" -> 1;
            default -> 0;
        };
    }

    /**
     * @param rnn             the recurrent stack
     * @param otherParameters weights outside it (embedding, head)
     * @param batch           samples per step
     * @param steps           time steps per sample
     * @param stepOutputs     outputs per step and sample of a per-step head (a language model's
     *                        vocabulary), 0 for a head on the last step only
     */
    static Estimate estimate(RecurrentConfig rnn, long otherParameters, int batch, int steps, int stepOutputs,
                             String optimizer) {
        long parameters = rnn.parameterCount() + otherParameters;
        long packedHh = (long) rnn.mode().gates() * rnn.hiddenSize() * rnn.outputSize() * rnn.numLayers() * rnn.directions();
        long floatsPerStepAndSample = 0;
        for (int layer = 0; layer < rnn.numLayers(); layer++) {
            long in = layer == 0 ? rnn.inputSize() : (long) rnn.outputSize() * rnn.directions();
            long perDirection = (long) rnn.mode().gates() * rnn.hiddenSize() + 3L * rnn.hiddenSize() + rnn.outputSize();
            floatsPerStepAndSample += in + perDirection * rnn.directions();
        }
        long activations = (2 * floatsPerStepAndSample + 3L * stepOutputs) * steps * batch;
        return new Estimate(parameters * Float.BYTES,
                (parameters * (1 + optimizerSlots(optimizer)) + packedHh) * Float.BYTES, activations * Float.BYTES);
    }

    /** Refuses the run in one line when {@code e} needs more than is available (if that can be told). */
    static void check(Estimate e, int batch, int steps, String optimizer) {
        OptionalLong available = available();
        if (available.isPresent() && e.total() > available.getAsLong()) {
            throw new UserError(String.format(Locale.ROOT, "this run needs about %s (parameters %s, their gradients "
                            + "and %s state %s, activations %s for batches of %d x %d steps) but %s of memory is "
                            + "available: use a smaller --hidden, --layers, --batch or sequence length",
                    size(e.total()), size(e.parameterBytes()), optimizer, size(e.stateBytes()), size(e.activationBytes()),
                    batch, steps, size(available.getAsLong())));
        }
    }

    /**
     * The native-memory cache a training run keeps freed blocks in: 1 GiB, or a quarter of what is
     * available if less. A step allocates the same blocks again and again; beyond the cache they
     * go back to the system and come back as page faults (a word model's step took twice as long
     * with the 256-MiB limit sized for services).
     */
    static long trainingCacheBytes() {
        long cap = 1L << 30;
        OptionalLong available = available();
        return available.isPresent() ? Math.min(cap, available.getAsLong() / 4) : cap;
    }

    static String size(long bytes) {
        if (bytes >= GIB) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) GIB);
        return String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1 << 20));
    }

    /** Memory the process may still take, or empty when nothing tells. */
    static OptionalLong available() {
        OptionalLong fromLinux = memAvailable();
        long available = fromLinux.isPresent() ? fromLinux.getAsLong() : freePhysical();
        OptionalLong cgroupRoom = cgroupRoom();
        if (cgroupRoom.isPresent()) available = Math.min(available, cgroupRoom.getAsLong());
        return available > 0 ? OptionalLong.of(available) : OptionalLong.empty();
    }

    private static OptionalLong memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unreadable /proc: fall back
        }
        return OptionalLong.empty();
    }

    private static long freePhysical() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return -1;
    }

    /** The room left under the process's cgroup memory limit (v2 memory.max, or v1 limit_in_bytes), if it has one. */
    private static OptionalLong cgroupRoom() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                Path v2 = Path.of("/sys/fs/cgroup" + line.substring(line.indexOf(':', 2) + 1));
                if (line.startsWith("0::") && Files.exists(v2.resolve("memory.max"))) {
                    return room(v2.resolve("memory.max"), v2.resolve("memory.current"));
                }
            }
            Path v1 = Path.of("/sys/fs/cgroup/memory");
            if (Files.exists(v1.resolve("memory.limit_in_bytes"))) {
                return room(v1.resolve("memory.limit_in_bytes"), v1.resolve("memory.usage_in_bytes"));
            }
        } catch (IOException | RuntimeException e) {
            // no cgroup limit readable
        }
        return OptionalLong.empty();
    }

    private static OptionalLong room(Path limitFile, Path usageFile) throws IOException {
        String limit = Files.readString(limitFile).trim();
        // "max" (v2) or a page-rounded Long.MAX_VALUE (v1): no limit.
        if (limit.equals("max") || Long.parseLong(limit) >= Long.MAX_VALUE / 2) return OptionalLong.empty();
        long usage = Long.parseLong(Files.readString(usageFile).trim());
        return OptionalLong.of(Math.max(0, Long.parseLong(limit) - usage));
    }
}
