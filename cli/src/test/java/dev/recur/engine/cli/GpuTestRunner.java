package dev.recur.engine.cli;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.util.Arrays;

/**
 * The gpu-tagged tests outside Maven, for a GPU host that has a Java runtime but no build tools
 * ({@code bench/scripts/gpu-run.sh}): {@code java -cp ... GpuTestRunner CLASS...} runs the tests
 * tagged {@code gpu} in the named test classes (named, not scanned for: a jlink runtime without
 * jdk.zipfs cannot scan jars), prints one line per test (ok, FAILED with the reason, or skipped with the reason)
 * and a summary, and exits 1 when a test failed or none was found, else 0. A skip is printed as
 * a skip, never counted as a pass.
 */
public final class GpuTestRunner {
    private GpuTestRunner() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: GpuTestRunner CLASS... (test classes, fully qualified)");
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(args).map(DiscoverySelectors::selectClass).toList())
                .filters(TagFilter.includeTags("gpu"))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary, new LinePerTest());
        TestExecutionSummary s = summary.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 30);
        out.printf("gpu tests: %d found, %d passed, %d failed, %d skipped (an assumption not met, e.g. no usable GPU)%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(),
                s.getTestsSkippedCount() + s.getTestsAbortedCount());
        out.flush();
        System.exit(s.getTotalFailureCount() > 0 || s.getTestsFoundCount() == 0 ? 1 : 0);
    }

    /** One line per finished test: what it is and how it ended. */
    private static final class LinePerTest implements TestExecutionListener {
        @Override
        public void executionSkipped(TestIdentifier test, String reason) {
            System.out.println("skipped  " + test.getDisplayName() + ": " + reason);
        }

        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (!test.isTest()) return;
            String why = result.getThrowable().map(t -> ": " + String.valueOf(t.getMessage()).lines().findFirst().orElse(""))
                    .orElse("");
            String status = switch (result.getStatus()) {
                case SUCCESSFUL -> "ok      ";
                case ABORTED -> "skipped ";   // an assumption not met
                case FAILED -> "FAILED  ";
            };
            System.out.println(status + " " + test.getLegacyReportingName() + " " + test.getDisplayName() + why);
            System.out.flush();
        }
    }
}
