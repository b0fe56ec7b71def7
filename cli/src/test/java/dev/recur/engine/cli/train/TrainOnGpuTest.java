package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.bindings.CudaAvailability;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.cli.DeviceOption;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.tensor.RelativeError;
import dev.recur.engine.tensor.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code recur train --device cuda} under the emulation test hook ({@code -Drecur.gpu.emulate=true}:
 * the recurrent layers run on {@code EmulatedGpuDevice}) against the same run on the CPU: exit 0,
 * metrics.json's config says the device, and every logged training and validation loss, and the
 * final recurrent weights, agree within 1e-3 (relative). Says nothing about a real GPU.
 */
class TrainOnGpuTest {
    static final double BAR = 1e-3;

    @TempDir
    Path dir;

    @AfterEach
    void noHooks() {
        System.clearProperty(DeviceOption.EMULATE_PROPERTY);
        System.clearProperty(FashionMnistTask.DIR_PROPERTY);
    }

    /** Trains with {@code args} into cpu/ and, under the hook, with --device cuda into gpu/; checks both against each other. */
    private void gpuRunMatchesTheCpuRun(String name, String... args) throws IOException {
        gpuRunMatchesTheCpuRunUnder("true", name, args);
    }

    /** {@code emulate}: the hook's value ("true": Java twins; "host:LIB": the CUDA kernels compiled for the host). */
    private void gpuRunMatchesTheCpuRunUnder(String emulate, String name, String... args) throws IOException {
        Path cpu = dir.resolve(name + "-cpu"), gpu = dir.resolve(name + "-gpu");
        CliRun cpuRun = CliRun.recur(Stream.concat(Stream.of("train", "--out", cpu.toString()), Arrays.stream(args)).toArray(String[]::new));
        assertThat(cpuRun.exit()).as(cpuRun.err()).isZero();
        System.setProperty(DeviceOption.EMULATE_PROPERTY, emulate);
        CliRun gpuRun = CliRun.recur(Stream.concat(Stream.of("train", "--out", gpu.toString(), "--device", "cuda"), Arrays.stream(args))
                .toArray(String[]::new));
        System.clearProperty(DeviceOption.EMULATE_PROPERTY);
        assertThat(gpuRun.exit()).as(gpuRun.err()).isZero();
        assertThat(gpuRun.out()).contains("recurrent layers on emulated");

        JsonNode cpuJson = new ObjectMapper().readTree(Files.readString(cpu.resolve("metrics.json")));
        JsonNode gpuJson = new ObjectMapper().readTree(Files.readString(gpu.resolve("metrics.json")));
        assertThat(cpuJson.at("/config/device").asText()).isEqualTo("cpu");
        assertThat(gpuJson.at("/config/device").asText()).isEqualTo("cuda");
        assertThat(gpuJson.at("/final/step").asLong()).isEqualTo(cpuJson.at("/final/step").asLong()).isPositive();

        List<String> failures = new ArrayList<>();
        double[][] cpuLosses = losses(cpu), gpuLosses = losses(gpu);
        assertThat(gpuLosses.length).isEqualTo(cpuLosses.length).isGreaterThanOrEqualTo(2);
        int compared = 0;
        for (int r = 0; r < cpuLosses.length; r++) {
            for (int c = 0; c < 2; c++) {
                double expected = cpuLosses[r][c], got = gpuLosses[r][c];
                if (Double.isNaN(expected) && Double.isNaN(got)) continue;   // not evaluated at this row
                double err = Math.abs(got - expected) / Math.abs(expected);
                compared++;
                if (!(err <= BAR)) failures.add("row " + r + (c == 0 ? " train_loss " : " val_loss ") + got + " vs " + expected);
            }
        }
        assertThat(compared).isGreaterThanOrEqualTo(cpuLosses.length + 1);
        SafeTensorsFile cpuCkpt = SafeTensorsFile.read(cpu.resolve(Trainer.CHECKPOINT));
        SafeTensorsFile gpuCkpt = SafeTensorsFile.read(gpu.resolve(Trainer.CHECKPOINT));
        try (TensorArena a = TensorArena.open("checkpoints")) {
            for (String key : cpuCkpt.names()) {
                if (!key.startsWith("rnn.weight_")) continue;
                double err = RelativeError.l2(gpuCkpt.readFloat(key, a).toArray(), cpuCkpt.readFloat(key, a).toArray());
                if (!(err <= BAR)) failures.add(key + ": " + err);
            }
        }
        assertThat(failures).as(name).isEmpty();
    }

    /** metrics.csv's train_loss and val_loss per row (NaN where not evaluated). */
    private static double[][] losses(Path run) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("metrics.csv"));
        List<String> header = List.of(lines.get(0).split(","));
        int train = header.indexOf("train_loss"), val = header.indexOf("val_loss");
        return lines.stream().skip(1).map(line -> line.split(",", -1))
                .map(f -> new double[]{parse(f[train]), parse(f[val])}).toArray(double[][]::new);
    }

    private static double parse(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }

    @Test
    void addingOnTheEmulatedDeviceMatchesTheCpu() throws IOException {
        gpuRunMatchesTheCpuRun("adding", "--task", "adding", "--steps", "20", "--seq", "8", "--hidden", "8",
                "--batch", "4", "--log-every", "5", "--eval-every", "10");
    }

    @Test
    void addingWithTheHostCompiledCudaKernelsMatchesTheCpu() throws IOException {
        Path library = Path.of(System.getProperty("recur.host.kernels", "../native/target/host-kernels/librecur_kernels_host.so"));
        assumeTrue(Files.isRegularFile(library), "skipped: no host-compiled kernels at " + library);
        gpuRunMatchesTheCpuRunUnder("host:" + library, "adding", "--task", "adding", "--steps", "20", "--seq", "8",
                "--hidden", "8", "--batch", "4", "--log-every", "5", "--eval-every", "10", "--layers", "2");
    }

    /** An embedding before the stack and the state carried from batch to batch as h0/c0 (no gradient). */
    @Test
    void charsOnTheEmulatedDeviceMatchesTheCpu() throws IOException {
        StringBuilder sb = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "dog", "ran", "fast"};
        for (int i = 0; sb.length() < 3000; i++) sb.append(words[(i * 7 + i / 3) % words.length]).append(i % 9 == 0 ? ".\n" : " ");
        Path text = Files.writeString(dir.resolve("corpus.txt"), sb);
        gpuRunMatchesTheCpuRun("chars", "--task", "chars", "--text", text.toString(), "--seq", "16", "--hidden", "12",
                "--batch", "4", "--steps", "20", "--log-every", "5", "--eval-every", "10");
    }

    /** Lengths per sample, GRU, 2 layers, bidirectional, dropout between the layers. */
    @Test
    void tensorsWithLengthsOnTheEmulatedDeviceMatchesTheCpu() throws IOException {
        Path data = DatasetTasksTest.tensors(dir, "classes.safetensors", 40, "classes");
        gpuRunMatchesTheCpuRun("tensors", "--task", "tensors", "--data", data.toString(), "--cell", "gru", "--layers", "2",
                "--bidirectional", "--dropout", "0.2", "--steps", "20", "--hidden", "8", "--batch", "16",
                "--log-every", "2", "--eval-every", "6");
    }

    @Test
    void fashionMnistOnTheEmulatedDeviceMatchesTheCpu() throws IOException {
        Path folder = dir.resolve("fashion");
        DatasetTasksTest.writeFashion(folder, "train", 120, 1);
        DatasetTasksTest.writeFashion(folder, "t10k", 40, 2);
        System.setProperty(FashionMnistTask.DIR_PROPERTY, folder.toString());
        gpuRunMatchesTheCpuRun("fashion", "--task", "fashion-mnist", "--epochs", "1", "--cell", "rnn_tanh",
                "--hidden", "8", "--batch", "16", "--log-every", "2", "--eval-every", "3");
    }

    @Test
    void withoutEmulationCudaFailsWithTheProbeLineAndExitTwo() {
        CudaAvailability.Status probe = CudaAvailability.status();
        assumeFalse(probe.usable(), "skipped: this machine has a usable GPU");
        Path out = dir.resolve("run");
        CliRun run = CliRun.recur("train", "--task", "adding", "--steps", "2", "--seq", "4", "--hidden", "4", "--batch", "2",
                "--out", out.toString(), "--device", "cuda");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--device cuda is not usable: " + probe.line()).hasLineCount(1);
        assertThat(out).doesNotExist();
    }
}
