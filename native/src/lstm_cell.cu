// LSTM cell step (gates i, f, g, o), forward and backward: one thread per (sample, unit), B*H
// items, each reading its four gates. With projection the forward leaves h = m·W_hr^T to cuBLAS
// and the masked state update to recur_masked_step. Math and layouts: recur_cells.cuh; ABI:
// docs/kernels.md.
#include "recur_cells.cuh"

// gx, gh, act [B,4H]; c_prev, c_next, h_next [B,H]; h_prev [B,H] or nullptr (projection);
// y [B, ldy] or nullptr; lengths [B] int32 or nullptr.
extern "C" __global__ void recur_lstm_forward(int batch, int hidden, int t, const int* lengths,
                                              const float* gx, const float* gh, const float* c_prev,
                                              float* act, float* c_next, const float* h_prev,
                                              float* h_next, float* y, int ldy) {
    RECUR_FOR_EACH_INDEX(i, batch * hidden) {
        recur::lstm_forward_at((int)i, hidden, t, lengths, gx, gh, c_prev, act, c_next, h_prev, h_next, y, ldy);
    }
}

// act, da [B,4H]; c_prev, c_next, dm [B,H]; dc [B,H] updated in place (each item its own element).
extern "C" __global__ void recur_lstm_backward(int batch, int hidden, int t, const int* lengths,
                                               const float* act, const float* c_prev, const float* c_next,
                                               const float* dm, float* dc, float* da) {
    RECUR_FOR_EACH_INDEX(i, batch * hidden) {
        recur::lstm_backward_at((int)i, hidden, t, lengths, act, c_prev, c_next, dm, dc, da);
    }
}
