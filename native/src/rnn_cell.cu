// Vanilla RNN (tanh or relu) cell step, forward and backward: one thread per (sample, unit),
// B*H items, blocks of RECUR_BLOCK_THREADS. Math and layouts: recur_cells.cuh; ABI: docs/kernels.md.
#include "recur_cells.cuh"

// gx, gh, h_prev, h_next [B,H]; y [B, ldy] or nullptr; lengths [B] int32 or nullptr.
extern "C" __global__ void recur_rnn_forward(int batch, int hidden, int t, const int* lengths, int use_relu,
                                             const float* gx, const float* gh, const float* h_prev,
                                             float* h_next, float* y, int ldy) {
    RECUR_FOR_EACH_INDEX(i, batch * hidden) {
        recur::rnn_forward_at((int)i, hidden, t, lengths, use_relu != 0, gx, gh, h_prev, h_next, y, ldy);
    }
}

// h_next, dh, da, dh_prev [B,H].
extern "C" __global__ void recur_rnn_backward(int batch, int hidden, int t, const int* lengths, int use_relu,
                                              const float* h_next, const float* dh, float* da, float* dh_prev) {
    RECUR_FOR_EACH_INDEX(i, batch * hidden) {
        recur::rnn_backward_at((int)i, hidden, t, lengths, use_relu != 0, h_next, dh, da, dh_prev);
    }
}
