// GRU cell step (linear-before-reset, gates r, z, n), forward and backward: one thread per
// (sample, unit), B*H items. The input gates gx and the recurrent gates gh come apart because
// r multiplies only the recurrent part of n. Math and layouts: recur_cells.cuh; ABI:
// docs/kernels.md.
#include "recur_cells.cuh"

// gx, gh, act [B,3H]; b_hn [H] or nullptr; h_prev, ghn, h_next [B,H]; y [B, ldy] or nullptr.
extern "C" __global__ void recur_gru_forward(int batch, int hidden, int t, const int* lengths,
                                             const float* gx, const float* gh, const float* b_hn,
                                             const float* h_prev, float* act, float* ghn, float* h_next,
                                             float* y, int ldy) {
    RECUR_FOR_EACH_INDEX(i, batch * hidden) {
        recur::gru_forward_at((int)i, hidden, t, lengths, gx, gh, b_hn, h_prev, act, ghn, h_next, y, ldy);
    }
}

// act, dgx, dgh [B,3H]; ghn, h_prev, dh, dh_prev [B,H].
extern "C" __global__ void recur_gru_backward(int batch, int hidden, int t, const int* lengths,
                                              const float* act, const float* ghn, const float* h_prev,
                                              const float* dh, float* dgx, float* dgh, float* dh_prev) {
    RECUR_FOR_EACH_INDEX(i, batch * hidden) {
        recur::gru_backward_at((int)i, hidden, t, lengths, act, ghn, h_prev, dh, dgx, dgh, dh_prev);
    }
}
