package dev.recur.engine.autodiff;

import dev.recur.engine.backend.Kernels;
import dev.recur.engine.tensor.Tensor;

/** Matrix product of 2-D values with every transpose combination, through the engine's SGEMM. */
public final class MatMul {
    private MatMul() {
    }

    /** op(a) [m,k] · op(b) [k,n] -> [m,n]; a is stored [k,m] when transA, b [n,k] when transB. */
    public static Var matmul(Var a, Var b, boolean transA, boolean transB) {
        Graph g = a.graph();
        Kernels k = g.kernels();
        if (a.value().rank() != 2 || b.value().rank() != 2) {
            throw new IllegalArgumentException("matmul needs 2-D values, got " + a + " and " + b);
        }
        int m = transA ? a.dim(1) : a.dim(0);
        int ka = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0);
        int n = transB ? b.dim(0) : b.dim(1);
        if (ka != kb) {
            throw new IllegalArgumentException("matmul inner dimensions differ: " + a + (transA ? "^T" : "")
                    + " x " + b + (transB ? "^T" : ""));
        }
        int lda = a.dim(1), ldb = b.dim(1);
        Tensor c = g.arena().empty(m, n);
        k.sgemm(transA, transB, m, n, ka, 1f, a.value().data(), 0, lda, b.value().data(), 0, ldb, 0f, c.data(), 0, n);
        Var out = g.result(c, a, b);
        if (out.requiresGrad()) {
            g.record("matmul", () -> {
                Tensor dc = out.grad();
                // C = A·B: dA = dC·B^T, dB = A^T·dC; transposed storage swaps the roles.
                if (a.requiresGrad()) {
                    if (!transA) {
                        k.sgemm(false, !transB, m, ka, n, 1f, dc.data(), 0, n, b.value().data(), 0, ldb, 1f, a.grad().data(), 0, lda);
                    } else {
                        k.sgemm(transB, true, ka, m, n, 1f, b.value().data(), 0, ldb, dc.data(), 0, n, 1f, a.grad().data(), 0, lda);
                    }
                }
                if (b.requiresGrad()) {
                    if (!transB) {
                        k.sgemm(!transA, false, ka, n, m, 1f, a.value().data(), 0, lda, dc.data(), 0, n, 1f, b.grad().data(), 0, ldb);
                    } else {
                        k.sgemm(true, transA, n, ka, m, 1f, dc.data(), 0, n, a.value().data(), 0, lda, 1f, b.grad().data(), 0, ldb);
                    }
                }
            });
        }
        return out;
    }

    public static Var matmul(Var a, Var b) {
        return matmul(a, b, false, false);
    }
}
