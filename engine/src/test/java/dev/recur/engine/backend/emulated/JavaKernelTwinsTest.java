package dev.recur.engine.backend.emulated;

import dev.recur.engine.backend.gpu.GpuKernel;
import dev.recur.engine.tensor.RelativeError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each Java twin against the CUDA kernel it stands for, compiled for the host: the same launch
 * (arguments chosen by parameter name: sizes 3 and 5, t = 1, lengths {1, 3, 2} so one sample is
 * inactive, or no lengths) on the same random memory, then every buffer compared. A twin that
 * hands its arguments to the wrong engine kernel parameter fails here.
 */
class JavaKernelTwinsTest {
    static final int FLOATS = 512, BATCH = 3, WIDTH = 5, LD = 7, ROWS = 3, N = 17;

    static List<String> kernels() {
        // javaOnly twins (the persistent kernels) have no host-compiled counterpart to compare with
        return JavaKernelTwins.names().stream().filter(n -> !JavaKernelTwins.twin(n).javaOnly()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void twinWritesWhatTheCudaKernelWrites(String name) {
        CudaKernelSignature s = JavaKernelTwins.twin(name).signature();
        long seed = System.nanoTime();
        try (EmulatedGpuDevice twins = new EmulatedGpuDevice();
             EmulatedGpuDevice cuda = EmulatedKernelsKind.HOST_COMPILED_CUDA.open();
             Arena host = Arena.ofConfined()) {
            for (boolean withLengths : new boolean[]{true, false}) {
                for (int relu = 0; relu < 2; relu++) {
                    SplittableRandom rng = new SplittableRandom(seed + relu);
                    List<MemorySegment> initial = new ArrayList<>();
                    long[] onTwins = new long[s.parameters().size()], onCuda = new long[onTwins.length];
                    GpuKernel a = twins.kernel(name), b = cuda.kernel(name);
                    for (int i = 0; i < onTwins.length; i++) {
                        CudaKernelSignature.Parameter p = s.parameters().get(i);
                        switch (p.kind()) {
                            case INT -> {
                                int v = switch (p.name()) {
                                    case "batch", "rows" -> p.name().equals("rows") ? ROWS : BATCH;
                                    case "hidden", "width", "cols" -> WIDTH;
                                    case "t" -> 1;
                                    case "use_relu" -> relu;
                                    case "n" -> N;
                                    default -> {
                                        if (!p.name().startsWith("ld")) throw new AssertionError("no value for " + p);
                                        yield LD;
                                    }
                                };
                                a.arg(i, v);
                                b.arg(i, v);
                            }
                            case FLOAT -> {
                                float v = (float) rng.nextDouble(-2, 2);
                                a.arg(i, v);
                                b.arg(i, v);
                            }
                            case DOUBLE -> {
                                double v = rng.nextDouble(0.5, 2);
                                a.arg(i, v);
                                b.arg(i, v);
                            }
                            case POINTER -> {
                                MemorySegment m = host.allocate((long) FLOATS * Float.BYTES);
                                if (p.name().equals("lengths")) {
                                    if (!withLengths) {
                                        a.pointer(i, 0);
                                        b.pointer(i, 0);
                                        initial.add(null);
                                        continue;
                                    }
                                    m.copyFrom(MemorySegment.ofArray(new int[]{1, 3, 2}));
                                } else if (p.name().equals("sum_of_squares")) {
                                    m.set(ValueLayout.JAVA_DOUBLE, 0, rng.nextDouble(1, 100));   // a sum of squares: >= 0
                                } else {
                                    for (int j = 0; j < FLOATS; j++) m.setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) rng.nextDouble(-1, 1));
                                }
                                initial.add(m);
                                onTwins[i] = twins.allocate(m.byteSize());
                                onCuda[i] = cuda.allocate(m.byteSize());
                                twins.copyToDevice(m, onTwins[i], m.byteSize());
                                cuda.copyToDevice(m, onCuda[i], m.byteSize());
                                a.pointer(i, onTwins[i]);
                                b.pointer(i, onCuda[i]);
                                continue;
                            }
                            default -> throw new AssertionError(p.toString());
                        }
                        initial.add(null);
                    }
                    a.launch(BATCH * WIDTH);
                    b.launch(BATCH * WIDTH);
                    for (int i = 0; i < onTwins.length; i++) {
                        if (onTwins[i] == 0) continue;
                        MemorySegment x = host.allocate((long) FLOATS * Float.BYTES), y = host.allocate((long) FLOATS * Float.BYTES);
                        twins.copyToHost(onTwins[i], x, x.byteSize());
                        cuda.copyToHost(onCuda[i], y, y.byteSize());
                        double err = RelativeError.l2(x.toArray(ValueLayout.JAVA_FLOAT), y.toArray(ValueLayout.JAVA_FLOAT));
                        assertThat(err).as("%s argument %s, lengths %s, use_relu %d, seed %d", name, s.parameters().get(i),
                                withLengths, relu, seed).isLessThanOrEqualTo(1e-6);
                    }
                }
            }
        }
    }
}
