package dev.recur.bindings;

import dev.recur.bindings.cublas.Cublas;
import dev.recur.bindings.cuda.CudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Whether this machine can run CUDA work through the bindings: the driver loads, cuInit succeeds,
 * a device exists, the driver supports CUDA 12 or newer, and a cuBLAS it can run loads (13 or 12,
 * see {@link NativeLibraries#CUBLAS}). Probed once per JVM (cuInit is not free); the answer is
 * one line. Whether Recur's own kernels load on the device is the engine's question
 * ({@code CudaSession.availability()}).
 */
public final class CudaAvailability {
    /** {@code usable}: a GPU, its driver and cuBLAS are all there; {@code line}: what was found, or why not. */
    public record Status(boolean usable, String line) { }

    private static volatile Status status;

    private CudaAvailability() { }

    public static Status status() {
        Status s = status;
        if (s == null) {
            synchronized (CudaAvailability.class) {
                s = status;
                if (s == null) status = s = probe();
            }
        }
        return s;
    }

    private static Status probe() {
        var driverMissing = NativeLibraries.CUDA_DRIVER.loadFailure();
        if (driverMissing.isPresent()) return new Status(false, "no NVIDIA driver: " + driverMissing.get());
        try (Arena arena = Arena.ofConfined()) {
            int init = CudaDriver.cuInit(0);
            if (init != CudaDriver.CUDA_SUCCESS) {
                return new Status(false, "the NVIDIA driver (libcuda.so.1 from " + NativeLibraries.CUDA_DRIVER.location()
                        + ") cannot initialise: cuInit returned " + CudaCheck.describe(init));
            }
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            CudaCheck.check(CudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
            if (count.get(ValueLayout.JAVA_INT, 0) == 0) return new Status(false, "the NVIDIA driver sees no CUDA device");
            MemorySegment version = arena.allocate(ValueLayout.JAVA_INT);
            CudaCheck.check(CudaDriver.cuDriverGetVersion(version), "cuDriverGetVersion");
            int driverVersion = version.get(ValueLayout.JAVA_INT, 0);
            MemorySegment device = arena.allocate(ValueLayout.JAVA_INT);
            CudaCheck.check(CudaDriver.cuDeviceGet(device, 0), "cuDeviceGet");
            MemorySegment name = arena.allocate(256);
            CudaCheck.check(CudaDriver.cuDeviceGetName(name, (int) name.byteSize(), device.get(ValueLayout.JAVA_INT, 0)), "cuDeviceGetName");
            String gpu = name.getString(0) + " (" + count.get(ValueLayout.JAVA_INT, 0) + " device(s), driver CUDA "
                    + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + ")";

            if (driverVersion < 12000) {
                return new Status(false, gpu + ", but Recur needs a driver for CUDA 12 or newer");
            }
            var cublasMissing = NativeLibraries.CUBLAS.loadFailure();
            if (cublasMissing.isPresent()) return new Status(false, gpu + ", but cuBLAS is missing: " + cublasMissing.get());
            String cublas = cublasVersion(arena);
            String tooOld = driverTooOld(Integer.parseInt(cublas.substring(0, cublas.indexOf('.'))), driverVersion);
            if (tooOld != null) return new Status(false, gpu + ", but " + tooOld + " (" + NativeLibraries.CUBLAS.location() + ")");
            return new Status(true, gpu + ", cuBLAS " + cublas + " from " + NativeLibraries.CUBLAS.location());
        } catch (CudaException | CublasException | NativeLibraryException e) {
            return new Status(false, "the NVIDIA driver is present but " + e.getMessage());
        }
    }

    /**
     * Why a cuBLAS of major version {@code cublasMajor} cannot run on a driver supporting CUDA
     * {@code driverVersion} (1000·major + 10·minor), or null when it can: a cuBLAS needs a
     * driver of its own CUDA major version or newer.
     */
    static String driverTooOld(int cublasMajor, int driverVersion) {
        if (driverVersion >= cublasMajor * 1000) return null;
        return "cuBLAS " + cublasMajor + " needs a driver for CUDA " + cublasMajor + " or newer and this one supports CUDA "
                + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + ": install cuBLAS " + driverVersion / 1000
                + " (e.g. the nvidia-cublas-cu" + driverVersion / 1000 + " wheel) or set RECUR_CUBLAS_LIB to one";
    }

    /** major.minor.patch through cublasGetProperty, which needs no handle and no GPU. */
    static String cublasVersion(Arena arena) {
        MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
        StringBuilder version = new StringBuilder();
        for (int property : new int[]{Cublas.MAJOR_VERSION, Cublas.MINOR_VERSION, Cublas.PATCH_LEVEL}) {
            CublasCheck.check(Cublas.cublasGetProperty(property, value), "cublasGetProperty");
            if (!version.isEmpty()) version.append('.');
            version.append(value.get(ValueLayout.JAVA_INT, 0));
        }
        return version.toString();
    }
}
