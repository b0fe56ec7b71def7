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
}
