package dev.recur.engine.backend.gpu;

import dev.recur.engine.backend.emulated.EmulatedGpuDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CachingDeviceAllocatorTest {
    @Test
    void sizeClassesCoverTheRequestAndWasteAtMostAFifth() {
        assertThat(CachingDeviceAllocator.sizeClass(0)).isEqualTo(512);
        assertThat(CachingDeviceAllocator.sizeClass(1)).isEqualTo(512);
        assertThat(CachingDeviceAllocator.sizeClass(513)).isEqualTo(1024);
        assertThat(CachingDeviceAllocator.sizeClass(2049)).isEqualTo(2560);
        assertThat(CachingDeviceAllocator.sizeClass(1 << 20)).isEqualTo(1 << 20);
        assertThat(CachingDeviceAllocator.sizeClass((1 << 20) + 1)).isEqualTo((1 << 20) + (1 << 18));
        for (long bytes = 2049; bytes < 50_000_000; bytes = bytes * 7 / 5 + 3) {
            long size = CachingDeviceAllocator.sizeClass(bytes);
            assertThat(size).as("class of %d", bytes).isGreaterThanOrEqualTo(bytes).isLessThanOrEqualTo(bytes + bytes / 4);
            assertThat(CachingDeviceAllocator.sizeClass(size)).as("a class is its own class").isEqualTo(size);
        }
    }

    @Test
    void releasedBlocksAreReusedAndEmptyCacheFreesThem() {
        try (EmulatedGpuDevice device = new EmulatedGpuDevice(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device)) {
            CachingDeviceAllocator.Block a = memory.allocate(1000), b = memory.allocate(5000);
            assertThat(memory.rawAllocations()).isEqualTo(2);
            assertThat(memory.bytesInUse()).isEqualTo(1024 + 5120);
            long addressA = a.address();
            a.close();
            b.close();
            assertThat(memory.bytesInUse()).isZero();
            assertThat(memory.bytesCached()).isEqualTo(1024 + 5120);
            CachingDeviceAllocator.Block again = memory.allocate(600);   // same class as 1000
            assertThat(again.address()).isEqualTo(addressA);
            assertThat(memory.rawAllocations()).isEqualTo(2);
            assertThatThrownBy(a::address).isInstanceOf(IllegalStateException.class);
            a.close();   // twice: nothing
            assertThat(memory.bytesCached()).isEqualTo(5120);

            memory.emptyCache();
            assertThat(memory.bytesCached()).isZero();
            assertThat(memory.rawFrees()).isEqualTo(1);
            assertThat(device.liveAllocations()).isEqualTo(1);   // `again` still in use
        }
    }

    @Test
    void aRepeatedWorkloadMakesNoNewRawAllocations() {
        try (EmulatedGpuDevice device = new EmulatedGpuDevice(); CachingDeviceAllocator memory = new CachingDeviceAllocator(device)) {
            long[] sizes = {4, 17 * 4, 3 * 17 * 4, 1 << 16, 12345, 4};
            for (int round = 0; round < 3; round++) {
                List<CachingDeviceAllocator.Block> held = new ArrayList<>();
                for (long s : sizes) held.add(memory.allocate(s));
                held.forEach(CachingDeviceAllocator.Block::close);
                assertThat(memory.rawAllocations()).as("round %d", round).isEqualTo(sizes.length);
            }
        }
    }

    @Test
    void closeFreesEverythingOnTheDevice() {
        try (EmulatedGpuDevice device = new EmulatedGpuDevice()) {
            CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
            memory.allocate(100);
            memory.allocate(100_000).close();
            memory.close();
            assertThat(device.liveAllocations()).isZero();
            assertThatThrownBy(() -> memory.allocate(1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void outOfMemoryEmptiesTheCacheAndTriesOnceMore() {
        try (EmulatedGpuDevice device = new EmulatedGpuDevice()) {
            device.setCapacity(64 * 1024);
            CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
            memory.allocate(40 * 1024).close();                       // cached: 40 KiB of the 64 held
            CachingDeviceAllocator.Block big = memory.allocate(50 * 1024);   // needs the cache emptied first
            assertThat(big.bytes()).isGreaterThanOrEqualTo(50 * 1024);
            assertThat(memory.rawFrees()).isEqualTo(1);
            assertThatThrownBy(() -> memory.allocate(50 * 1024)).isInstanceOf(DeviceOutOfMemoryException.class)
                    .hasMessageContaining("out of memory");
            memory.close();
        }
    }

    @Test
    void aFailureOtherThanOutOfMemoryIsThrownAsItIsWithoutFreeingTheCache() {
        try (FaultyDevice device = new FaultyDevice()) {
            CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
            memory.allocate(1000).close();
            device.allocateFailure = new IllegalStateException("cuMemAlloc_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS");
            device.freeFailure = new IllegalStateException("cuMemFree_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS");
            assertThatThrownBy(() -> memory.allocate(100_000)).isSameAs(device.allocateFailure);
            assertThat(memory.rawFrees()).as("no emptyCache() after a sticky fault").isZero();
            assertThat(memory.bytesCached()).isEqualTo(CachingDeviceAllocator.sizeClass(1000));
        }
    }

    @Test
    void aFailedFreeDuringTheRetryIsKeptBehindTheOutOfMemory() {
        try (FaultyDevice device = new FaultyDevice()) {
            CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
            memory.allocate(1000).close();
            DeviceOutOfMemoryException outOfMemory = new DeviceOutOfMemoryException("cuMemAlloc_v2 failed: out of memory", null);
            device.allocateFailure = outOfMemory;
            device.freeFailure = new IllegalStateException("cuMemFree_v2 failed");
            assertThatThrownBy(() -> memory.allocate(100_000)).isSameAs(outOfMemory)
                    .satisfies(e -> assertThat(e.getSuppressed()).containsExactly(device.freeFailure));
        }
    }

    @Test
    void closeTriesEveryFreeAndThrowsTheFirstFailureWithTheRestSuppressed() {
        try (FaultyDevice device = new FaultyDevice()) {
            CachingDeviceAllocator memory = new CachingDeviceAllocator(device);
            memory.allocate(100);
            memory.allocate(10_000);
            memory.allocate(100_000).close();
            device.freeFailureMessage = "cuMemFree_v2 failed: CUDA_ERROR_LAUNCH_FAILED";
            assertThatThrownBy(memory::close).hasMessage("cuMemFree_v2 failed: CUDA_ERROR_LAUNCH_FAILED 1")
                    .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                            .containsExactly("cuMemFree_v2 failed: CUDA_ERROR_LAUNCH_FAILED 2", "cuMemFree_v2 failed: CUDA_ERROR_LAUNCH_FAILED 3"));
            assertThat(device.freesTried).isEqualTo(3);
            assertThat(memory.rawFrees()).isEqualTo(3);
            assertThatThrownBy(() -> memory.allocate(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    /**
     * The emulated device, with allocate and free made to fail on demand: allocate and free throw
     * the exception given, or free a fresh one numbered by the frees tried.
     */
    private static final class FaultyDevice implements GpuDevice {
        private final EmulatedGpuDevice device = new EmulatedGpuDevice();
        RuntimeException allocateFailure, freeFailure;
        String freeFailureMessage;
        int freesTried;

        @Override
        public String description() {
            return "faulty " + device.description();
        }

        @Override
        public long allocate(long bytes) {
            if (allocateFailure != null) throw allocateFailure;
            return device.allocate(bytes);
        }

        @Override
        public void free(long address) {
            freesTried++;
            if (freeFailure != null) throw freeFailure;
            if (freeFailureMessage != null) throw new IllegalStateException(freeFailureMessage + " " + freesTried);
            device.free(address);
        }

        @Override
        public void copyToDevice(java.lang.foreign.MemorySegment host, long to, long bytes) {
            device.copyToDevice(host, to, bytes);
        }

        @Override
        public void copyToHost(long from, java.lang.foreign.MemorySegment host, long bytes) {
            device.copyToHost(from, host, bytes);
        }

        @Override
        public void copyOnDevice(long from, long to, long bytes) {
            device.copyOnDevice(from, to, bytes);
        }

        @Override
        public void zero(long address, long bytes) {
            device.zero(address, bytes);
        }

        @Override
        public void fill(long address, long count, float value) {
            device.fill(address, count, value);
        }

        @Override
        public GpuKernel kernel(String name) {
            return device.kernel(name);
        }

        @Override
        public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                          float beta, long c, int ldc) {
            device.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

        @Override
        public void setTf32(boolean enabled) {
            device.setTf32(enabled);
        }

        @Override
        public void synchronize() {
            device.synchronize();
        }

        @Override
        public GpuGraph capture(Runnable work) {
            return device.capture(work);
        }

        @Override
        public PersistentPlan.DeviceLimits persistentLimits() {
            return device.persistentLimits();
        }

        @Override
        public void close() {
            device.close();
        }
    }
}
