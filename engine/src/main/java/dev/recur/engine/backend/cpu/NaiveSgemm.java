package dev.recur.engine.backend.cpu;

import dev.recur.engine.backend.Sgemm;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/** Reference SGEMM: the textbook triple loop, kept forever as the oracle. Accumulates in double. */
public final class NaiveSgemm implements Sgemm {
    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float av = a.getAtIndex(JAVA_FLOAT, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
                    float bv = b.getAtIndex(JAVA_FLOAT, bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                    sum += (double) av * bv;
                }
                long ci = cOffset + (long) i * ldc + j;
                float old = beta == 0f ? 0f : beta * c.getAtIndex(JAVA_FLOAT, ci);
                c.setAtIndex(JAVA_FLOAT, ci, (float) (alpha * sum) + old);
            }
        }
    }
}
