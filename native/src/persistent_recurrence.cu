// Persistent forward recurrences: all T steps of one layer direction in ONE cooperative launch,
// each block keeping its W_hh slice (all gates of U hidden units) in shared memory and the grid
// meeting at a barrier between steps. LSTM, GRU (linear-before-reset) and RNN tanh/relu; W_hh
// kept as float32, or (the _bf16 kernels) rounded to bfloat16 in shared memory with float32
// products, sums and states, which doubles the H that fits. No projection (proj_size).
// Design, per-step phases and layouts: recur_persistent.cuh; ABI and launch: docs/kernels.md.
#include "recur_persistent.cuh"

namespace {

__device__ recur::PersistentArgs persistent_args(int steps, int batch, int hidden, int units_per_block, int reverse,
                                                 int keep_all, int use_relu, const int* lengths, const float* gx,
                                      const float* w_hh, const float* b_hn, float* states, float* cells, float* act,
                                      float* ghn, float* y, int ldy) {
    return recur::PersistentArgs{steps, batch, hidden, units_per_block, reverse != 0, keep_all != 0, use_relu != 0,
                                 lengths, gx, w_hh, b_hn, states, cells, act, ghn, y, ldy};
}

}  // namespace

// gx [T,B,4H]; w_hh [4H,H]; states, cells [S,B,H] (S = T+1 with keep_all, else 2; h0/c0 in the
// first slot read); act [T',B,4H] (T' = T with keep_all, else 1); y [T,B,ldy] or nullptr.
extern "C" __global__ void __launch_bounds__(RECUR_PERSISTENT_THREADS, 1) recur_persistent_lstm_forward(
        int steps, int batch, int hidden, int units_per_block, int reverse, int keep_all, const int* lengths,
        const float* gx, const float* w_hh, float* states, float* cells, float* act, float* y, int ldy) {
    recur::persistent_forward<4, float>(persistent_args(steps, batch, hidden, units_per_block, reverse, keep_all, 0,
                                                        lengths, gx, w_hh, nullptr, states, cells, act, nullptr, y,
                                                        ldy));
}

extern "C" __global__ void __launch_bounds__(RECUR_PERSISTENT_THREADS, 1) recur_persistent_lstm_forward_bf16(
        int steps, int batch, int hidden, int units_per_block, int reverse, int keep_all, const int* lengths,
        const float* gx, const float* w_hh, float* states, float* cells, float* act, float* y, int ldy) {
    recur::persistent_forward<4, __nv_bfloat16>(persistent_args(steps, batch, hidden, units_per_block, reverse,
                                                                keep_all, 0, lengths, gx, w_hh, nullptr, states,
                                                                cells, act, nullptr, y, ldy));
}

// gx [T,B,3H]; w_hh [3H,H]; b_hn [H] or nullptr; states [S,B,H]; act [T',B,3H]; ghn [T',B,H].
extern "C" __global__ void __launch_bounds__(RECUR_PERSISTENT_THREADS, 1) recur_persistent_gru_forward(
        int steps, int batch, int hidden, int units_per_block, int reverse, int keep_all, const int* lengths,
        const float* gx, const float* w_hh, const float* b_hn, float* states, float* act, float* ghn, float* y,
        int ldy) {
    recur::persistent_forward<3, float>(persistent_args(steps, batch, hidden, units_per_block, reverse, keep_all, 0,
                                                        lengths, gx, w_hh, b_hn, states, nullptr, act, ghn, y, ldy));
}

extern "C" __global__ void __launch_bounds__(RECUR_PERSISTENT_THREADS, 1) recur_persistent_gru_forward_bf16(
        int steps, int batch, int hidden, int units_per_block, int reverse, int keep_all, const int* lengths,
        const float* gx, const float* w_hh, const float* b_hn, float* states, float* act, float* ghn, float* y,
        int ldy) {
    recur::persistent_forward<3, __nv_bfloat16>(persistent_args(steps, batch, hidden, units_per_block, reverse,
                                                                keep_all, 0, lengths, gx, w_hh, b_hn, states,
                                                                nullptr, act, ghn, y, ldy));
}

// gx [T,B,H]; w_hh [H,H]; states [S,B,H]; use_relu 0 (tanh) or 1.
extern "C" __global__ void __launch_bounds__(RECUR_PERSISTENT_THREADS, 1) recur_persistent_rnn_forward(
        int steps, int batch, int hidden, int units_per_block, int reverse, int keep_all, int use_relu, const
        int* lengths, const float* gx, const float* w_hh, float* states, float* y, int ldy) {
    recur::persistent_forward<1, float>(persistent_args(steps, batch, hidden, units_per_block, reverse, keep_all,
                                                        use_relu, lengths, gx, w_hh, nullptr, states, nullptr,
                                                        nullptr, nullptr, y, ldy));
}

extern "C" __global__ void __launch_bounds__(RECUR_PERSISTENT_THREADS, 1) recur_persistent_rnn_forward_bf16(
        int steps, int batch, int hidden, int units_per_block, int reverse, int keep_all, int use_relu, const
        int* lengths, const float* gx, const float* w_hh, float* states, float* y, int ldy) {
    recur::persistent_forward<1, __nv_bfloat16>(persistent_args(steps, batch, hidden, units_per_block, reverse,
                                                                keep_all, use_relu, lengths, gx, w_hh, nullptr,
                                                                states, nullptr, nullptr, nullptr, y, ldy));
}
