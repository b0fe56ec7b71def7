package dev.recur.engine.cli;

import dev.recur.engine.tensor.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recur} in a JVM without the options the engine needs (a hand-written java command line, a
 * {@code java -jar} without {@code --add-modules}): one line on stderr naming them and exit status
 * {@link RecurCli#USAGE_ERROR}, not a NoClassDefFoundError's stack trace. Each case runs
 * {@link RecurCli} in a child JVM ({@link ChildJvm}: this JDK, this test class path).
 */
class MissingJvmOptionsCliTest {
    private static final String SUFFIX = "; add it to the java command line or to Maven Surefire's argLine";

    @Test
    void infoWithoutTheVectorModuleSaysSoInOneLine() throws Exception {
        // What java -jar recur-cli-*-all.jar gets: the jar's manifest enables native access, nothing adds the module.
        ChildJvm.Result r = recur(List.of("--enable-native-access=ALL-UNNAMED"), "info");
        assertThat(r.exit()).isEqualTo(RecurCli.USAGE_ERROR);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).containsExactly(
                "recur: Recur needs the JVM option --add-modules jdk.incubator.vector (the Vector API)" + SUFFIX);
    }

    @Test
    void withoutAnyOptionNamesBoth() throws Exception {
        ChildJvm.Result r = recur(List.of(), "info");
        assertThat(r.exit()).isEqualTo(RecurCli.USAGE_ERROR);
        assertThat(r.stderr()).containsExactly("recur: Recur needs the JVM options --add-modules jdk.incubator.vector"
                + " (the Vector API) and --enable-native-access=ALL-UNNAMED (native memory and CUDA through the FFM API);"
                + " add them to the java command line or to Maven Surefire's argLine");
    }

    @Test
    void nativeAccessRefusedNamesIt() throws Exception {
        ChildJvm.Result r = recur(List.of("--add-modules", "jdk.incubator.vector", "--illegal-native-access=deny"), "info");
        assertThat(r.exit()).isEqualTo(RecurCli.USAGE_ERROR);
        assertThat(r.errors()).containsExactly("recur: Recur needs the JVM option --enable-native-access=ALL-UNNAMED"
                + " (native memory and CUDA through the FFM API)" + SUFFIX);
    }

    @Test
    void withBothOptionsInfoRuns() throws Exception {
        ChildJvm.Result r = recur(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"), "info");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).contains("vector species", "kernels        vector");
        assertThat(r.errors()).isEmpty();
    }

    private static ChildJvm.Result recur(List<String> jvmOptions, String... args) throws Exception {
        ChildJvm.Result r = ChildJvm.run(RecurCli.class.getName(), jvmOptions, args);
        assertThat(r.stderr()).as("no stack trace").noneMatch(l -> l.strip().startsWith("at ") || l.contains("Exception")
                || l.contains("Error:"));
        return r;
    }
}
