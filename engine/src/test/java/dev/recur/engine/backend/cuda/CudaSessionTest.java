package dev.recur.engine.backend.cuda;

import dev.recur.bindings.CudaAvailability;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    /**
     * The fatbin holds real code for A100 (sm_80), A10 and RTX 30 (sm_86), L4, L40 and RTX 40
     * (sm_89) and H100/H200 (sm_90), and sm_90 PTX for newer GPUs. Read from the fatbin's own
     * entries (kind 1 PTX, 2 ELF; the architecture at byte 28 of each entry's header).
     */
    @Test
    void theFatbinHasCodeForEveryTargetArchitectureAndPtx() throws Exception {
        java.util.Properties info = new java.util.Properties();
        try (var in = CudaSession.class.getResourceAsStream(CudaSession.FATBIN_INFO)) {
            info.load(in);
        }
        assumeTrue(Boolean.parseBoolean(info.getProperty("built")), "skipped: this build has no CUDA kernels ("
                + info.getProperty("reason") + ")");
        java.nio.ByteBuffer fatbin = java.nio.ByteBuffer.wrap(CudaSession.fatbin()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThat(fatbin.getInt(0)).isEqualTo(0xBA55ED50);
        int headerSize = Short.toUnsignedInt(fatbin.getShort(6));
        long end = headerSize + fatbin.getLong(8);
        java.util.List<String> entries = new java.util.ArrayList<>();
        for (int at = headerSize; at < end; ) {
            int kind = Short.toUnsignedInt(fatbin.getShort(at));
            entries.add((kind == 1 ? "ptx " : kind == 2 ? "sm_" : "kind " + kind + " ") + fatbin.getInt(at + 28));
            at += fatbin.getInt(at + 4) + fatbin.getInt(at + 8);
        }
        assertThat(entries).containsExactlyInAnyOrder("sm_80", "sm_86", "sm_89", "sm_90", "ptx 90");
    }
}
