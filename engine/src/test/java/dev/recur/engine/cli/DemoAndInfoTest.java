package dev.recur.engine.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

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
    void demoChecksBothPathsAgreeAndPrintsATable() {
        int[] exit = new int[1];
        String out = captureStdout(() -> exit[0] = RecurCli.commandLine().execute("demo", "--quick"));
        assertThat(exit[0]).isZero();
        assertThat(out).contains("lstm", "gru", "rnn_tanh", "GFLOP/s", "paths agree").doesNotContain("DISAGREE");
    }

    @Test
    void infoSaysCudaIsNotUsableAndWhy() {
        String out = captureStdout(() -> RecurCli.commandLine().execute("info"));
        assertThat(out).contains("vector species").contains("cores").containsPattern("cuda usable +false \\(.+\\)");
    }
}
