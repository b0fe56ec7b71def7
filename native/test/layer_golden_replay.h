// Whole recurrent layers from the cell kernels' item functions, against PyTorch: replays every
// recur-rnn-golden-v1 fixture of the engine (engine/src/test/resources/golden/*.safetensors:
// nn.RNN / GRU / LSTM, layers, directions, proj_size, lengths, h0/c0; float64 forward and
// gradients from torch). The kernels are composed exactly as the engine's Recurrence.runStepwise
// and runStepwiseBackward compose them (and as a CUDA backend will, with cuBLAS for the GEMMs):
// this proves the ABI's buffers, slots, masks and gate layouts add up to PyTorch's layer.
// Included by kernel_math_test.cu, after its report helpers.
#pragma once

#include <dirent.h>

namespace layer_replay {

// C [M, N] (= or +=) op(A) · op(B) with float64 accumulation, op = transpose when asked;
// A is [M, K] (or [K, M] transposed) with row stride lda, B is [K, N] (or [N, K]) with ldb.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
          int ldc, bool accumulate) {
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) {
                const double av = trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                const double bv = trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
            }
            float& out = c[(size_t)i * ldc + j];
            out = accumulate ? out + (float)s : (float)s;
        }
    }
}

struct Config {
    std::string mode;
    int input, hidden, layers, directions, out, steps, batch, gates;
    bool bias, batch_first, lengths, h0, c0;
};

// What one layer direction keeps from its forward for its backward.
struct Direction {
    Floats w_ih, w_hh, b_ih, b_hh, w_hr;
    Floats states, cells, act, ghn, m;  // [T+1,B,P], [T+1,B,H], [T,B,GH], [T,B,H], [T,B,H]
};

template <typename F>
void for_each_item(int count, F f) {
    for (int i = 0; i < count; i++) f(i);
}

bool replay_file(const std::string& path, double& forward_error, double& gradient_error) {
    const golden::SafeTensors f(path);
    if (f.meta("format") != "recur-rnn-golden-v1") return false;
    Config c{};
    c.mode = f.meta("mode");
    c.input = std::stoi(f.meta("input_size"));
    c.hidden = std::stoi(f.meta("hidden_size"));
    c.layers = std::stoi(f.meta("num_layers"));
    c.directions = f.meta("bidirectional") == "true" ? 2 : 1;
    const int proj = std::stoi(f.meta("proj_size"));
    c.out = proj > 0 ? proj : c.hidden;
    c.steps = std::stoi(f.meta("seq_len"));
    c.batch = std::stoi(f.meta("batch"));
    c.gates = c.mode == "lstm" ? 4 : c.mode == "gru" ? 3 : 1;
    c.bias = f.meta("bias") == "true";
    c.batch_first = f.meta("batch_first") == "true";
    c.lengths = f.meta("has_lengths") == "true";
    c.h0 = f.meta("has_h0") == "true";
    c.c0 = f.meta("has_c0") == "true";
    const int T = c.steps, B = c.batch, H = c.hidden, P = c.out, D = c.directions, GH = c.gates * H;
    const bool lstm = c.mode == "lstm", gru = c.mode == "gru", relu = c.mode == "rnn_relu", projected = proj > 0;

    std::vector<int> lengths_v(B, T);
    if (c.lengths) {
        const std::vector<long long> l = f.longs("in.lengths");
        for (int b = 0; b < B; b++) lengths_v[b] = (int)l[b];
    }
    const int* lengths = c.lengths ? lengths_v.data() : nullptr;
    // time-major [T, B, F] <-> the file's layout ([B, T, F] when batch_first)
    auto time_major_index = [&](int t, int b, int features, int j) {
        return c.batch_first ? ((size_t)b * T + t) * features + j : ((size_t)t * B + b) * features + j;
    };
    // The layer input, time-major, padded steps zeroed (Masking.zeroPadded: garbage never leaks).
    Floats x((size_t)T * B * c.input);
    const Floats file_input = f.floats("in.input");
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < c.input; j++)
                x[((size_t)t * B + b) * c.input + j] = t < lengths_v[b] ? file_input[time_major_index(t, b, c.input,
                        j)] : 0.0f;
    const Floats h0 = c.h0 ? f.floats("in.h0") : Floats((size_t)c.layers * D * B * P, 0.0f);
    const Floats c0 = c.c0 ? f.floats("in.c0") : Floats((size_t)c.layers * D * B * H, 0.0f);

    std::vector<Floats> layer_inputs;  // each layer's input [T, B, in_l]
    std::vector<Direction> saved(c.layers * D);
    Floats h_n((size_t)c.layers * D * B * P), c_n((size_t)c.layers * D * B * H);
    Floats layer_input = x;
    for (int l = 0; l < c.layers; l++) {
        const int in = l == 0 ? c.input : D * P;
        layer_inputs.push_back(layer_input);
        Floats y((size_t)T * B * D * P);
        for (int d = 0; d < D; d++) {
            const std::string suffix = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
            Direction& s = saved[l * D + d];
            s.w_ih = f.floats("param.weight_ih" + suffix);
            s.w_hh = f.floats("param.weight_hh" + suffix);
            if (c.bias) s.b_ih = f.floats("param.bias_ih" + suffix), s.b_hh = f.floats("param.bias_hh" + suffix);
            if (projected) s.w_hr = f.floats("param.weight_hr" + suffix);
            const bool reverse = d == 1;
            // 1. input projection for every step, with the foldable biases (all but GRU's b_hn)
            Floats gx((size_t)T * B * GH);
            gemm(false, true, T * B, GH, in, layer_input.data(), in, s.w_ih.data(), in, gx.data(), GH, false);
            if (c.bias) {
                Floats folded = s.b_ih;
                for (int j = 0; j < (gru ? 2 * H : GH); j++) recur::axpy_at(j, 1.0f, s.b_hh.data(), folded.data());
                for_each_item(T * B * GH, [&](int i) { recur::add_row_vector_at(i, GH, gx.data(), GH,
                        folded.data()); });
            }
            const float* b_hn = gru && c.bias ? s.b_hh.data() + 2 * H : nullptr;
            // 2. the recurrence; states by time index (forward: slot t precedes step t; reverse: slot t+1)
            s.states.assign((size_t)(T + 1) * B * P, 0.0f);
            s.cells.assign((size_t)(T + 1) * B * H, 0.0f);
            s.act.assign((size_t)T * B * GH, 0.0f);
            s.ghn.assign((size_t)T * B * H, 0.0f);
            s.m.assign((size_t)T * B * H, 0.0f);
            const int initial = reverse ? T : 0;
            const size_t hslot = (size_t)B * P, cslot = (size_t)B * H, gstep = (size_t)B * GH;
            std::copy_n(h0.begin() + (size_t)(l * D + d) * hslot, hslot, s.states.begin() + initial * hslot);
            std::copy_n(c0.begin() + (size_t)(l * D + d) * cslot, cslot, s.cells.begin() + initial * cslot);
            Floats gh(gstep), h_cand(hslot);
            for (int step = 0; step < T; step++) {
                const int t = reverse ? T - 1 - step : step, prev = reverse ? t + 1 : t, next = reverse ? t : t + 1;
                float* y_t = y.data() + (size_t)t * B * D * P + d * P;
                gemm(false, true, B, GH, P, s.states.data() + prev * hslot, P, s.w_hh.data(), P, gh.data(), GH, false);
                const float* gx_t = gx.data() + t * gstep;
                if (lstm) {
                    float* h_out = projected ? s.m.data() + t * cslot : s.states.data() + next * hslot;
                    for_each_item(B * H, [&](int i) {
                        recur::lstm_forward_at(i, H, t, lengths, gx_t, gh.data(), s.cells.data() + prev * cslot,
                                s.act.data() + t * gstep,
                                               s.cells.data() + next * cslot,
                                                       projected ? nullptr : s.states.data() + prev * hslot,
                                               h_out, projected ? nullptr : y_t, D * P);
                    });
                    if (projected) {
                        gemm(false, true, B, P, H, s.m.data() + t * cslot, H, s.w_hr.data(), H, h_cand.data(), P,
                                false);
                        for_each_item(B * P, [&](int i) {
                            recur::masked_step_at(i, P, t, lengths, h_cand.data(), s.states.data() + prev * hslot,
                                                  s.states.data() + next * hslot, y_t, D * P);
                        });
                    }
                } else if (gru) {
                    for_each_item(B * H, [&](int i) {
                        recur::gru_forward_at(i, H, t, lengths, gx_t, gh.data(), b_hn, s.states.data() + prev * hslot,
                                              s.act.data() + t * gstep, s.ghn.data() + t * cslot,
                                                      s.states.data() + next * hslot, y_t, D * P);
                    });
                } else {
                    for_each_item(B * H, [&](int i) {
                        recur::rnn_forward_at(i, H, t, lengths, relu, gx_t, gh.data(), s.states.data() + prev * hslot,
                                              s.states.data() + next * hslot, y_t, D * P);
                    });
                }
            }
            const int final_slot = reverse ? 0 : T;
            std::copy_n(s.states.begin() + final_slot * hslot, hslot, h_n.begin() + (size_t)(l * D + d) * hslot);
            std::copy_n(s.cells.begin() + final_slot * cslot, cslot, c_n.begin() + (size_t)(l * D + d) * cslot);
        }
        layer_input = y;
    }
    const Floats& output = layer_input;

    // Forward against torch.
    Floats output_file_layout(output.size());
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < D * P; j++) output_file_layout[time_major_index(t, b, D * P,
                    j)] = output[((size_t)t * B + b) * D * P + j];
    forward_error = std::max(relative_l2(output_file_layout, f.doubles("out.output")), relative_l2(h_n,
            f.doubles("out.h_n")));
    if (lstm) forward_error = std::max(forward_error, relative_l2(c_n, f.doubles("out.c_n")));

    // Backward of sum(output * dy.output) + sum(h_n * dy.h_n) [+ sum(c_n * dy.c_n)].
    const Floats dy_file = f.floats("dy.output"), dh_n = f.floats("dy.h_n");
    const Floats dc_n = lstm ? f.floats("dy.c_n") : Floats();
    Floats d_layer_output((size_t)T * B * D * P);  // time-major; garbage at padded steps, as in the file
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < D * P; j++)
                d_layer_output[((size_t)t * B + b) * D * P + j] = dy_file[time_major_index(t, b, D * P, j)];
    gradient_error = 0;
    Floats grad_h0((size_t)c.layers * D * B * P), grad_c0((size_t)c.layers * D * B * H);
    for (int l = c.layers - 1; l >= 0; l--) {
        const int in = l == 0 ? c.input : D * P;
        const Floats& X = layer_inputs[l];
        Floats d_input((size_t)T * B * in, 0.0f);
        for (int d = 0; d < D; d++) {
            const std::string suffix = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
            const Direction& s = saved[l * D + d];
            const bool reverse = d == 1;
            const size_t hslot = (size_t)B * P, cslot = (size_t)B * H, gstep = (size_t)B * GH;
            Floats dh(dh_n.begin() + (l * D + d) * hslot, dh_n.begin() + (l * D + d + 1) * hslot), dh_prev(hslot);
            Floats dc = lstm ? Floats(dc_n.begin() + (l * D + d) * cslot,
                    dc_n.begin() + (l * D + d + 1) * cslot) : Floats();
            Floats dgx((size_t)T * gstep), dgh_gru(gru ? (size_t)T * gstep : 0), d_cand((size_t)T * hslot), dm(cslot);
            Floats& dgh = gru ? dgh_gru : dgx;  // LSTM and RNN: the gradient of gh is the gradient of gx
            for (int step = T - 1; step >= 0; step--) {
                const int t = reverse ? T - 1 - step : step, prev = reverse ? t + 1 : t, next = reverse ? t : t + 1;
                const float* dy_t = d_layer_output.data() + (size_t)t * B * D * P + d * P;
                for_each_item(B * P, [&](int i) { recur::add_active_rows_at(i, P, t, lengths, dy_t, D * P,
                        dh.data()); });
                if (lstm) {
                    float* d_cand_t = d_cand.data() + t * hslot;
                    for_each_item(B * P, [&](int i) { recur::masked_step_backward_at(i, P, t, lengths, dh.data(),
                            d_cand_t, dh_prev.data()); });
                    const float* dm_t = d_cand_t;
                    if (projected) {
                        gemm(false, false, B, H, P, d_cand_t, P, s.w_hr.data(), H, dm.data(), H, false);
                        dm_t = dm.data();
                    }
                    for_each_item(B * H, [&](int i) {
                        recur::lstm_backward_at(i, H, t, lengths, s.act.data() + t * gstep,
                                s.cells.data() + prev * cslot,
                                                s.cells.data() + next * cslot, dm_t, dc.data(), dgx.data() + t * gstep);
                    });
                } else if (gru) {
                    for_each_item(B * H, [&](int i) {
                        recur::gru_backward_at(i, H, t, lengths, s.act.data() + t * gstep, s.ghn.data() + t * cslot,
                                               s.states.data() + prev * hslot, dh.data(), dgx.data() + t * gstep,
                                               dgh.data() + t * gstep, dh_prev.data());
                    });
                } else {
                    for_each_item(B * H, [&](int i) {
                        recur::rnn_backward_at(i, H, t, lengths, relu, s.states.data() + next * hslot, dh.data(),
                                               dgx.data() + t * gstep, dh_prev.data());
                    });
                }
                gemm(false, false, B, P, GH, dgh.data() + t * gstep, GH, s.w_hh.data(), P, dh_prev.data(), P, true);
                std::swap(dh, dh_prev);
            }
            std::copy(dh.begin(), dh.end(), grad_h0.begin() + (l * D + d) * hslot);
            if (lstm) std::copy(dc.begin(), dc.end(), grad_c0.begin() + (l * D + d) * cslot);
            // Weight gradients as single GEMMs over all T*B rows; the states preceding steps
            // 0..T-1 are one block: slots 0..T-1 forward, 1..T reverse.
            Floats g_w_ih((size_t)GH * in, 0.0f), g_w_hh((size_t)GH * P, 0.0f), g_b_ih(GH, 0.0f), g_b_hh(GH, 0.0f),
                    g_w_hr((size_t)P * H, 0.0f);
            gemm(true, false, GH, in, T * B, dgx.data(), GH, X.data(), in, g_w_ih.data(), in, true);
            gemm(true, false, GH, P, T * B, dgh.data(), GH, s.states.data() + (reverse ? hslot : 0), P, g_w_hh.data(),
                    P, true);
            // Bias gradients as the GPU layer computes them: ones [1, T*B] · dG [T*B, GH] (a cuBLAS GEMM there).
            const Floats ones((size_t)T * B, 1.0f);
            gemm(false, false, 1, GH, T * B, ones.data(), T * B, dgx.data(), GH, g_b_ih.data(), GH, true);
            gemm(false, false, 1, GH, T * B, ones.data(), T * B, dgh.data(), GH, g_b_hh.data(), GH, true);
            if (projected) gemm(true, false, P, H, T * B, d_cand.data(), P, s.m.data(), H, g_w_hr.data(), H, true);
            gemm(false, false, T * B, in, GH, dgx.data(), GH, s.w_ih.data(), in, d_input.data(), in, true);
            gradient_error = std::max(gradient_error, relative_l2(g_w_ih, f.doubles("out.grad.weight_ih" + suffix)));
            gradient_error = std::max(gradient_error, relative_l2(g_w_hh, f.doubles("out.grad.weight_hh" + suffix)));
            if (c.bias) {
                gradient_error = std::max(gradient_error, relative_l2(g_b_ih, f.doubles("out.grad.bias_ih" + suffix)));
                gradient_error = std::max(gradient_error, relative_l2(g_b_hh, f.doubles("out.grad.bias_hh" + suffix)));
            }
            if (projected) gradient_error = std::max(gradient_error, relative_l2(g_w_hr,
                    f.doubles("out.grad.weight_hr" + suffix)));
        }
        d_layer_output = d_input;  // the gradient reaching the layer below's output
    }
    Floats grad_input_file(d_layer_output.size());
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < c.input; j++) grad_input_file[time_major_index(t, b, c.input,
                    j)] = d_layer_output[((size_t)t * B + b) * c.input + j];
    gradient_error = std::max(gradient_error, relative_l2(grad_input_file, f.doubles("out.grad.input")));
    if (f.has("out.grad.h0")) gradient_error = std::max(gradient_error, relative_l2(grad_h0, f.doubles("out.grad.h0")));
    if (f.has("out.grad.c0")) gradient_error = std::max(gradient_error, relative_l2(grad_c0, f.doubles("out.grad.c0")));
    return true;
}

}  // namespace layer_replay

void replay_layer_goldens(const std::string& golden_dir) {
    std::vector<std::string> files;
    if (DIR* dir = opendir(golden_dir.c_str())) {
        while (dirent* e = readdir(dir)) {
            const std::string name = e->d_name;
            if (name.size() > 12 && name.substr(name.size() - 12) == ".safetensors") files.push_back(name);
        }
        closedir(dir);
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) report("layer golden fixtures found in " + golden_dir, INFINITY, 0);
    for (const std::string& name : files) {
        double forward_error = 0, gradient_error = 0;
        if (!layer_replay::replay_file(golden_dir + "/" + name, forward_error, gradient_error)) continue;
        const std::string config = name.substr(0, name.size() - 12);
        report("layer vs torch " + config + " forward (output, h_n, c_n)", forward_error, FORWARD_TOLERANCE);
        report("layer vs torch " + config + " gradients (input, h0, c0, params)", gradient_error, GRADIENT_TOLERANCE);
    }
}
