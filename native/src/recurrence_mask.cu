// The per-sample length mask where no cell kernel applies it: around LSTM's projection
// (h = m·W_hr^T is a cuBLAS GEMM, then the masked state update) and where the layer output's
// gradient enters the state gradient. One thread per (sample, column), B*width items.
// Math: recur_cells.cuh; ABI: docs/kernels.md.
#include "recur_cells.cuh"

// h_cand, h_prev, h_next [B,width]; y [B, ldy] or nullptr.
extern "C" __global__ void recur_masked_step(int batch, int width, int t, const int* lengths,
                                             const float* h_cand, const float* h_prev, float* h_next,
                                             float* y, int ldy) {
    RECUR_FOR_EACH_INDEX(i, batch * width) {
        recur::masked_step_at((int)i, width, t, lengths, h_cand, h_prev, h_next, y, ldy);
    }
}

// dh, d_cand, dh_prev [B,width].
extern "C" __global__ void recur_masked_step_backward(int batch, int width, int t, const int* lengths,
                                                      const float* dh, float* d_cand, float* dh_prev) {
    RECUR_FOR_EACH_INDEX(i, batch * width) {
        recur::masked_step_backward_at((int)i, width, t, lengths, dh, d_cand, dh_prev);
    }
}

// dy [B, ldy]; dh [B,width] accumulated.
extern "C" __global__ void recur_add_active_rows(int batch, int width, int t, const int* lengths,
                                                 const float* dy, int ldy, float* dh) {
    RECUR_FOR_EACH_INDEX(i, batch * width) {
        recur::add_active_rows_at((int)i, width, t, lengths, dy, ldy, dh);
    }
}
