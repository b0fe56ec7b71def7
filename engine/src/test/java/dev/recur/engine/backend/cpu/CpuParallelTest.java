package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.KernelProvider;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Nested parallelism: a kernel called from a task, on a worker or on the calling thread, runs
 * inline on that task's thread (the caller holds the pool while its job runs; letting it in again
 * would hand the busy workers a second job).
 */
class CpuParallelTest {

    @Test
    void aParallelForInsideATaskRunsInlineOnTheTasksThread() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int round = 0; round < 200; round++) {
                AtomicInteger runs = new AtomicInteger();
                Set<String> mismatched = ConcurrentHashMap.newKeySet();
                CpuParallel.parallelFor(2, outer -> {
                    Thread taskThread = Thread.currentThread();
                    CpuParallel.parallelFor(5, inner -> {
                        runs.incrementAndGet();
                        if (Thread.currentThread() != taskThread) mismatched.add(outer + "." + inner);
                    });
                });
                assertThat(runs.get()).isEqualTo(10);
                assertThat(mismatched).isEmpty();
            }
        });
    }

    @Test
    void aTeamInsideATaskHasOneMember() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int round = 0; round < 200; round++) {
                Set<Integer> sizes = ConcurrentHashMap.newKeySet();
                KernelProvider.vector().runIndependent(2, d -> CpuParallel.team(8, (member, members, barrier) -> {
                    sizes.add(members);
                    barrier.await();
                }));
                assertThat(sizes).containsExactly(1);
            }
        });
    }

    @Test
    void runIndependentRunsEveryTaskOnce() {
        for (var kernels : new dev.recur.engine.backend.Kernels[]{KernelProvider.vector(), KernelProvider.naive()}) {
            for (int tasks : new int[]{1, 2, 3, 7}) {
                int[] ran = new int[tasks];
                kernels.runIndependent(tasks, t -> ran[t]++);
                assertThat(ran).as(kernels.name() + " " + tasks).containsOnly(1);
            }
        }
    }
}
