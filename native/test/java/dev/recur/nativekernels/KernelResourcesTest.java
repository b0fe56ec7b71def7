package dev.recur.nativekernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the recur-native jar carries, read from the classpath as the CUDA backend will read it:
 * either a fatbin holding every kernel the sources declare, described by its properties, or (no
 * nvcc at build time) a properties file saying that and why, and no fatbin.
 */
class KernelResourcesTest {
    static final String PROPERTIES = "/dev/recur/native/recur_kernels.properties";
    static final String FATBIN = "/dev/recur/native/recur_kernels.fatbin";
    /** The fatbin container's magic number, little-endian on disk (fatbinary_section.h: 0xBA55ED50). */
    static final byte[] FATBIN_MAGIC = {0x50, (byte) 0xED, 0x55, (byte) 0xBA};
    static final Pattern KERNEL_DECLARATION = Pattern.compile(
            "^extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\) )?(\\w+)\\(", Pattern.MULTILINE);

    static Properties properties() throws IOException {
        try (InputStream in = KernelResourcesTest.class.getResourceAsStream(PROPERTIES)) {
            assertThat(in).as(PROPERTIES + " on the classpath").isNotNull();
            Properties p = new Properties();
            p.load(in);
            return p;
        }
    }

    /** Every kernel name declared in native/src/*.cu, sorted. */
    static List<String> declaredKernels() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("recur.native.sources")))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                Matcher m = KERNEL_DECLARATION.matcher(Files.readString(f));
                while (m.find()) names.add(m.group(1));
            }
        }
        return names.stream().sorted().toList();
    }

    @Test
    void carriesTheFatbinWithEveryDeclaredKernelOrSaysWhyNot() throws Exception {
        Properties p = properties();
        if (!Boolean.parseBoolean(p.getProperty("built"))) {
            assertThat(p.getProperty("reason")).as("why the kernels were not built").isNotBlank();
            assertThat(KernelResourcesTest.class.getResource(FATBIN)).as("no fatbin without a build").isNull();
            return;
        }
        byte[] fatbin;
        try (InputStream in = KernelResourcesTest.class.getResourceAsStream(FATBIN)) {
            assertThat(in).as(FATBIN + " on the classpath").isNotNull();
            fatbin = in.readAllBytes();
        }
        assertThat(Arrays.copyOf(fatbin, 4)).as("fatbin magic").isEqualTo(FATBIN_MAGIC);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(fatbin)))
                .isEqualTo(p.getProperty("fatbin.sha256"));
        List<String> kernels = List.of(p.getProperty("kernels").split(","));
        assertThat(kernels).as("kernels ptxas compiled vs kernels the sources declare").isEqualTo(declaredKernels());
        String contents = new String(fatbin, StandardCharsets.ISO_8859_1);
        for (String kernel : kernels) {
            assertThat(contents).as("fatbin holds " + kernel).contains(kernel);
        }
        assertThat(p.getProperty("nvcc.version")).isNotBlank();
    }

    @Test
    void docsDescribeEveryKernel() throws Exception {
        String docs = Files.readString(Path.of(System.getProperty("recur.docs"), "kernels.md"));
        for (String kernel : declaredKernels()) {
            assertThat(docs).as("docs/kernels.md documents " + kernel).contains("`" + kernel + "`");
        }
    }
}
