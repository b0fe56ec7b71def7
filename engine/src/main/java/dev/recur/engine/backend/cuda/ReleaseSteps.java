package dev.recur.engine.backend.cuda;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What was acquired, as the steps that give it back (context, stream, module, cuBLAS handle):
 * run newest first, every one of them even when one fails, so that a failing step leaks nothing
 * after it. The first failure is thrown (or, after a failure that is already being thrown, added
 * to it), the later ones suppressed. Not thread-safe.
 */
final class ReleaseSteps {
    private final Deque<Runnable> steps = new ArrayDeque<>();

    /** Registers the step that gives back what was just acquired. */
    void add(Runnable step) {
        steps.push(step);
    }

    /** Runs every step, newest first; throws the first failure with the later ones suppressed. */
    void runAll() {
        RuntimeException failure = runAllCollecting(null);
        if (failure != null) throw failure;
    }

    /** Runs every step, newest first, after {@code cause} (which the caller throws): their failures go onto it, suppressed. */
    void runAllAfter(RuntimeException cause) {
        runAllCollecting(cause);
    }

    private RuntimeException runAllCollecting(RuntimeException first) {
        while (!steps.isEmpty()) {
            try {
                steps.pop().run();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else if (e != first) first.addSuppressed(e);
            }
        }
        return first;
    }
}
