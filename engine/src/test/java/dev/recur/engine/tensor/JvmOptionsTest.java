package dev.recur.engine.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's first use in a JVM without the options it needs: one line naming them (a
 * {@link MissingJvmOptionException}), never a NoClassDefFoundError. Each case starts a child JVM
 * (this JDK, this test class path) with chosen options and runs {@link JvmOptionsProbe}:
 * {@link ChildJvm}.
 */
class JvmOptionsTest {
    static final String VECTOR = "--add-modules jdk.incubator.vector";
    static final String NATIVE = "--enable-native-access=ALL-UNNAMED";
    static final String SUFFIX = "; add it to the java command line or to Maven Surefire's argLine";

    @Test
    void withoutAnyOptionNamesBoth() throws Exception {
        ChildJvm.Result r = probe(List.of(), "kernels");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.stderr()).containsExactly("Recur needs the JVM options " + VECTOR + " (the Vector API) and " + NATIVE
                + " (native memory and CUDA through the FFM API); add them to the java command line or to Maven Surefire's argLine");
    }

    @Test
    void withoutTheVectorModuleNamesIt() throws Exception {
        for (String entry : List.of("kernels", "naive")) {
            ChildJvm.Result r = probe(List.of(NATIVE), entry);
            assertThat(r.exit()).as(entry).isEqualTo(3);
            assertThat(r.stderr()).as(entry).containsExactly("Recur needs the JVM option " + VECTOR + " (the Vector API)" + SUFFIX);
        }
    }

    @Test
    void nativeAccessRefusedNamesIt() throws Exception {
        for (String entry : List.of("kernels", "memory")) {
            ChildJvm.Result r = probe(List.of("--add-modules", "jdk.incubator.vector", "--illegal-native-access=deny"), entry);
            assertThat(r.exit()).as(entry).isEqualTo(3);
            assertThat(r.errors()).as(entry).containsExactly(
                    "Recur needs the JVM option " + NATIVE + " (native memory and CUDA through the FFM API)" + SUFFIX);
        }
    }

    @Test
    void nativeAccessOnlyWarnedRunsWithTheJdksWarning() throws Exception {
        // JDK 25's default, --illegal-native-access=warn: the engine runs; the JDK's warning names the option.
        ChildJvm.Result r = probe(List.of("--add-modules", "jdk.incubator.vector"), "memory");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).isEqualTo("memory ok");
        assertThat(r.errors()).isEmpty();
        assertThat(String.join("\n", r.stderr())).contains("Use " + NATIVE);
    }

    @Test
    void tensorsAloneNeedNoVectorModule() throws Exception {
        // Tensors, files and checkpoints use native memory only; the kernels check for the Vector API.
        ChildJvm.Result r = probe(List.of(NATIVE), "memory");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).isEqualTo("memory ok");
    }

    @Test
    void withBothOptionsRuns() throws Exception {
        ChildJvm.Result r = probe(List.of("--add-modules", "jdk.incubator.vector", NATIVE), "kernels");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).isEqualTo("kernels vector");
        assertThat(r.stderr()).containsExactly("WARNING: Using incubator modules: jdk.incubator.vector");
    }

    static ChildJvm.Result probe(List<String> jvmOptions, String entry) throws Exception {
        ChildJvm.Result r = ChildJvm.run(JvmOptionsProbe.class.getName(), jvmOptions, entry);
        assertThat(r.stderr()).as("no stack trace").noneMatch(l -> l.strip().startsWith("at ") || l.contains("Exception"));
        return r;
    }
}
