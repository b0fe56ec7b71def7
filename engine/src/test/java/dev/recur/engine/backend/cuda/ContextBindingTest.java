package dev.recur.engine.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The context follows the calling thread: made current once per change of thread, on that thread.
 * (That the driver then accepts the calls is for a GPU to show: the gpu-tagged CudaDeviceThreadsTest.)
 */
class ContextBindingTest {
    @Test
    void theContextIsMadeCurrentOnEachNewCallingThreadAndOnlyThen() throws InterruptedException {
        List<String> madeCurrentOn = Collections.synchronizedList(new ArrayList<>());
        ContextBinding binding = new ContextBinding(() -> madeCurrentOn.add(Thread.currentThread().getName()));
        binding.onCallingThread();
        binding.onCallingThread();
        String main = Thread.currentThread().getName();
        Thread other = Thread.ofPlatform().name("request-1").start(() -> {
            binding.onCallingThread();
            binding.onCallingThread();
        });
        other.join();
        binding.onCallingThread();   // back on the first thread: its binding may have been changed meanwhile
        assertThat(madeCurrentOn).containsExactly(main, "request-1", main);
    }
}
