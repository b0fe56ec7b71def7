package dev.recur.engine.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Fork-join helper for the CPU kernels: runs {@code body.accept(0 .. tasks-1)} on persistent daemon
 * workers and the calling thread, and returns when every task is done.
 *
 * <p>The thread count is read once from the system property {@code recur.threads} (default: the
 * number of available processors). Tasks are handed out one at a time from a shared counter, so
 * uneven tasks balance themselves; a kernel should therefore split its work into a few tasks per
 * thread, each big enough (tens of microseconds) to amortise the hand-off.
 *
 * <p>Runs inline, on the calling thread, when there is one thread, one task, when called from
 * inside a task (nested parallelism), or while another thread is using the workers. Workers spin
 * for a short while after a job before parking, so that back-to-back calls (one per time step of a
 * recurrent layer) do not pay a wake-up each time.
 */
public final class CpuParallel {
    /** How long an idle worker spins before parking: a few recurrent time steps. */
    private static final long SPIN_NANOS = 50_000;

    private static final int THREADS = configuredThreads();
    private static final Pool POOL = THREADS > 1 ? new Pool(THREADS - 1) : null;

    private CpuParallel() {
    }

    /** The number of threads {@link #parallelFor} uses, the caller included (at least 1). */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} for every task index in {@code [0, tasks)}, in no particular order and
     * possibly concurrently, and returns once all have finished. Writes made by the tasks are
     * visible to the caller afterwards. The first exception thrown by a task is rethrown here
     * (after the other tasks have finished).
     */
    public static void parallelFor(int tasks, IntConsumer body) {
        if (tasks <= 0) {
            return;
        }
        if (tasks == 1 || POOL == null || Thread.currentThread() instanceof Worker || !POOL.lock.tryLock()) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        try {
            POOL.run(new Job(tasks, body));
        } finally {
            POOL.lock.unlock();
        }
    }

    private static int configuredThreads() {
        String configured = System.getProperty("recur.threads");
        int threads = configured == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(configured.trim());
        if (threads < 1) {
            throw new IllegalArgumentException("recur.threads must be at least 1, got " + threads);
        }
        return threads;
    }

    private static final class Job {
        final int tasks;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        volatile Throwable failure;

        Job(int tasks, IntConsumer body) {
            this.tasks = tasks;
            this.body = body;
        }

        void work() {
            int t;
            while ((t = next.getAndIncrement()) < tasks) {
                try {
                    body.accept(t);
                } catch (Throwable e) {
                    if (failure == null) {
                        failure = e;
                    }
                } finally {
                    finished.incrementAndGet();
                }
            }
        }

        boolean done() {
            return finished.get() == tasks;
        }
    }

    private static final class Pool {
        final ReentrantLock lock = new ReentrantLock();
        final Worker[] workers;
        volatile Job current;

        Pool(int workerCount) {
            workers = new Worker[workerCount];
            for (int i = 0; i < workerCount; i++) {
                workers[i] = new Worker(this, i);
                workers[i].start();
            }
        }

        void run(Job job) {
            current = job;
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
            job.work();
            long waitStart = System.nanoTime();
            while (!job.done()) {
                // A worker may have been descheduled mid-task (2 cores shared with other
                // processes): stop competing for its core after a short spin.
                if (System.nanoTime() - waitStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            current = null;
            Throwable failure = job.failure;
            if (failure instanceof RuntimeException e) {
                throw e;
            } else if (failure instanceof Error e) {
                throw e;
            } else if (failure != null) {
                throw new RuntimeException(failure);
            }
        }
    }

    private static final class Worker extends Thread {
        private final Pool pool;
        volatile boolean parked;

        Worker(Pool pool, int index) {
            super("recur-cpu-" + index);
            this.pool = pool;
            setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            while (true) {
                Job job = pool.current;
                if (job != null && job != last) {
                    job.work();
                    last = job;
                    continue;
                }
                long spinStart = System.nanoTime();
                while ((job = pool.current) == null || job == last) {
                    if (System.nanoTime() - spinStart < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        // Re-check after announcing: run() unparks only workers it sees parked.
                        job = pool.current;
                        if (job == null || job == last) {
                            LockSupport.park(this);
                        }
                        parked = false;
                        spinStart = System.nanoTime();
                    }
                }
            }
        }
    }
}
