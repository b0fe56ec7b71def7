package dev.recur.engine.backend;

import java.lang.foreign.MemorySegment;

/**
 * Single-precision general matrix multiply on row-major off-heap data:
 * {@code C = alpha * op(A) * op(B) + beta * C}, with {@code op(A)} of shape [m, k], {@code op(B)}
 * [k, n] and {@code C} [m, n].
 *
 * <p>Offsets and leading dimensions count floats, not bytes. {@code A} is stored as [m, lda] (or
 * [k, lda] when {@code transA}), {@code B} as [k, ldb] (or [n, ldb] when {@code transB}), {@code C}
 * as [m, ldc]. When {@code beta == 0} the prior contents of C are ignored (NaN included), as in BLAS.
 */
public interface Sgemm {
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               MemorySegment a, long aOffset, int lda,
               MemorySegment b, long bOffset, int ldb,
               float beta, MemorySegment c, long cOffset, int ldc);
}
