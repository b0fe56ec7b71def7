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
            assertThat(status).startsWith(probe.line()).endsWith("but the engine's CUDA backend is not built yet (CPU only)");
        } else {
            assertThat(status).isEqualTo(probe.line());
        }
        DeviceOption option = new DeviceOption();
        option.device = "cuda";
        assertThatThrownBy(option::requireUsable).isInstanceOf(UserError.class)
                .hasMessage("--device cuda is not usable: " + status).hasMessageNotContaining("\n");
    }
}
