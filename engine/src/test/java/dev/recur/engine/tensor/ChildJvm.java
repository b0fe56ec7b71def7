package dev.recur.engine.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a child JVM: this JDK, this test class path, and only the JVM options given
 * (none of the surefire argLine's). For the tests of what a JVM without Recur's options does.
 */
public final class ChildJvm {
    /** What the child did: exit status, stdout (stripped), stderr as lines. */
    public record Result(int exit, String stdout, List<String> stderr) {
        /** stderr without the JDK's own warnings (incubator module, restricted method calls) and blank lines. */
        public List<String> errors() {
            return stderr.stream().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()).toList();
        }
    }

    private ChildJvm() {
    }

    public static Result run(String mainClass, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        // Options from the environment would reach the child too (and add "Picked up ..." lines).
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the child JVM did not exit: " + command);
        }
        return new Result(p.exitValue(), stdout.strip(), stderr.join().lines().toList());
    }
}
