package dev.recur.engine.train;

import dev.recur.engine.nn.Parameter;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a real process ({@link CheckpointSaveLoop}, a child JVM saving 24 MB checkpoints in a loop)
 * at random moments during saves and checks that the checkpoint on disk is always a complete version, and that
 * the temporary files a kill leaves behind do not disturb later saves.
 */
class CheckpointKillTest {
    private static final int FLOATS = 6_000_000; // 24 MB per checkpoint
    private static final int ROUNDS = 4;

    @TempDir
    Path dir;

    @Test
    void killingTheProcessMidSaveLeavesTheLastCompleteCheckpoint() throws Exception {
        Path checkpoints = Files.createDirectories(dir.resolve("run"));
        Path path = checkpoints.resolve("model.safetensors");
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int roundsKilledMidSave = 0;
        StringBuilder log = new StringBuilder("CheckpointKillTest seed " + seed + ":");
        for (int round = 0; round < ROUNDS; round++) {
            long first = 1000L * (round + 1);
            List<Long> saved = new CopyOnWriteArrayList<>();
            Process child = start(path, first, checkpoints.resolve("child-" + round + ".err"));
            Thread reader = Thread.ofPlatform().start(() -> readSaved(child, saved));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (saved.isEmpty() && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(saved).as("child never saved; stderr: %s", Files.readString(checkpoints.resolve("child-" + round + ".err")))
                    .isNotEmpty();
            // A random moment: some saves later, then a few milliseconds into one (its temporary file exists).
            Thread.sleep(random.nextInt(0, 300));
            while (temporaries(checkpoints).isEmpty() && child.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Thread.sleep(random.nextInt(0, 6));
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join();
            boolean midSave = !temporaries(checkpoints).isEmpty();
            if (midSave) {
                roundsKilledMidSave++;
            }

            long last = saved.getLast();
            Checkpoint ck = Checkpoint.read(path);
            long step = ck.progress().step();
            // The save after the last printed one may have renamed its file before the kill stopped the print.
            assertThat(step).as("seed %d, round %d, saved %s", seed, round, saved).isIn(last, last + 1);
            log.append(" [killed after ").append(saved.size()).append(" saves").append(midSave ? ", mid-save" : "")
                    .append(": file holds version ").append(step).append("]");
            assertThat(ck.rngState().orElseThrow()).containsExactly(step);
            try (TensorArena arena = TensorArena.open("check")) {
                Parameter big = new Parameter("big", arena.empty(FLOATS), arena.empty(FLOATS));
                Parameter small = new Parameter("head.weight", arena.empty(2, 3), arena.empty(2, 3));
                ck.restore(Map.of("size", Integer.toString(FLOATS)), List.of(big, small), null, (LRScheduler) null);
                float[] values = big.value().toArray();
                for (int i = 0; i < values.length; i++) {
                    if (values[i] != step) {
                        throw new AssertionError("element " + i + " is " + values[i] + ", expected " + step + " (seed " + seed + ")");
                    }
                }
                assertThat(small.value().toArray()).containsOnly(-step);
            }
        }
        System.out.println(log);
        // Each kill is aimed into a save; one that came too late would still be a valid (if weaker) round.
        assertThat(roundsKilledMidSave).as("rounds whose kill interrupted a save (seed %d)", seed).isPositive();

        // A save after the kills works, and clears what the killed saves left.
        try (TensorArena arena = TensorArena.open("final")) {
            Parameter small = new Parameter("head.weight", arena.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3), arena.empty(2, 3));
            Checkpoint.save(path, List.of(small), null, null,
                    new Checkpoint.Info(Map.of(), new Checkpoint.Progress(7, 0, 0, 0), null, Map.of()));
        }
        assertThat(temporaries(checkpoints)).isEmpty();
        assertThat(Checkpoint.read(path).progress().step()).isEqualTo(7);
    }

    private static Process start(Path path, long firstVersion, Path stderr) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CheckpointSaveLoop.class.getName(), path.toString(), Integer.toString(FLOATS), Long.toString(firstVersion)));
        return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    }

    private static void readSaved(Process child, List<Long> saved) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("SAVED ")) {
                    saved.add(Long.parseLong(line.substring(6)));
                }
            }
        } catch (IOException killed) {
            // The pipe closes when the child dies.
        }
    }

    private static List<Path> temporaries(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }
}
