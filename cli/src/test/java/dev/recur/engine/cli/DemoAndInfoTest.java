package dev.recur.engine.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The first commands a newcomer runs. */
class DemoAndInfoTest {
    private static String captureStdout(Runnable body) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true));
        try {
            body.run();
        } finally {
            System.setOut(saved);
        }
        return bytes.toString();
    }

    @Test
    void demoTrainsTheThreeCellsAndWritesTheComparison(@TempDir Path dir) throws Exception {
        int[] exit = new int[1];
        String out = captureStdout(() -> exit[0] = RecurCli.commandLine().execute("demo", "--quick", "--out", dir.toString()));
        assertThat(exit[0]).isZero();
        assertThat(out).contains("rnn_tanh", "gru", "lstm", "steps/s", "val MSE", "always predicting 1.0");
        assertThat(dir.resolve("adding-demo.png")).isRegularFile();
        for (String cell : new String[]{"rnn_tanh", "gru", "lstm"}) {
            assertThat(dir.resolve(cell).resolve("checkpoint.safetensors")).isRegularFile();
            assertThat(Files.readString(dir.resolve(cell).resolve("metrics.csv")).lines().count()).isEqualTo(1 + 6);
        }
    }

    @Test
    void infoSaysCudaIsNotUsableAndWhy() {
        String out = captureStdout(() -> RecurCli.commandLine().execute("info"));
        assertThat(out).contains("vector species").contains("cores").containsPattern("cuda usable +(true|false) \\(.+\\)");
    }
}
