package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaAvailability;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Opening GPU 0: the clear refusal where no GPU is usable, and the kernels' fatbin in the jar. */
class CudaSessionTest {

    @Test
    void withoutAGpuOpeningSaysWhyInOneLine() {
        CudaAvailability.Status status = CudaAvailability.status();
        assumeFalse(status.usable(), "skipped: this machine has a usable GPU");
        assertThatThrownBy(CudaSession::open).isInstanceOf(IllegalStateException.class)
                .hasMessage("no usable GPU: " + status.line())
                .hasMessageNotContaining("\n");
    }

    @Test
    void theKernelsComeFromTheJarOrTheBuildSaysWhyNot() throws Exception {
        java.util.Properties info = new java.util.Properties();
        try (var in = CudaSession.class.getResourceAsStream(CudaSession.FATBIN_INFO)) {
            assertThat(in).as(CudaSession.FATBIN_INFO + " in the jar").isNotNull();
            info.load(in);
        }
        if (Boolean.parseBoolean(info.getProperty("built"))) {
            byte[] fatbin = CudaSession.fatbin();
            assertThat(new byte[]{fatbin[0], fatbin[1], fatbin[2], fatbin[3]}).as("fatbin magic 0xBA55ED50")
                    .containsExactly(0x50, 0xED, 0x55, 0xBA);
        } else {
            assertThatThrownBy(CudaSession::fatbin).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("this build has no CUDA kernels");
        }
    }
}
