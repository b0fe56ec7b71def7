package dev.recur.engine.cli;

import dev.recur.bindings.CudaAvailability;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceOptionTest {
    @Test
    void cudaIsRefusedWithTheBindingsProbeLineAndNeverClaimsABackend() {
        CudaAvailability.Status probe = CudaAvailability.status();
        String status = DeviceOption.cudaStatus();
        if (probe.usable()) {
            assertThat(status).startsWith(probe.line()).endsWith("but this command runs on the CPU only (the CUDA backend runs recur infer, recur train and recur bench so far)");
        } else {
            assertThat(status).isEqualTo(probe.line());
        }
        DeviceOption option = new DeviceOption();
        option.device = "cuda";
        assertThatThrownBy(option::requireUsable).isInstanceOf(UserError.class)
                .hasMessage("--device cuda is not usable: " + status).hasMessageNotContaining("\n");
    }

    @Test
    void theGpuPathRefusesCudaWithTheProbeLineWhereNoneIsUsable() {
        CudaAvailability.Status probe = CudaAvailability.status();
        org.junit.jupiter.api.Assumptions.assumeFalse(probe.usable(), "skipped: this machine has a usable GPU");
        org.junit.jupiter.api.Assumptions.assumeFalse(System.getProperty(DeviceOption.EMULATE_PROPERTY) != null, "skipped: emulation hook set");
        DeviceOption option = new DeviceOption();
        option.device = "cuda";
        assertThatThrownBy(option::openGpu).isInstanceOf(UserError.class)
                .hasMessage("--device cuda is not usable: " + probe.line()).hasMessageNotContaining("\n");
        option.device = "cpu";
        assertThat(option.openGpu()).isNull();
        option.device = "tpu";
        assertThatThrownBy(option::openGpu).hasMessage("--device 'tpu' is unknown: expected cpu or cuda");
    }
}
