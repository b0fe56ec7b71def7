// Host-side test of the Recur kernels' math, no GPU needed: nvcc compiles the kernels'
// __host__ __device__ item functions (src/recur_*.cuh) for the CPU, and this program runs them
// over every work item exactly as a kernel's grid-stride loop would, then compares with
//   - float64 references written here from PyTorch's formulas (not from the kernels' code),
//   - central finite differences of those float64 forwards for every backward,
//   - the engine's PyTorch golden fixtures: torch.optim updates and clip_grad_norm_ bit for bit
//     (engine/src/test/resources/golden/optim), and whole recurrent layers, forward and every
//     gradient, composed from the cell kernels' functions plus a float GEMM the way the engine's
//     Recurrence composes its kernels (engine/src/test/resources/golden),
//   - for the persistent recurrence (src/recur_persistent.cuh): its block partition run block by
//     block on the host against that standard composition (persistent_partition_test.h).
// Inputs are fresh random numbers each run (the seed is printed; pass it back to repeat a run),
// at awkward sizes (1, 3, 17, 255, 513).
//
// Usage: kernel_math_test <golden dir> [seed]   (golden dir: engine/src/test/resources/golden)
// Prints one line per check with its relative L2 error and exits 1 if any check fails.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "recur_cells.cuh"
#include "recur_elementwise.cuh"
#include "recur_loss.cuh"
#include "recur_optimizers.cuh"
#include "safetensors_reader.h"

namespace {

using Floats = std::vector<float>;
using Doubles = std::vector<double>;

constexpr double FORWARD_TOLERANCE = 1e-5;   // the project's contract for fp32 forward results
constexpr double GRADIENT_TOLERANCE = 1e-4;  // and for gradients
const int SIZES[] = {1, 3, 17, 255, 513};

int checks = 0, failures = 0;

// Root-mean-square below which a reference counts as "near zero": inputs are O(1), so float32
// rounding leaves absolute errors near 1e-7, and a single result that cancels to, say, 0.003 (a
// GRU's (1 - z) * n + z * h at B = H = 1) would fail a relative test on rounding alone.
constexpr double NEAR_ZERO_RMS = 0.05;

// sqrt(sum (a - b)^2) / sqrt(sum b^2), the reference's norm floored at NEAR_ZERO_RMS * sqrt(count).
template <typename A>
double relative_l2(const std::vector<A>& actual, const Doubles& reference) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < reference.size(); i++) {
        const double d = (double)actual[i] - reference[i];
        diff += d * d;
        norm += reference[i] * reference[i];
    }
    const double floor = NEAR_ZERO_RMS * NEAR_ZERO_RMS * (double)reference.size();
    return std::sqrt(diff / std::max(norm, floor));
}

void report(const std::string& name, double error, double tolerance) {
    checks++;
    const bool ok = error <= tolerance;  // a NaN error fails
    if (!ok) failures++;
    std::printf("%-4s %-72s rel L2 %.3e (<= %.0e)\n", ok ? "ok" : "FAIL", name.c_str(), error, tolerance);
}

void report_exact(const std::string& name, long long mismatches, long long total) {
    checks++;
    if (mismatches != 0) failures++;
    std::printf("%-4s %-72s %lld of %lld floats differ (bitwise)\n", mismatches == 0 ? "ok" : "FAIL", name.c_str(),
                mismatches, total);
}

std::mt19937_64 rng;

Floats uniform(size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    Floats v(n);
    for (float& x : v) x = d(rng);
    return v;
}

int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

Doubles widen(const Floats& v) { return Doubles(v.begin(), v.end()); }

// Central difference of f at x (f reads x through the reference it is given).
double derivative(const std::function<double()>& f, double& x) {
    const double saved = x, step = 1e-6 * std::max(1.0, std::fabs(x));
    x = saved + step;
    const double up = f();
    x = saved - step;
    const double down = f();
    x = saved;
    return (up - down) / (2 * step);
}

double sigmoid64(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Lengths for a step t in [0, 4): a mix of active and inactive samples, the first always active
// and (with two or more samples) the last never, so both branches run at every size.
std::vector<int> random_lengths(int batch, int t) {
    std::vector<int> lengths(batch);
    for (int b = 0; b < batch; b++) lengths[b] = uniform_int(0, 4);
    lengths[0] = t + 1;
    if (batch > 1) lengths[batch - 1] = t;
    return lengths;
}

std::string shape_name(const char* what, int batch, int hidden, bool masked) {
    return std::string(what) + " B=" + std::to_string(batch) + " H=" + std::to_string(hidden) +
           (masked ? " lengths" : " no-lengths");
}

// ---- RNN --------------------------------------------------------------------------------------

void test_rnn(int batch, int hidden, bool use_relu, bool masked) {
    const int t = uniform_int(0, 3), n = batch * hidden, ldy = hidden + 2;
    const std::vector<int> lengths_v = random_lengths(batch, t);
    const int* lengths = masked ? lengths_v.data() : nullptr;
    Floats gx = uniform(n, -2, 2), gh = uniform(n, -2, 2), h_prev = uniform(n, -1, 1), h_next(n);
    Floats y((size_t)batch * ldy, 7.0f);  // 7: the padding columns must keep it
    for (int i = 0; i < n; i++) recur::rnn_forward_at(i, hidden, t, lengths, use_relu, gx.data(), gh.data(),
            h_prev.data(), h_next.data(), y.data(), ldy);

    // float64 reference of one item, and its finite-difference gradient for L = dh * h_next.
    Doubles x64, g64, hp64;
    auto step = [&](int i) {
        if (!recur::active(lengths, i / hidden, t)) return hp64[i];
        const double a = x64[i] + g64[i];
        return use_relu ? std::max(a, 0.0) : std::tanh(a);
    };
    x64 = widen(gx), g64 = widen(gh), hp64 = widen(h_prev);
    Doubles h_ref(n), y_ref((size_t)batch * ldy, 7.0);
    Floats y_kernel = y;
    for (int i = 0; i < n; i++) {
        h_ref[i] = step(i);
        const int b = i / hidden, j = i % hidden;
        y_ref[(size_t)b * ldy + j] = recur::active(lengths, b, t) ? h_ref[i] : 0.0;
    }
    const char* mode = use_relu ? "rnn_relu" : "rnn_tanh";
    report(shape_name((std::string(mode) + " forward h_next").c_str(), batch, hidden, masked), relative_l2(h_next,
            h_ref), FORWARD_TOLERANCE);
    report(shape_name((std::string(mode) + " forward y (ldy=H+2)").c_str(), batch, hidden, masked),
            relative_l2(y_kernel, y_ref), FORWARD_TOLERANCE);

    Floats dh = uniform(n, -1, 1), da(n), dh_prev(n);
    for (int i = 0; i < n; i++) recur::rnn_backward_at(i, hidden, t, lengths, use_relu, h_next.data(), dh.data(),
            da.data(), dh_prev.data());
    Doubles da_ref(n), dh_prev_ref(n);
    for (int i = 0; i < n; i++) {
        auto loss = [&] { return dh[i] * step(i); };
        da_ref[i] = derivative(loss, x64[i]);
        dh_prev_ref[i] = derivative(loss, hp64[i]);
    }
    report(shape_name((std::string(mode) + " backward da").c_str(), batch, hidden, masked), relative_l2(da, da_ref),
            GRADIENT_TOLERANCE);
    report(shape_name((std::string(mode) + " backward dh_prev (pass-through)").c_str(), batch, hidden, masked),
            relative_l2(dh_prev, dh_prev_ref), GRADIENT_TOLERANCE);
}

// ---- LSTM -------------------------------------------------------------------------------------

void test_lstm(int batch, int hidden, bool masked, bool projection) {
    const int t = uniform_int(0, 3), n = batch * hidden, g4 = 4 * n, ldy = hidden + 1;
    const std::vector<int> lengths_v = random_lengths(batch, t);
    const int* lengths = masked ? lengths_v.data() : nullptr;
    Floats gx = uniform(g4, -2, 2), gh = uniform(g4, -2, 2), c_prev = uniform(n, -2, 2), h_prev = uniform(n, -1, 1);
    Floats act(g4), c_next(n), h_next(n), y((size_t)batch * ldy, 7.0f);
    const float* hp = projection ? nullptr : h_prev.data();
    float* y_out = projection ? nullptr : y.data();  // with projection y comes from recur_masked_step
    for (int i = 0; i < n; i++) recur::lstm_forward_at(i, hidden, t, lengths, gx.data(), gh.data(), c_prev.data(),
            act.data(), c_next.data(), hp, h_next.data(), y_out, ldy);

    Doubles x64 = widen(gx), g64 = widen(gh), cp64 = widen(c_prev);
    // Item i's gates (i, f, g, o), c' and m = o * tanh(c') in float64.
    struct Step { double gate[4], c, m; };
    auto step = [&](int i) {
        const int b = i / hidden, j = i % hidden;
        Step s{};
        if (!recur::active(lengths, b, t)) {
            s.c = cp64[i];
            s.m = projection ? 0.0 : h_prev[i];
            return s;
        }
        for (int q = 0; q < 4; q++) {
            const size_t at = (size_t)b * 4 * hidden + (size_t)q * hidden + j;
            const double a = x64[at] + g64[at];
            s.gate[q] = q == 2 ? std::tanh(a) : sigmoid64(a);
        }
        s.c = s.gate[1] * cp64[i] + s.gate[0] * s.gate[2];
        s.m = s.gate[3] * std::tanh(s.c);
        return s;
    };
    Doubles c_ref(n), h_ref(n), y_ref((size_t)batch * ldy, 7.0), act_ref(g4), act_kernel_active, act_ref_active;
    for (int i = 0; i < n; i++) {
        const Step s = step(i);
        const int b = i / hidden, j = i % hidden;
        c_ref[i] = s.c;
        h_ref[i] = s.m;
        y_ref[(size_t)b * ldy + j] = recur::active(lengths, b, t) ? s.m : 0.0;
        if (recur::active(lengths, b, t)) {  // act is written for active rows only
            for (int q = 0; q < 4; q++) {
                act_kernel_active.push_back(act[(size_t)b * 4 * hidden + (size_t)q * hidden + j]);
                act_ref_active.push_back(s.gate[q]);
            }
        }
    }
    const std::string tag = projection ? "lstm(proj)" : "lstm";
    report(shape_name((tag + " forward act").c_str(), batch, hidden, masked), relative_l2(act_kernel_active,
            act_ref_active), FORWARD_TOLERANCE);
    report(shape_name((tag + " forward c_next").c_str(), batch, hidden, masked), relative_l2(c_next, c_ref),
            FORWARD_TOLERANCE);
    report(shape_name((tag + (projection ? " forward m" : " forward h_next")).c_str(), batch, hidden, masked),
            relative_l2(h_next, h_ref), FORWARD_TOLERANCE);
    if (!projection) report(shape_name((tag + " forward y (ldy=H+1)").c_str(), batch, hidden, masked), relative_l2(y,
            y_ref), FORWARD_TOLERANCE);

    // Backward of L = dm * m + dc * c' (active rows: dm reaches m; inactive rows' m is no function
    // of this cell, the h pass-through being recur_masked_step_backward's job).
    Floats dm = uniform(n, -1, 1), dc = uniform(n, -1, 1), da(g4, 9.0f);
    const Floats dc_in = dc;
    for (int i = 0; i < n; i++) recur::lstm_backward_at(i, hidden, t, lengths, act.data(), c_prev.data(),
            c_next.data(), dm.data(), dc.data(), da.data());
    Doubles da_ref(g4), dc_ref(n);
    for (int i = 0; i < n; i++) {
        const int b = i / hidden, j = i % hidden;
        const bool on = recur::active(lengths, b, t);
        auto loss = [&] {
            const Step s = step(i);
            return (on ? dm[i] * s.m : 0.0) + dc_in[i] * s.c;
        };
        for (int q = 0; q < 4; q++) {
            const size_t at = (size_t)b * 4 * hidden + (size_t)q * hidden + j;
            da_ref[at] = derivative(loss, x64[at]);
        }
        dc_ref[i] = derivative(loss, cp64[i]);
    }
    report(shape_name((tag + " backward da").c_str(), batch, hidden, masked), relative_l2(da, da_ref),
            GRADIENT_TOLERANCE);
    report(shape_name((tag + " backward dc_prev").c_str(), batch, hidden, masked), relative_l2(dc, dc_ref),
            GRADIENT_TOLERANCE);
}

// ---- GRU --------------------------------------------------------------------------------------

void test_gru(int batch, int hidden, bool masked, bool bias) {
    const int t = uniform_int(0, 3), n = batch * hidden, g3 = 3 * n, ldy = hidden + 3;
    const std::vector<int> lengths_v = random_lengths(batch, t);
    const int* lengths = masked ? lengths_v.data() : nullptr;
    Floats gx = uniform(g3, -2, 2), gh = uniform(g3, -2, 2), b_hn = uniform(hidden, -1, 1), h_prev = uniform(n, -1, 1);
    Floats act(g3), ghn(n), h_next(n), y((size_t)batch * ldy, 7.0f);
    const float* bhn = bias ? b_hn.data() : nullptr;
    for (int i = 0; i < n; i++) recur::gru_forward_at(i, hidden, t, lengths, gx.data(), gh.data(), bhn, h_prev.data(),
            act.data(), ghn.data(), h_next.data(), y.data(), ldy);

    Doubles x64 = widen(gx), g64 = widen(gh), hp64 = widen(h_prev);
    struct Step { double r, z, n, hn, h; };
    auto step = [&](int i) {
        const int b = i / hidden, j = i % hidden;
        Step s{};
        if (!recur::active(lengths, b, t)) {
            s.h = hp64[i];
            return s;
        }
        const size_t row = (size_t)b * 3 * hidden + j;
        s.r = sigmoid64(x64[row] + g64[row]);
        s.z = sigmoid64(x64[row + hidden] + g64[row + hidden]);
        s.hn = g64[row + 2 * hidden] + (bias ? b_hn[j] : 0.0);
        s.n = std::tanh(x64[row + 2 * hidden] + s.r * s.hn);
        s.h = (1 - s.z) * s.n + s.z * hp64[i];
        return s;
    };
    Doubles h_ref(n), y_ref((size_t)batch * ldy, 7.0), saved_ref, saved_kernel;
    for (int i = 0; i < n; i++) {
        const Step s = step(i);
        const int b = i / hidden, j = i % hidden;
        h_ref[i] = s.h;
        const bool on = recur::active(lengths, b, t);
        y_ref[(size_t)b * ldy + j] = on ? s.h : 0.0;
        if (on) {  // act and ghn are written for active rows only
            const size_t row = (size_t)b * 3 * hidden + j;
            saved_kernel.insert(saved_kernel.end(), {act[row], act[row + hidden], act[row + 2 * hidden], ghn[i]});
            saved_ref.insert(saved_ref.end(), {s.r, s.z, s.n, s.hn});
        }
    }
    const std::string tag = bias ? "gru" : "gru(no bias)";
    report(shape_name((tag + " forward act, ghn").c_str(), batch, hidden, masked), relative_l2(saved_kernel,
            saved_ref), FORWARD_TOLERANCE);
    report(shape_name((tag + " forward h_next").c_str(), batch, hidden, masked), relative_l2(h_next, h_ref),
            FORWARD_TOLERANCE);
    report(shape_name((tag + " forward y (ldy=H+3)").c_str(), batch, hidden, masked), relative_l2(y, y_ref),
            FORWARD_TOLERANCE);

    Floats dh = uniform(n, -1, 1), dgx(g3, 9.0f), dgh(g3, 9.0f), dh_prev(n);
    for (int i = 0; i < n; i++) recur::gru_backward_at(i, hidden, t, lengths, act.data(), ghn.data(), h_prev.data(),
            dh.data(), dgx.data(), dgh.data(), dh_prev.data());
    Doubles dgx_ref(g3), dgh_ref(g3), dh_prev_ref(n);
    for (int i = 0; i < n; i++) {
        const int b = i / hidden, j = i % hidden;
        auto loss = [&] { return dh[i] * step(i).h; };
        for (int q = 0; q < 3; q++) {
            const size_t at = (size_t)b * 3 * hidden + (size_t)q * hidden + j;
            dgx_ref[at] = derivative(loss, x64[at]);
            dgh_ref[at] = derivative(loss, g64[at]);
        }
        dh_prev_ref[i] = derivative(loss, hp64[i]);  // the direct part; dgh·W_hh is the caller's GEMM
    }
    report(shape_name((tag + " backward dgx").c_str(), batch, hidden, masked), relative_l2(dgx, dgx_ref),
            GRADIENT_TOLERANCE);
    report(shape_name((tag + " backward dgh").c_str(), batch, hidden, masked), relative_l2(dgh, dgh_ref),
            GRADIENT_TOLERANCE);
    report(shape_name((tag + " backward dh_prev").c_str(), batch, hidden, masked), relative_l2(dh_prev, dh_prev_ref),
            GRADIENT_TOLERANCE);
}

// ---- masks around a projection: pure data movement, so exact ----------------------------------

void test_masks(int batch, int width) {
    const int t = uniform_int(0, 3), n = batch * width, ldy = width + 2;
    const std::vector<int> lengths = random_lengths(batch, t);
    Floats cand = uniform(n, -1, 1), prev = uniform(n, -1, 1), next(n), y((size_t)batch * ldy, 7.0f);
    for (int i = 0; i < n; i++) recur::masked_step_at(i, width, t, lengths.data(), cand.data(), prev.data(),
            next.data(), y.data(), ldy);
    Floats dh = uniform(n, -1, 1), d_cand(n), dh_prev(n), acc = uniform(n, -1, 1), dy = uniform((size_t)batch * ldy,
            -1, 1);
    const Floats acc_before = acc;
    for (int i = 0; i < n; i++) recur::masked_step_backward_at(i, width, t, lengths.data(), dh.data(), d_cand.data(),
            dh_prev.data());
    for (int i = 0; i < n; i++) recur::add_active_rows_at(i, width, t, lengths.data(), dy.data(), ldy, acc.data());
    long long bad = 0;
    for (int i = 0; i < n; i++) {
        const int b = i / width, j = i % width;
        const bool on = lengths[b] > t;
        bad += next[i] != (on ? cand[i] : prev[i]);
        bad += y[(size_t)b * ldy + j] != (on ? cand[i] : 0.0f);
        bad += d_cand[i] != (on ? dh[i] : 0.0f);
        bad += dh_prev[i] != (on ? 0.0f : dh[i]);
        bad += acc[i] != (on ? acc_before[i] + dy[(size_t)b * ldy + j] : acc_before[i]);
    }
    for (int b = 0; b < batch; b++) bad += y[(size_t)b * ldy + width] != 7.0f || y[(size_t)b * ldy + width + 1] != 7.0f;
    report_exact("masked_step, masked_step_backward, add_active_rows B=" + std::to_string(batch) +
                     " W=" + std::to_string(width), bad, 5LL * n);
}

// ---- elementwise --------------------------------------------------------------------------------

void test_elementwise(int n) {
    const std::string size = " n=" + std::to_string(n);
    Floats a = uniform(n, -3, 3), b = uniform(n, -3, 3), out(n);
    Doubles ref(n);
    for (int i = 0; i < n; i++) recur::add_at(i, a.data(), b.data(), out.data());
    for (int i = 0; i < n; i++) ref[i] = (double)a[i] + b[i];
    double worst = relative_l2(out, ref);
    for (int i = 0; i < n; i++) recur::sub_at(i, a.data(), b.data(), out.data());
    for (int i = 0; i < n; i++) ref[i] = (double)a[i] - b[i];
    worst = std::max(worst, relative_l2(out, ref));
    for (int i = 0; i < n; i++) recur::mul_at(i, a.data(), b.data(), out.data());
    for (int i = 0; i < n; i++) ref[i] = (double)a[i] * b[i];
    worst = std::max(worst, relative_l2(out, ref));
    out = uniform(n, -1, 1);
    Doubles base = widen(out);
    for (int i = 0; i < n; i++) recur::axpy_at(i, 0.37f, a.data(), out.data());
    for (int i = 0; i < n; i++) ref[i] = base[i] + (double)0.37f * a[i];
    worst = std::max(worst, relative_l2(out, ref));
    base = widen(out);
    for (int i = 0; i < n; i++) recur::mul_accumulate_at(i, a.data(), b.data(), out.data());
    for (int i = 0; i < n; i++) ref[i] = base[i] + (double)a[i] * b[i];
    worst = std::max(worst, relative_l2(out, ref));
    base = widen(out);
    for (int i = 0; i < n; i++) recur::scale_at(i, -1.5f, out.data());
    for (int i = 0; i < n; i++) ref[i] = -1.5 * base[i];
    worst = std::max(worst, relative_l2(out, ref));
    report("add, sub, mul, axpy, mul_accumulate, scale" + size, worst, FORWARD_TOLERANCE);

    // Activations: forward against float64, backward (dx += dy * f'(x)) against finite differences.
    Floats x = uniform(n, -4, 4), y(n), dy = uniform(n, -1, 1), dx(n);
    const char* names[] = {"sigmoid", "tanh", "relu"};
    for (int kind = 0; kind < 3; kind++) {
        auto f = [kind](double v) { return kind == 0 ? sigmoid64(v) : kind == 1 ? std::tanh(v) : std::max(v, 0.0); };
        for (int i = 0; i < n; i++) {
            if (kind == 0) recur::sigmoid_forward_at(i, x.data(), y.data());
            if (kind == 1) recur::tanh_forward_at(i, x.data(), y.data());
            if (kind == 2) recur::relu_forward_at(i, x.data(), y.data());
        }
        Doubles y_ref(n), dx_ref(n);
        dx = uniform(n, -1, 1);
        const Floats dx_before = dx;
        for (int i = 0; i < n; i++) {
            if (kind == 0) recur::sigmoid_backward_at(i, dy.data(), y.data(), dx.data());
            if (kind == 1) recur::tanh_backward_at(i, dy.data(), y.data(), dx.data());
            if (kind == 2) recur::relu_backward_at(i, dy.data(), y.data(), dx.data());
            double v = x[i];
            y_ref[i] = f(v);
            dx_ref[i] = dx_before[i] + dy[i] * derivative([&] { return f(v); }, v);
        }
        report(std::string(names[kind]) + " forward" + size, relative_l2(y, y_ref), FORWARD_TOLERANCE);
        report(std::string(names[kind]) + " backward" + size, relative_l2(dx, dx_ref), GRADIENT_TOLERANCE);
    }

    // Bias add over [rows, cols] with a row stride.
    const int rows = SIZES[uniform_int(0, 2)], cols = n, ldx = cols + 5;
    Floats m = uniform((size_t)rows * ldx, -1, 1), bias = uniform(cols, -1, 1);
    const Floats m_before = m;
    for (int i = 0; i < rows * cols; i++) recur::add_row_vector_at(i, cols, m.data(), ldx, bias.data());
    Doubles m_ref = widen(m_before);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) m_ref[(size_t)r * ldx + c] += bias[c];
    report("add_row_vector rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) + " ldx=cols+5",
            relative_l2(m, m_ref), FORWARD_TOLERANCE);
}

// ---- losses -------------------------------------------------------------------------------------

void test_softmax_cross_entropy(int rows, int classes, int mask_kind) {
    Floats logits = uniform((size_t)rows * classes, -5, 5), mask;
    std::vector<int> targets(rows);
    for (int& target : targets) target = uniform_int(0, classes - 1);
    if (mask_kind == 1) {  // weights: some rows out (0 or negative), some fractional
        mask = uniform(rows, -0.5f, 1.5f);
        mask[0] = 1.0f;
    } else if (mask_kind == 2) {  // no row counts: loss 0, no gradient
        mask.assign(rows, 0.0f);
    }
    const float* mask_ptr = mask_kind == 0 ? nullptr : mask.data();
    std::vector<double> row_loss(rows);
    Floats probs((size_t)rows * classes, 0.0f);
    for (int r = 0; r < rows; r++) recur::softmax_cross_entropy_forward_at(r, classes, logits.data(), targets.data(),
            mask_ptr, row_loss.data(), probs.data());
    // What recur_masked_mean_loss (device-only block reduction) computes from row_loss:
    double total = 0;
    int valid = 0;
    for (int r = 0; r < rows; r++) {
        total += row_loss[r];
        valid += recur::row_weight(mask_ptr, r) > 0.0f;
    }
    const float loss = valid == 0 ? 0.0f : (float)(total / valid);

    Doubles x64 = widen(logits);
    auto weight = [&](int r) { return mask_kind == 0 ? 1.0 : (mask[r] > 0 ? (double)mask[r] : 0.0); };
    auto row_nll = [&](int r) {  // log(sum exp) - x_target in long double, shifted by the row maximum
        const double* x = x64.data() + (size_t)r * classes;
        const long double max = *std::max_element(x, x + classes);
        long double s = 0;
        for (int c = 0; c < classes; c++) s += std::exp((long double)x[c] - max);
        return (double)(max + std::log(s) - x[targets[r]]);
    };
    double ref_total = 0;
    for (int r = 0; r < rows; r++) ref_total += weight(r) * row_nll(r);
    const double ref_loss = valid == 0 ? 0.0 : ref_total / valid;
    const std::string name = "softmax_cross_entropy N=" + std::to_string(rows) + " C=" + std::to_string(classes) +
                             (mask_kind == 0 ? " no mask" : mask_kind == 1 ? " weighted mask" : " all masked");
    report(name + " forward", relative_l2(Floats{loss}, Doubles{ref_loss}), FORWARD_TOLERANCE);

    const float dloss = 0.75f;
    Floats dlogits = uniform((size_t)rows * classes, -1, 1);
    const Floats before = dlogits;
    for (int i = 0; i < rows * classes; i++) recur::softmax_cross_entropy_backward_at(i, classes, probs.data(),
            targets.data(), mask_ptr, &dloss, &valid, dlogits.data());
    Doubles ref(rows * (size_t)classes);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < classes; c++) {
            const size_t at = (size_t)r * classes + c;
            const double g = valid == 0 ? 0.0 : derivative([&] { return weight(r) * row_nll(r) / valid; }, x64[at]);
            ref[at] = before[at] + dloss * g;
        }
    }
    report(name + " backward", relative_l2(dlogits, ref), GRADIENT_TOLERANCE);
}

void test_mse(int n) {
    Floats prediction = uniform(n, -2, 2), target = uniform(n, -2, 2), diff(n);
    double sum = 0;  // what recur_mse_forward's reduction and recur_mse_loss compute
    for (int i = 0; i < n; i++) {
        recur::sub_at(i, prediction.data(), target.data(), diff.data());
        sum += (double)diff[i] * diff[i];
    }
    const float loss = (float)(sum / n);
    double ref = 0;
    for (int i = 0; i < n; i++) ref += ((double)prediction[i] - target[i]) * ((double)prediction[i] - target[i]);
    report("mse forward n=" + std::to_string(n), relative_l2(Floats{loss}, Doubles{ref / n}), FORWARD_TOLERANCE);
    const float dloss = 1.25f;
    Floats dp = uniform(n, -1, 1), dt = uniform(n, -1, 1);
    Doubles dp_ref = widen(dp), dt_ref = widen(dt);
    for (int i = 0; i < n; i++) recur::mse_backward_at(i, n, diff.data(), &dloss, dp.data(), dt.data());
    for (int i = 0; i < n; i++) {
        const double g = 2.0 * dloss * ((double)prediction[i] - target[i]) / n;
        dp_ref[i] += g;
        dt_ref[i] -= g;
    }
    Floats both(dp);
    both.insert(both.end(), dt.begin(), dt.end());
    Doubles both_ref(dp_ref);
    both_ref.insert(both_ref.end(), dt_ref.begin(), dt_ref.end());
    report("mse backward n=" + std::to_string(n), relative_l2(both, both_ref), GRADIENT_TOLERANCE);
}

// ---- torch.optim and clip_grad_norm_ against PyTorch's own float32 results ---------------------

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    size_t from = 0;
    for (size_t at; (at = s.find(sep, from)) != std::string::npos; from = at + 1) parts.push_back(s.substr(from,
            at - from));
    parts.push_back(s.substr(from));
    return parts;
}

long long count_different(const Floats& a, const Floats& b) {
    long long n = 0;
    for (size_t i = 0; i < a.size(); i++) n += std::memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return n;
}

// Replays one recur-optim-golden-v1 file: the coefficients are derived from the hyperparameters
// exactly as the engine's SGD / RMSprop / AdamAlgorithm derive them, then every element goes
// through the kernels' update function.
void replay_optimizer(const std::string& path, const std::string& config) {
    const golden::SafeTensors f(path);
    const std::string optimizer = f.meta("optimizer");
    auto hyper = [&](const char* key) { return std::stod(f.meta(std::string("hyper.") + key)); };
    auto flag = [&](const char* key) { return f.meta(std::string("hyper.") + key) == "true"; };
    const int steps = std::stoi(f.meta("steps"));
    long long bad = 0, total = 0;
    for (const std::string& name : split(f.meta("parameters"), ',')) {
        Floats param = f.floats("param." + name);
        const int n = (int)param.size();
        Floats s1(n, 0.0f), s2(n, 0.0f), s3(n, 0.0f);  // optimizer state, zero before the first step
        for (int k = 0; k < steps; k++) {
            const Floats grad = f.floats("grad." + std::to_string(k) + "." + name);
            const double lr = hyper("lr"), weight_decay = hyper("weight_decay");
            if (optimizer == "SGD") {
                const bool momentum = hyper("momentum") != 0;
                for (int i = 0; i < n; i++) {
                    recur::sgd_update_at(i, param.data(), grad.data(), momentum ? s1.data() : nullptr, (float)lr,
                            (float)weight_decay,
                                         (float)hyper("momentum"), (float)(1 - hyper("dampening")), flag("nesterov"),
                                                 k == 0);
                }
            } else if (optimizer == "RMSprop") {
                const double alpha = hyper("alpha");
                for (int i = 0; i < n; i++) {
                    recur::rmsprop_update_at(i, param.data(), grad.data(), s1.data(),
                            flag("centered") ? s2.data() : nullptr,
                                             hyper("momentum") > 0 ? s3.data() : nullptr, (float)lr, (float)alpha,
                                                     (float)(1 - alpha),
                                             (float)hyper("eps"), (float)weight_decay, (float)hyper("momentum"));
                }
            } else {  // Adam, AdamW
                const double step = k + 1, beta1 = hyper("beta1"), beta2 = hyper("beta2");
                const double bias_correction1 = 1 - std::pow(beta1, step), bias_correction2 = 1 - std::pow(beta2, step);
                const bool decoupled = optimizer == "AdamW" || flag("decoupled_weight_decay");
                for (int i = 0; i < n; i++) {
                    recur::adam_update_at(i, param.data(), grad.data(), s1.data(), s2.data(),
                            flag("amsgrad") ? s3.data() : nullptr,
                                          (float)-(lr / bias_correction1), (float)std::sqrt(bias_correction2),
                                                  (float)(1 - beta1),
                                          (float)beta2, (float)(1 - beta2), (float)hyper("eps"), (float)weight_decay,
                                          (float)(1 - lr * weight_decay), decoupled);
                }
            }
            bad += count_different(param, f.floats("expected." + std::to_string(k) + "." + name));
            total += n;
        }
    }
    report_exact(optimizer + " " + config + " (torch.optim, 10 steps)", bad, total);
}

void replay_clip(const std::string& path, const std::string& config) {
    const golden::SafeTensors f(path);
    std::vector<std::string> names = split(f.meta("parameters"), ',');
    double sum_of_squares = 0;
    for (const std::string& name : names)
        for (float g : f.floats("grad." + name)) sum_of_squares += (double)g * g;
    double total_norm = 0;
    const float scale = recur::clip_coefficient(sum_of_squares, std::stod(f.meta("max_norm")), &total_norm);
    // torch sums the squares in float32, the engine (and these kernels) in double: the engine's
    // GradientClippingTest contract, 1e-5, not bitwise equality.
    double worst = relative_l2(Floats{(float)total_norm}, f.doubles("total_norm"));
    for (const std::string& name : names) {
        Floats grad = f.floats("grad." + name);
        if (scale != 1.0f)  // recur_scale_by
            for (float& g : grad) g = scale * g;
        worst = std::max(worst, relative_l2(grad, f.doubles("clipped." + name)));
    }
    report("clip_grad_norm_ " + config + " (total norm, clipped gradients)", worst, FORWARD_TOLERANCE);
}

}  // namespace

#include "layer_golden_replay.h"
#include "persistent_partition_test.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <engine golden dir> [seed]\n", argv[0]);
        return 2;
    }
    const std::string golden_dir = argv[1];
    std::random_device entropy;
    const unsigned long long seed = argc > 2 ? std::stoull(argv[2]) : ((unsigned long long)entropy() << 32) ^ entropy();
    rng.seed(seed);
    std::printf("recur kernel math, host side (seed %llu)\n", seed);

    const std::pair<int, int> cell_shapes[] = {{1, 1}, {3, 17}, {17, 3}, {5, 255}, {2, 513}};
    for (auto [batch, hidden] : cell_shapes) {
        for (bool masked : {true, false}) {
            test_rnn(batch, hidden, false, masked);
            test_rnn(batch, hidden, true, masked);
            test_lstm(batch, hidden, masked, false);
            test_lstm(batch, hidden, masked, true);
            test_gru(batch, hidden, masked, true);
            test_gru(batch, hidden, masked, false);
        }
        test_masks(batch, hidden);
    }
    for (int n : SIZES) {
        test_elementwise(n);
        test_mse(n);
    }
    for (int rows : {1, 3, 17})
        for (int classes : SIZES)
            for (int mask_kind = 0; mask_kind < 3; mask_kind++) test_softmax_cross_entropy(rows, classes, mask_kind);

    const std::string optim = golden_dir + "/optim/";
    for (const char* config : {"sgd_defaults", "sgd_lr", "sgd_weight_decay", "sgd_momentum", "sgd_momentum_dampening",
            "sgd_nesterov",
                               "sgd_nesterov_weight_decay", "rmsprop_defaults", "rmsprop_centered", "rmsprop_momentum",
                               "rmsprop_centered_momentum_weight_decay", "adam_defaults", "adam_betas_eps",
                                       "adam_weight_decay",
                               "adam_amsgrad", "adam_amsgrad_weight_decay", "adam_decoupled_weight_decay",
                                       "adamw_defaults",
                               "adamw_weight_decay", "adamw_amsgrad_betas"}) {
        replay_optimizer(optim + config + ".safetensors", config);
    }
    for (const char* config : {"clip_active", "clip_at_total_norm", "clip_inactive", "clip_zero_gradients",
            "clip_zero_max_norm"}) {
        replay_clip(optim + config + ".safetensors", config);
    }
    replay_layer_goldens(golden_dir);
    test_persistent_recurrence();

    std::printf("%d checks, %d failed (seed %llu)\n", checks, failures, seed);
    return failures == 0 ? 0 : 1;
}
