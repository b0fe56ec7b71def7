// One time step of a recurrent cell, one (sample, unit) pair per work item: the bodies of the
// kernels in rnn_cell.cu, lstm_cell.cu, gru_cell.cu and recurrence_mask.cu. They mirror the CPU
// engine's Kernels contract (engine/.../backend/Kernels.java, reference NaiveKernels.java) so a
// CUDA backend can run Recurrence's step sequence unchanged.
//
// Layouts (row-major, dense, float32; pointers already at the step's first row):
//   gx, gh      [B, G*H]   gate pre-activations, gate q of row b at b*G*H + q*H;
//                          gx = x·W_ih^T + folded biases, gh = h_prev·W_hh^T (cuBLAS, outside)
//   act         [B, G*H]   gate activations saved for backward (LSTM i,f,g,o; GRU r,z,n)
//   h_*, c_*    [B, H]     states; y [B, ldy] the layer output at this step (may be nullptr)
// Work item `index` in [0, B*H) is sample b = index / H, unit j = index % H.
// Mask: an inactive sample (active() false) keeps its state, writes 0 to y, and never reads
// its gate inputs (padded steps may hold garbage). Its backward writes zero gate gradients
// and passes the state gradient through unchanged.
#pragma once

#include "recur_common.cuh"

namespace recur {

// The recurrent pre-activations (gh) of one (sample, unit) pair: gate q at row[q * gate_stride].
// In gh's dense [B, G*H] layout the gate stride is H; in a persistent block's gate tile
// [B, G, units] (recur_persistent.cuh) it is the block's unit count. The cell functions below read
// gh only through this, so that both paths run the same per-element math.
struct GateRow {
    const float* row;
    int gate_stride;
    RECUR_HD float operator[](int q) const { return row[(long long)q * gate_stride]; }
};

RECUR_HD GateRow dense_gate_row(const float* gh, int gates, int hidden, int b, int j) {
    return GateRow{gh + (long long)b * gates * hidden + j, hidden};
}

// ---- vanilla RNN: h' = act(gx + gh), act = tanh or relu -------------------------------------

// The *_forward_unit functions: sample b, unit j, index = b*H + j (passed, not recomputed: the
// dense kernels have it, and recomputing it cost the LSTM and GRU kernels 2 registers); gh: that
// pair's recurrent pre-activations. The *_forward_at functions are the dense kernels' items.
RECUR_HD void rnn_forward_unit(int index, int b, int j, int hidden, int t, const int* lengths, bool use_relu,
                               const float* gx, GateRow gh, const float* h_prev,
                               float* h_next, float* y, int ldy) {
    float h = 0.0f;
    if (active(lengths, b, t)) {
        const float a = gx[index] + gh[0];
        h = use_relu ? relu(a) : tanhf(a);
        h_next[index] = h;
    } else {
        h_next[index] = h_prev[index];
    }
    if (y != nullptr) y[(long long)b * ldy + j] = h;
}

RECUR_HD void rnn_forward_at(int index, int hidden, int t, const int* lengths, bool use_relu,
                             const float* gx, const float* gh, const float* h_prev,
                             float* h_next, float* y, int ldy) {
    const int b = index / hidden, j = index % hidden;
    rnn_forward_unit(index, b, j, hidden, t, lengths, use_relu, gx, dense_gate_row(gh, 1, hidden, b, j), h_prev,
                     h_next, y, ldy);
}

// da [B,H] = dh * act'(h_next) (0 when inactive); dh_prev [B,H] = dh when inactive, else 0
// (the caller adds da·W_hh with cuBLAS).
RECUR_HD void rnn_backward_at(int index, int hidden, int t, const int* lengths, bool use_relu,
                              const float* h_next, const float* dh, float* da, float* dh_prev) {
    const int b = index / hidden;
    const float g = dh[index];
    if (active(lengths, b, t)) {
        const float h = h_next[index];
        da[index] = use_relu ? (h > 0.0f ? g : 0.0f) : g * (1.0f - h * h);
        dh_prev[index] = 0.0f;
    } else {
        da[index] = 0.0f;
        dh_prev[index] = g;
    }
}

// ---- LSTM, gates i, f, g, o: c' = f*c + i*g, m = o*tanh(c') --------------------------------

// Writes act [B,4H], c_next [B,H] and h_next [B,H] = m. Inactive rows copy c_prev and h_prev;
// h_prev == nullptr means projection (h_next then receives m, which W_hr maps to the state, and
// an inactive row's m is 0; the masked state update is recur_masked_step).
RECUR_HD void lstm_forward_unit(int index, int b, int j, int hidden, int t, const int* lengths,
                                const float* gx, GateRow gh, const float* c_prev, float* act,
                                float* c_next, const float* h_prev, float* h_next, float* y, int ldy) {
    float h = 0.0f;
    if (active(lengths, b, t)) {
        const long long row = (long long)b * 4 * hidden + j;
        const float i = sigmoid(gx[row] + gh[0]);
        const float f = sigmoid(gx[row + hidden] + gh[1]);
        const float g = tanhf(gx[row + 2 * hidden] + gh[2]);
        const float o = sigmoid(gx[row + 3 * hidden] + gh[3]);
        const float c = f * c_prev[index] + i * g;
        h = o * tanhf(c);
        act[row] = i;
        act[row + hidden] = f;
        act[row + 2 * hidden] = g;
        act[row + 3 * hidden] = o;
        c_next[index] = c;
        h_next[index] = h;
    } else {
        c_next[index] = c_prev[index];
        h_next[index] = h_prev == nullptr ? 0.0f : h_prev[index];
    }
    if (y != nullptr) y[(long long)b * ldy + j] = h;
}

RECUR_HD void lstm_forward_at(int index, int hidden, int t, const int* lengths,
                              const float* gx, const float* gh, const float* c_prev, float* act,
                              float* c_next, const float* h_prev, float* h_next, float* y, int ldy) {
    const int b = index / hidden, j = index % hidden;
    lstm_forward_unit(index, b, j, hidden, t, lengths, gx, dense_gate_row(gh, 4, hidden, b, j), c_prev, act, c_next,
                      h_prev, h_next, y, ldy);
}

// dm [B,H]: gradient reaching m = o*tanh(c_next) (dh without projection). dc [B,H]: in, the
// gradient reaching c_next; out, the gradient reaching c_prev (unchanged for inactive rows).
// Writes da [B,4H], the pre-activation gradients (0 for inactive rows).
RECUR_HD void lstm_backward_at(int index, int hidden, int t, const int* lengths,
                               const float* act, const float* c_prev, const float* c_next,
                               const float* dm, float* dc, float* da) {
    const int b = index / hidden, j = index % hidden;
    const long long row = (long long)b * 4 * hidden + j;
    if (!active(lengths, b, t)) {
        da[row] = da[row + hidden] = da[row + 2 * hidden] = da[row + 3 * hidden] = 0.0f;
        return;
    }
    const float i = act[row], f = act[row + hidden], g = act[row + 2 * hidden], o = act[row + 3 * hidden];
    const float tc = tanhf(c_next[index]);
    const float dmv = dm[index];
    const float dc_total = dc[index] + dmv * o * (1.0f - tc * tc);
    da[row] = dc_total * g * i * (1.0f - i);
    da[row + hidden] = dc_total * c_prev[index] * f * (1.0f - f);
    da[row + 2 * hidden] = dc_total * i * (1.0f - g * g);
    da[row + 3 * hidden] = dmv * tc * o * (1.0f - o);
    dc[index] = dc_total * f;
}

// ---- GRU, linear-before-reset (cuDNN, PyTorch), gates r, z, n ------------------------------
// r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r * (gh_n + b_hn)),
// h' = (1 - z) * n + z * h. gx holds x·W_ih^T + b_ih + [b_hr, b_hz, 0]: b_hn cannot be folded
// into gx because r multiplies it, so it comes apart (b_hn [H], nullptr without bias).

// Writes act [B,3H] = (r, z, n) and ghn [B,H] = gh_n + b_hn, both kept for backward.
RECUR_HD void gru_forward_unit(int index, int b, int j, int hidden, int t, const int* lengths,
                               const float* gx, GateRow gh, const float* b_hn, const float* h_prev,
                               float* act, float* ghn, float* h_next, float* y, int ldy) {
    float h;
    if (active(lengths, b, t)) {
        const long long row = (long long)b * 3 * hidden + j;
        const float r = sigmoid(gx[row] + gh[0]);
        const float z = sigmoid(gx[row + hidden] + gh[1]);
        const float hn = gh[2] + (b_hn == nullptr ? 0.0f : b_hn[j]);
        const float n = tanhf(gx[row + 2 * hidden] + r * hn);
        h = (1.0f - z) * n + z * h_prev[index];
        act[row] = r;
        act[row + hidden] = z;
        act[row + 2 * hidden] = n;
        ghn[index] = hn;
        h_next[index] = h;
    } else {
        h_next[index] = h_prev[index];
        h = 0.0f;
    }
    if (y != nullptr) y[(long long)b * ldy + j] = h;
}

RECUR_HD void gru_forward_at(int index, int hidden, int t, const int* lengths,
                             const float* gx, const float* gh, const float* b_hn, const float* h_prev,
                             float* act, float* ghn, float* h_next, float* y, int ldy) {
    const int b = index / hidden, j = index % hidden;
    gru_forward_unit(index, b, j, hidden, t, lengths, gx, dense_gate_row(gh, 3, hidden, b, j), b_hn, h_prev, act, ghn,
                     h_next, y, ldy);
}

// dh [B,H]: gradient reaching h_next. Writes dgx [B,3H] (gradient of gx), dgh [B,3H] (gradient
// of gh + [b_hr, b_hz, b_hn]), both 0 for inactive rows, and dh_prev [B,H] = dh * z (active) or
// dh (inactive); the caller adds dgh·W_hh.
RECUR_HD void gru_backward_at(int index, int hidden, int t, const int* lengths,
                              const float* act, const float* ghn, const float* h_prev, const float* dh,
                              float* dgx, float* dgh, float* dh_prev) {
    const int b = index / hidden, j = index % hidden;
    const long long row = (long long)b * 3 * hidden + j;
    const float g = dh[index];
    if (!active(lengths, b, t)) {
        dgx[row] = dgx[row + hidden] = dgx[row + 2 * hidden] = 0.0f;
        dgh[row] = dgh[row + hidden] = dgh[row + 2 * hidden] = 0.0f;
        dh_prev[index] = g;
        return;
    }
    const float r = act[row], z = act[row + hidden], n = act[row + 2 * hidden];
    const float dn = g * (1.0f - z) * (1.0f - n * n);
    const float dz = g * (h_prev[index] - n) * z * (1.0f - z);
    const float dr = dn * ghn[index] * r * (1.0f - r);
    dgx[row] = dr;
    dgx[row + hidden] = dz;
    dgx[row + 2 * hidden] = dn;
    dgh[row] = dr;
    dgh[row + hidden] = dz;
    dgh[row + 2 * hidden] = dn * r;
    dh_prev[index] = g * z;
}

// ---- the length mask around a projection (LSTM proj_size), items over [B, width) ------------

// Active: h_next = h_cand, y = h_cand; inactive: h_next = h_prev, y = 0. y may be nullptr.
RECUR_HD void masked_step_at(int index, int width, int t, const int* lengths, const float* h_cand,
                             const float* h_prev, float* h_next, float* y, int ldy) {
    const int b = index / width, j = index % width;
    const bool on = active(lengths, b, t);
    const float h = on ? h_cand[index] : h_prev[index];
    h_next[index] = h;
    if (y != nullptr) y[(long long)b * ldy + j] = on ? h : 0.0f;
}

// Splits dh: d_cand = dh (active) or 0; dh_prev = dh (inactive) or 0. Writes both.
RECUR_HD void masked_step_backward_at(int index, int width, int t, const int* lengths, const float* dh,
                                      float* d_cand, float* dh_prev) {
    const bool on = active(lengths, index / width, t);
    const float g = dh[index];
    d_cand[index] = on ? g : 0.0f;
    dh_prev[index] = on ? 0.0f : g;
}

// dh[b, :] += dy[b, :] for active rows: the layer output's gradient at step t. dy has row stride ldy.
RECUR_HD void add_active_rows_at(int index, int width, int t, const int* lengths, const float* dy,
                                 int ldy, float* dh) {
    const int b = index / width, j = index % width;
    if (active(lengths, b, t)) dh[index] = dh[index] + dy[(long long)b * ldy + j];
}

}  // namespace recur
