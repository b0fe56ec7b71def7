package dev.recur.engine.backend.cpu;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by the CPU SGEMM implementations, so that both fail the same way. */
final class SgemmArguments {
    private SgemmArguments() {
    }

    static void check(boolean transA, boolean transB, int m, int n, int k,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      MemorySegment c, long cOffset, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        }
        if (m == 0 || n == 0) {
            return;
        }
        checkOperand("C", c, cOffset, m, n, ldc);
        if (k == 0) {
            return;
        }
        // A is stored [m, lda] or, transposed, [k, lda]; B is [k, ldb] or [n, ldb].
        checkOperand("A", a, aOffset, transA ? k : m, transA ? m : k, lda);
        checkOperand("B", b, bOffset, transB ? n : k, transB ? k : n, ldb);
    }

    private static void checkOperand(String name, MemorySegment s, long offset, int rows, int cols, int ld) {
        if (ld < cols || ld < 1) {
            throw new IllegalArgumentException("leading dimension of " + name + " is " + ld
                    + " but its rows hold " + cols + " floats");
        }
        long lastIndex = offset + (long) (rows - 1) * ld + cols - 1;
        if (offset < 0 || (lastIndex + 1) * Float.BYTES > s.byteSize()) {
            throw new IndexOutOfBoundsException(name + " [" + rows + ", " + cols + "] with leading dimension "
                    + ld + " at offset " + offset + " does not fit in a segment of " + s.byteSize() + " bytes");
        }
    }
}
