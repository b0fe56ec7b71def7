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

    /** Before: --budget 0 meant "no time limit". */
    @Test
    void demoRefusesANonPositiveBudget(@TempDir Path dir) {
        CliRun run = CliRun.recur("demo", "--budget", "0", "--out", dir.resolve("demo").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--budget must be a positive number of seconds").hasLineCount(1);
        assertThat(dir.resolve("demo")).doesNotExist();
    }

    /** The JDK's file errors carry only the path; the one line adds the reason. */
    @Test
    void fileErrorsNameThePathAndTheReason() {
        assertThat(RecurCli.describe(new java.nio.file.FileAlreadyExistsException("/etc/passwd")))
                .isEqualTo("/etc/passwd: already exists");
        assertThat(RecurCli.describe(new java.nio.file.AccessDeniedException("/root/x")))
                .isEqualTo("/root/x: permission denied");
        assertThat(RecurCli.describe(new java.io.IOException("plain message"))).isEqualTo("plain message");
    }

    @Test
    void infoSaysCudaIsNotUsableAndWhy() {
        String out = captureStdout(() -> RecurCli.commandLine().execute("info"));
        assertThat(out).contains("vector species").contains("cores").containsPattern("cuda usable +(true|false) \\(.+\\)");
    }
}
