package dev.recur.engine.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Loads, before any kernel runs, every class that kernel code could later meet behind
 * {@link MemorySegment} and the Vector API's abstract types: each heap segment kind, the mapped
 * segment, and the vectors, masks and shuffles of every shape for float, int and double.
 *
 * <p>Why: C2 compiles a kernel assuming that the subclasses loaded so far are the only ones (class
 * hierarchy analysis). Without the preload, the first heap segment of a run (a
 * {@code MemorySegment.ofArray}, e.g. in an evaluation) or the first IntVector invalidates every
 * compiled kernel at once, and the kernels go back to the interpreter, where Vector API code runs
 * ~100x slower, until C2 compiles them again (docs/performance.md, "Measurements behind the CPU
 * kernels").
 *
 * <p>Called from the class initialisers of the two public kernel classes, {@link VectorKernels}
 * and {@link VectorSgemm}: every other vector kernel is reached only through them.
 */
final class ClassHierarchyPreload {
    private ClassHierarchyPreload() {
    }

    /** Idempotent: the work is done once, by this holder's class initialisation. */
    static void ensureLoaded() {
        Holder.LOADED.hashCode();
    }

    private static final class Holder {
        static final Object LOADED = load();

        private static Object load() {
            List<MemorySegment> heap = List.of(MemorySegment.ofArray(new byte[1]), MemorySegment.ofArray(new short[1]),
                    MemorySegment.ofArray(new char[1]), MemorySegment.ofArray(new int[1]), MemorySegment.ofArray(new long[1]),
                    MemorySegment.ofArray(new float[1]), MemorySegment.ofArray(new double[1]));
            try {
                // No public way to make a mapped segment without a file; loading the class is what counts.
                Class.forName("jdk.internal.foreign.MappedMemorySegmentImpl", false, MemorySegment.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                // A later JDK may name it differently: then only its first use costs a recompilation.
            }
            List<VectorSpecies<?>> species = List.of(
                    FloatVector.SPECIES_64, FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512,
                    FloatVector.SPECIES_MAX, IntVector.SPECIES_64, IntVector.SPECIES_128, IntVector.SPECIES_256,
                    IntVector.SPECIES_512, IntVector.SPECIES_MAX, DoubleVector.SPECIES_64, DoubleVector.SPECIES_128,
                    DoubleVector.SPECIES_256, DoubleVector.SPECIES_512, DoubleVector.SPECIES_MAX);
            int loaded = heap.size();
            for (VectorSpecies<?> s : species) {
                loaded += s.zero().length() + s.maskAll(true).trueCount() + s.iotaShuffle(0, 1, true).length();
            }
            return loaded;
        }
    }
}
