package dev.recur.engine.backend.cpu;

import java.lang.foreign.MemorySegment;
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
     * True when the pool's threads may access every one of {@code segments}: a kernel's caller may
     * pass memory of a confined arena, which only its owner thread can touch.
     */
    public static boolean sharedWithWorkers(MemorySegment... segments) {
        if (POOL == null) {
            return true;
        }
        for (MemorySegment s : segments) {
            if (!s.isAccessibleBy(POOL.workers[0])) {
                return false;
            }
        }
        return true;
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
        if (tasks == 1 || POOL == null || insideATask() || !POOL.lock.tryLock()) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        try {
            POOL.run(new Job(tasks, false, body));
        } finally {
            POOL.lock.unlock();
        }
    }

    /**
     * A worker, or the caller while its own job runs (it holds the pool's lock, which would let it
     * in again): a kernel called from a task runs inline, on that task's thread.
     */
    private static boolean insideATask() {
        return Thread.currentThread() instanceof Worker || POOL.lock.isHeldByCurrentThread();
    }

    /** One member of a {@link #team}: its index in [0, members), the team size, and the team's barrier. */
    public interface TeamMember {
        void run(int member, int members, SpinBarrier barrier);
    }

    /**
     * Runs {@code body} once per member, each member on its own thread, all at the same time, so
     * that members may wait for each other at the barrier (a recurrent layer: one barrier per
     * time step, no hand-off through the pool). The team has {@code min(wanted, threads())}
     * members, or one (the caller) when the pool is busy or this is called from inside a task.
     * If a member throws, the barrier breaks (the others stop waiting) and the exception is
     * rethrown here.
     */
    public static void team(int wanted, TeamMember body) {
        int members = Math.min(wanted, THREADS);
        if (members <= 1 || POOL == null || insideATask() || !POOL.lock.tryLock()) {
            body.run(0, 1, new SpinBarrier(1));
            return;
        }
        try {
            SpinBarrier barrier = new SpinBarrier(members);
            POOL.run(new Job(members, true, member -> {
                try {
                    body.run(member, members, barrier);
                } catch (Throwable e) {
                    barrier.breakBarrier();
                    throw e;
                }
            }));
        } finally {
            POOL.lock.unlock();
        }
    }

    /**
     * A reusable barrier for a team whose members each own a core: waiting spins (a recurrent
     * step takes microseconds, far less than a park/unpark round trip), then yields, in case the
     * machine is oversubscribed.
     */
    public static final class SpinBarrier {
        private final int parties;
        private final AtomicInteger arrived = new AtomicInteger();
        private volatile int generation;
        private volatile boolean broken;

        SpinBarrier(int parties) {
            this.parties = parties;
        }

        /** Returns once every member has called await for this generation. */
        public void await() {
            if (parties == 1) {
                return;
            }
            int gen = generation;
            if (arrived.incrementAndGet() == parties) {
                arrived.set(0);
                generation = gen + 1;
                return;
            }
            long start = System.nanoTime();
            while (generation == gen) {
                if (broken) {
                    throw new BrokenTeamException();
                }
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        void breakBarrier() {
            broken = true;
        }
    }

    /** Thrown to the members still waiting when another member failed; the caller sees that failure. */
    private static final class BrokenTeamException extends IllegalStateException {
        BrokenTeamException() {
            super("another member of the team failed");
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
        /** A team job: each thread runs at most one task, so that every task has its own thread. */
        final boolean onePerThread;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        volatile Throwable failure;

        Job(int tasks, boolean onePerThread, IntConsumer body) {
            this.tasks = tasks;
            this.onePerThread = onePerThread;
            this.body = body;
        }

        void work() {
            int t;
            while ((t = next.getAndIncrement()) < tasks) {
                try {
                    body.accept(t);
                } catch (Throwable e) {
                    if (failure == null || (failure instanceof BrokenTeamException && !(e instanceof BrokenTeamException))) {
                        failure = e;
                    }
                } finally {
                    finished.incrementAndGet();
                }
                if (onePerThread) {
                    return;
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
