package dev.recur.engine.nn;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.io.RecurrentStateDict;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * README.md's Java quick start, as a newcomer would use it: the ```java block is cut out of the
 * README, compiled against the engine alone and run on a state_dict PyTorch saved
 * (nn.LSTM(5, 6, num_layers=2, bidirectional=True), test resource checkpoint/); what it prints
 * must be this engine's answer for the same input.
 */
class ReadmeQuickStartTest {
    private static final Path README = Path.of(System.getProperty("recur.readme", "../README.md"));

    @Test
    void theQuickStartCompilesAndRunsOnAPyTorchFile(@TempDir Path dir) throws Exception {
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(README));
        assertThat(block.find()).as("a ```java block in " + README).isTrue();
        Path source = dir.resolve("QuickStart.java");
        Files.writeString(source, block.group(1));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, "-classpath", System.getProperty("java.class.path"),
                "-d", dir.toString(), source.toString());
        assertThat(status).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        Path weights = Path.of(getClass().getResource("/checkpoint/torch_lstm_state_dict.safetensors").toURI());
        String printed = runMain(dir, weights.toString());

        float expected;
        try (Recurrent lstm = RecurrentStateDict.load(SafeTensorsFile.read(weights), "", null, false);
             Graph g = Graph.inference(KernelProvider.defaultKernels())) {
            Tensor x = g.arena().zeros(7, 3, 5);
            for (long i = 0; i < x.size(); i++) x.set(i, (float) Math.sin(i));
            expected = lstm.forward(g, g.constant(x), new int[]{7, 2, 5}, null, null, RecurrentExecution.FUSED)
                    .hN().value().get(0);
        }
        assertThat(printed.strip()).isEqualTo("output [7, 3, 12], h_n [4, 3, 6], h_n[0][0][0] = " + expected);
    }

    private static String runMain(Path classes, String... args) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, ReadmeQuickStartTest.class.getClassLoader())) {
            Method main = loader.loadClass("QuickStart").getMethod("main", String[].class);
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
