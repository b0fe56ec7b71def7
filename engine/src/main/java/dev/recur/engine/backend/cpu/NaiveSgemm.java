package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.Sgemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference SGEMM: a plain triple loop, kept as the twin that every fast kernel is checked
 * against.
 *
 * <p>Each dot product is accumulated in double and rounded to float once. That makes the result
 * (almost) independent of summation order, so comparing a fast kernel with this one measures the
 * fast kernel's rounding, not a mix of both.
 */
public final class NaiveSgemm implements Sgemm {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        SgemmArguments.check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    // op(A)[i,p] and op(B)[p,j]
                    long ai = aOffset + (transA ? (long) p * lda + i : (long) i * lda + p);
                    long bi = bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j);
                    sum += (double) a.getAtIndex(FLOAT, ai) * b.getAtIndex(FLOAT, bi);
                }
                long ci = cOffset + (long) i * ldc + j;
                double result = alpha * sum;
                if (beta != 0) {
                    result += (double) beta * c.getAtIndex(FLOAT, ci);
                }
                c.setAtIndex(FLOAT, ci, (float) result);
            }
        }
    }
}
