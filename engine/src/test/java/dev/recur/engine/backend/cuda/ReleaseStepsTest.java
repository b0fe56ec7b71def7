package dev.recur.engine.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Giving back what a session acquired: every step runs, newest first, and no failure hides another. */
class ReleaseStepsTest {
    @Test
    void everyStepRunsNewestFirstAndTheFirstFailureIsThrownWithTheRestSuppressed() {
        List<String> ran = new ArrayList<>();
        ReleaseSteps steps = new ReleaseSteps();
        steps.add(() -> ran.add("context"));
        steps.add(() -> { ran.add("stream"); throw new IllegalStateException("cuStreamDestroy_v2 failed"); });
        steps.add(() -> ran.add("module"));
        steps.add(() -> { ran.add("cublas"); throw new IllegalStateException("cublasDestroy_v2 failed"); });
        assertThatThrownBy(steps::runAll).hasMessage("cublasDestroy_v2 failed")
                .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                        .containsExactly("cuStreamDestroy_v2 failed"));
        assertThat(ran).containsExactly("cublas", "module", "stream", "context");
        steps.runAll();   // nothing left to run
        assertThat(ran).hasSize(4);
    }

    @Test
    void afterAFailedOpenTheStepsFailuresGoOntoTheOpeningFailure() {
        List<String> ran = new ArrayList<>();
        ReleaseSteps steps = new ReleaseSteps();
        steps.add(() -> ran.add("context"));
        steps.add(() -> { ran.add("stream"); throw new IllegalStateException("cuStreamDestroy_v2 failed"); });
        IllegalStateException opening = new IllegalStateException("cuModuleLoadDataEx failed");
        steps.runAllAfter(opening);
        assertThat(ran).containsExactly("stream", "context");
        assertThat(opening.getSuppressed()).extracting(Throwable::getMessage).containsExactly("cuStreamDestroy_v2 failed");
    }
}
