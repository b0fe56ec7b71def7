package dev.recur.engine.backend.emulated;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The emulator cannot drift from the CUDA ABI: every twin it registers has the name and the
 * parameter list (kinds int / float / pointer and names, in order) of an {@code extern "C"
 * __global__} declaration in {@code native/src/*.cu}.
 */
class CudaKernelAbiTest {
    /**
     * {@code extern "C" __global__ void [__launch_bounds__(...)] name(params)}, params possibly over
     * several lines (the persistent kernels declare launch bounds before the name).
     */
    static final Pattern DECLARATION = Pattern.compile(
            "extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\)\\s*)?(\\w+)\\(([^)]*)\\)");

    static Map<String, CudaKernelSignature> declaredInSources() throws IOException {
        Path sources = Path.of(System.getProperty("recur.native.sources", "../native/src"));
        Map<String, CudaKernelSignature> declared = new TreeMap<>();
        try (Stream<Path> files = Files.list(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                Matcher m = DECLARATION.matcher(Files.readString(f));
                while (m.find()) declared.put(m.group(1), CudaKernelSignature.parse(m.group(1), m.group(2)));
            }
        }
        return declared;
    }

    @Test
    void everyTwinHasTheNameAndParametersOfItsCudaKernel() throws IOException {
        Map<String, CudaKernelSignature> declared = declaredInSources();
        assertThat(declared).as("kernels declared in native/src").hasSizeGreaterThan(30).containsKey("recur_lstm_forward");
        List<String> mismatches = new ArrayList<>();
        for (String name : JavaKernelTwins.names()) {
            CudaKernelSignature twin = JavaKernelTwins.twin(name).signature();
            CudaKernelSignature cuda = declared.get(name);
            if (cuda == null) mismatches.add(name + ": no such kernel in native/src");
            else if (!cuda.parameters().equals(twin.parameters())) mismatches.add("twin " + twin + " vs CUDA " + cuda);
        }
        assertThat(mismatches).isEmpty();
        assertThat(JavaKernelTwins.names()).as("the kernels the GPU layer launches").contains("recur_rnn_forward",
                "recur_rnn_backward", "recur_lstm_forward", "recur_lstm_backward", "recur_gru_forward", "recur_gru_backward",
                "recur_masked_step", "recur_masked_step_backward", "recur_add_active_rows", "recur_add_row_vector");
    }

    @Test
    void theComparisonSeesAChangedParameter() {
        CudaKernelSignature cuda = CudaKernelSignature.parse("recur_axpy", "int n, float alpha, const float* x, float* y");
        assertThat(CudaKernelSignature.parse("recur_axpy", "int n, int alpha, const float* x, float* y").parameters())
                .isNotEqualTo(cuda.parameters());
        assertThat(CudaKernelSignature.parse("recur_axpy", "int n, float alpha, float* y, const float* x").parameters())
                .isNotEqualTo(cuda.parameters());
        assertThat(CudaKernelSignature.parse("recur_axpy", "int n,\n   float alpha, const float *x, float* y").parameters())
                .isEqualTo(cuda.parameters());
    }
}
