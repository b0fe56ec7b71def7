package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The child process of {@link CheckpointKillTest}: saves checkpoint versions first, first+1, ...
 * to one path, forever, printing {@code SAVED <version>} after each save returns. Version v holds
 * a parameter {@code big} of {@code floats} elements, every one equal to v (exact in float32 for
 * the versions used), and {@code progress.step} = v, so a torn or mixed file would show.
 *
 * <p>Usage: {@code CheckpointSaveLoop <path> <floats> <first version>}
 */
public final class CheckpointSaveLoop {
    private CheckpointSaveLoop() {
    }

    public static void main(String[] args) throws IOException {
        Path path = Path.of(args[0]);
        int floats = Integer.parseInt(args[1]);
        long version = Long.parseLong(args[2]);
        try (TensorArena arena = TensorArena.open("save loop")) {
            Parameter big = new Parameter("big", arena.empty(floats), arena.empty(floats));
            Parameter small = new Parameter("head.weight", arena.empty(2, 3), arena.empty(2, 3));
            while (true) {
                big.value().fill(version);
                small.value().fill(-version);
                Checkpoint.save(path, List.of(big, small), null, null, new Checkpoint.Info(Map.of("size", args[1]),
                        new Checkpoint.Progress(version, 0, 0, Double.NaN), new long[]{version}, Map.of()));
                System.out.println("SAVED " + version);
                System.out.flush();
                version++;
            }
        }
    }
}
