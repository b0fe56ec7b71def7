// The persistent recurrence (src/recur_persistent.cuh) on the host: its partition of the hidden
// units over blocks, its shared-memory slice of W_hh, its warp dot products (butterfly sums as the
// shuffles add) and its cell phase, run block by block through the same persistent_block_step the
// kernels run, with the end of each step's loop over blocks standing for the grid barrier.
// Blocks run in a fresh random order every step: a block reading what another block writes in the
// same step would then give different results. Compared with the standard path's composition
// (per step: a float64-accumulated GEMM gh = h_prev · W_hh^T, then the cell kernels' functions
// over every (sample, unit)), as layer_golden_replay.h checks that composition against PyTorch.
// Also: the plan's limits on H100 numbers (the Java mirror, PersistentPlan.java, asserts the same).
// Included by kernel_math_test.cu, after its report helpers and layer_golden_replay.h.
#pragma once

#include <memory>
#include <set>

#include "recur_persistent.cuh"

namespace persistent_test {

// One layer direction's inputs. Shapes as in recur_persistent.cuh.
struct Layer {
    int gates, steps, batch, hidden;
    bool use_relu, reverse;
    Floats gx, w_hh, b_hn, h0, c0;  // [T,B,GH], [GH,H], [H] (GRU, may be empty), [B,H], [B,H]
    std::vector<int> lengths;       // [B], empty: every step of every sample
};

// What a run writes, in Recurrence's keep_all layout (or the 2-slot ring).
struct Outputs {
    Floats states, cells, act, ghn, y;
};

constexpr int Y_PADDING = 3;  // y's row stride is H + 3: the padding columns must keep their 7s

Outputs empty_outputs(const Layer& l, bool keep_all) {
    const int S = keep_all ? l.steps + 1 : 2, saved = keep_all ? l.steps : 1;
    const size_t slot = (size_t)l.batch * l.hidden, gate_step = slot * l.gates;
    Outputs o;
    o.states.assign(S * slot, 0.0f);
    o.cells.assign(l.gates == 4 ? S * slot : 0, 0.0f);
    o.act.assign(l.gates > 1 ? saved * gate_step : 0, 0.0f);
    o.ghn.assign(l.gates == 3 ? saved * slot : 0, 0.0f);
    o.y.assign((size_t)l.steps * l.batch * (l.hidden + Y_PADDING), 7.0f);
    const int first = recur::persistent_slots(0, l.steps, l.reverse, keep_all).prev;
    std::copy(l.h0.begin(), l.h0.end(), o.states.begin() + first * slot);
    if (l.gates == 4) std::copy(l.c0.begin(), l.c0.end(), o.cells.begin() + first * slot);
    return o;
}

const int* lengths_of(const Layer& l) { return l.lengths.empty() ? nullptr : l.lengths.data(); }

// The standard path, keep_all: per step one GEMM (float64 accumulation) and the cell kernel's items.
Outputs run_standard(const Layer& l, const Floats& w_hh) {
    Outputs o = empty_outputs(l, true);
    const int B = l.batch, H = l.hidden, G = l.gates, ldy = H + Y_PADDING;
    const size_t slot = (size_t)B * H, gate_step = slot * G;
    Floats gh(gate_step);
    for (int step = 0; step < l.steps; step++) {
        const recur::PersistentSlots s = recur::persistent_slots(step, l.steps, l.reverse, true);
        const float* h_prev = o.states.data() + s.prev * slot;
        layer_replay::gemm(false, true, B, G * H, H, h_prev, H, w_hh.data(), H, gh.data(), G * H, false);
        const float* gx = l.gx.data() + s.t * gate_step;
        float* y = o.y.data() + (size_t)s.t * B * ldy;
        for (int i = 0; i < B * H; i++) {
            if (G == 4)
                recur::lstm_forward_at(i, H, s.t, lengths_of(l), gx, gh.data(), o.cells.data() + s.prev * slot,
                                       o.act.data() + s.t * gate_step, o.cells.data() + s.next * slot, h_prev,
                                       o.states.data() + s.next * slot, y, ldy);
            else if (G == 3)
                recur::gru_forward_at(i, H, s.t, lengths_of(l), gx, gh.data(), l.b_hn.empty() ? nullptr : l.b_hn.data(),
                                      h_prev, o.act.data() + s.t * gate_step, o.ghn.data() + s.t * slot,
                                      o.states.data() + s.next * slot, y, ldy);
            else
                recur::rnn_forward_at(i, H, s.t, lengths_of(l), l.use_relu, gx, gh.data(), h_prev,
                                      o.states.data() + s.next * slot, y, ldy);
        }
    }
    return o;
}

template <int Gates, typename Weight>
void run_blocks(const Layer& l, const recur::PersistentArgs& args, int threads) {
    const int blocks = (l.hidden + args.units_per_block - 1) / args.units_per_block;
    const recur::PersistentSharedLayout layout =
            recur::persistent_shared_layout(Gates, l.hidden, l.batch, args.units_per_block, (int)sizeof(Weight));
    // Each block's dynamic shared memory, 16-byte aligned as the kernel's extern __shared__ float4.
    std::vector<std::unique_ptr<float4[]>> shared(blocks);
    const recur::HostBlock block{threads};
    for (int k = 0; k < blocks; k++) {
        shared[k].reset(new float4[layout.total_bytes / 16]);
        recur::load_weight_slice(block, Gates, l.hidden, recur::persistent_tile(k, l.hidden, args.units_per_block),
                                 args.w_hh, reinterpret_cast<Weight*>(shared[k].get()));
    }
    std::vector<int> order(blocks);
    for (int k = 0; k < blocks; k++) order[k] = k;
    for (int step = 0; step < l.steps; step++) {
        std::shuffle(order.begin(), order.end(), rng);
        for (int k : order) {
            char* memory = reinterpret_cast<char*>(shared[k].get());
            recur::persistent_block_step<Gates>(block, args, recur::persistent_tile(k, l.hidden, args.units_per_block),
                                                step, reinterpret_cast<const Weight*>(memory),
                                                reinterpret_cast<float*>(memory + layout.state_offset),
                                                reinterpret_cast<float*>(memory + layout.gates_offset));
        }
        // the grid barrier
    }
}

template <typename Weight>
Outputs run_persistent(const Layer& l, int units_per_block, bool keep_all, int threads) {
    Outputs o = empty_outputs(l, keep_all);
    const recur::PersistentArgs args{l.steps, l.batch, l.hidden, units_per_block, l.reverse, keep_all, l.use_relu,
                                     lengths_of(l), l.gx.data(), l.w_hh.data(), l.b_hn.empty() ? nullptr : l.b_hn.data(),
                                     o.states.data(), o.cells.data(), o.act.data(), o.ghn.data(), o.y.data(),
                                     l.hidden + Y_PADDING};
    if (l.gates == 4) run_blocks<4, Weight>(l, args, threads);
    else if (l.gates == 3) run_blocks<3, Weight>(l, args, threads);
    else run_blocks<1, Weight>(l, args, threads);
    return o;
}

// The largest relative L2 error over what both runs hold: with keep_all every state slot, cell
// slot, act, ghn and y; in the ring, y, the final h (and c) and the last step's act/ghn.
double worst_error(const Layer& l, const Outputs& actual, const Outputs& reference, bool keep_all) {
    double worst = relative_l2(actual.y, widen(reference.y));
    if (keep_all) {
        worst = std::max(worst, relative_l2(actual.states, widen(reference.states)));
        worst = std::max(worst, relative_l2(actual.cells, widen(reference.cells)));
        worst = std::max(worst, relative_l2(actual.act, widen(reference.act)));
        return std::max(worst, relative_l2(actual.ghn, widen(reference.ghn)));
    }
    const size_t slot = (size_t)l.batch * l.hidden;
    const recur::PersistentSlots last = recur::persistent_slots(l.steps - 1, l.steps, l.reverse, false);
    const int final_slot = l.reverse ? 0 : l.steps;  // in the keep_all reference
    auto part = [&](const Floats& v, size_t at, size_t n) { return Floats(v.begin() + at, v.begin() + at + n); };
    worst = std::max(worst, relative_l2(part(actual.states, last.next * slot, slot),
                                        widen(part(reference.states, final_slot * slot, slot))));
    if (l.gates == 4)
        worst = std::max(worst, relative_l2(part(actual.cells, last.next * slot, slot),
                                            widen(part(reference.cells, final_slot * slot, slot))));
    // The last step's act: every sample active at that time index wrote it in both runs.
    if (l.gates > 1 && l.lengths.empty())
        worst = std::max(worst, relative_l2(actual.act, widen(part(reference.act, last.t * slot * l.gates, slot * l.gates))));
    return worst;
}

Layer random_layer(int gates, bool use_relu, int batch, int hidden, bool masked, bool reverse) {
    Layer l{};
    l.gates = gates, l.use_relu = use_relu, l.steps = 5, l.batch = batch, l.hidden = hidden, l.reverse = reverse;
    const float scale = 1.5f / std::sqrt((float)hidden);  // keeps relu states O(1) over the steps
    l.gx = uniform((size_t)l.steps * batch * gates * hidden, -1, 1);
    l.w_hh = uniform((size_t)gates * hidden * hidden, -scale, scale);
    if (gates == 3 && uniform_int(0, 1) == 1) l.b_hn = uniform(hidden, -0.5f, 0.5f);
    l.h0 = uniform((size_t)batch * hidden, -1, 1);
    l.c0 = uniform((size_t)batch * hidden, -1, 1);
    if (masked) {
        // Lengths 1..T: the first sample runs every step, the last (with two or more) stops early.
        l.lengths.resize(batch);
        for (int b = 0; b < batch; b++) l.lengths[b] = uniform_int(1, l.steps);
        l.lengths[0] = l.steps;
        if (batch > 1) l.lengths[batch - 1] = uniform_int(1, l.steps - 1);
        // Padded steps hold garbage; it must not leak into anything.
        for (int t = 0; t < l.steps; t++)
            for (int b = 0; b < batch; b++)
                if (t >= l.lengths[b])
                    for (int j = 0; j < gates * hidden; j++)
                        l.gx[((size_t)t * batch + b) * gates * hidden + j] = std::nanf("");
    }
    return l;
}

Floats bfloat16_rounded(const Floats& v) {
    Floats r(v.size());
    for (size_t i = 0; i < v.size(); i++) r[i] = __bfloat162float(__float2bfloat16_rn(v[i]));
    return r;
}

void test_partitions(int gates, bool use_relu, const char* mode, int batch, int hidden, bool masked) {
    const bool reverse = uniform_int(0, 1) == 1;
    const Layer l = random_layer(gates, use_relu, batch, hidden, masked, reverse);
    const Outputs reference = run_standard(l, l.w_hh);
    // Units per block: one per block, an odd tile, thirds, one block for all, and H100's plan.
    const std::set<int> units = {1, std::min(7, hidden), (hidden + 2) / 3, hidden, (hidden + 131) / 132};
    const std::string shape = std::string(mode) + " B=" + std::to_string(batch) + " H=" + std::to_string(hidden) +
                              (masked ? " lengths" : " no-lengths") + (reverse ? " reverse" : " forward");
    bool keep_all = masked;  // both layouts at every shape, alternating over the partitions
    for (int u : units) {
        const int blocks = (hidden + u - 1) / u;
        const Outputs o = run_persistent<float>(l, u, keep_all, RECUR_PERSISTENT_THREADS);
        report("persistent " + shape + " U=" + std::to_string(u) + " (" + std::to_string(blocks) + " blocks)" +
                       (keep_all ? " keep_all" : " ring"),
               worst_error(l, o, reference, keep_all), FORWARD_TOLERANCE);
        keep_all = !keep_all;
    }
    // Fewer threads than the kernel's 512 (3 warps): the phases' thread and warp loops must not care.
    const int u = (hidden + 2) / 3;
    report("persistent " + shape + " U=" + std::to_string(u) + " 96 threads keep_all",
           worst_error(l, run_persistent<float>(l, u, true, 96), reference, true), FORWARD_TOLERANCE);
    // bfloat16 weights: the standard path with the same rounded weights is the reference.
    const Outputs bf16_reference = run_standard(l, bfloat16_rounded(l.w_hh));
    report("persistent bf16 weights " + shape + " U=" + std::to_string(u) + " keep_all",
           worst_error(l, run_persistent<__nv_bfloat16>(l, u, true, RECUR_PERSISTENT_THREADS), bf16_reference, true),
           FORWARD_TOLERANCE);
}

// The plan on H100 SXM numbers (132 SMs, 228 KiB per SM, 227 KiB per block, 1 KiB reserved).
void test_plan() {
    const recur::PersistentDevice h100{132, 233472, 232448, 1024, 1024, true};
    struct Case { int gates, hidden, state_width, batch, weight_bytes; recur::PersistentVerdict verdict; int blocks, units; };
    const Case cases[] = {
        {4, 1320, 1320, 1, 4, recur::PERSISTENT_FITS, 132, 10},           // LSTM fp32: the largest H
        {4, 1321, 1321, 1, 4, recur::PERSISTENT_SHARED_MEMORY, 121, 11},  // one more unit per block
        {4, 1024, 1024, 8, 4, recur::PERSISTENT_FITS, 128, 8},
        {4, 1024, 1024, 64, 4, recur::PERSISTENT_SHARED_MEMORY, 128, 8},
        {4, 1204, 1204, 8, 4, recur::PERSISTENT_FITS, 121, 10},           // LSTM fp32, B = 8: the largest H
        {4, 1205, 1205, 8, 4, recur::PERSISTENT_SHARED_MEMORY, 121, 10},
        {4, 1872, 1872, 1, 2, recur::PERSISTENT_FITS, 125, 15},           // LSTM bf16: the largest H
        {4, 1873, 1873, 1, 2, recur::PERSISTENT_SHARED_MEMORY, 125, 15},
        {3, 1569, 1569, 1, 4, recur::PERSISTENT_FITS, 131, 12},           // GRU fp32
        {3, 1570, 1570, 1, 4, recur::PERSISTENT_SHARED_MEMORY, 131, 12},
        {1, 2640, 2640, 1, 4, recur::PERSISTENT_FITS, 132, 20},           // RNN fp32
        {1, 2641, 2641, 1, 4, recur::PERSISTENT_SHARED_MEMORY, 126, 21},
        {4, 100, 100, 4, 4, recur::PERSISTENT_FITS, 100, 1},
        {4, 512, 256, 4, 4, recur::PERSISTENT_PROJECTION, 0, 0},
    };
    long long mismatches = 0;
    for (const Case& c : cases) {
        const recur::PersistentPlan p = recur::plan_persistent(c.gates, c.hidden, c.state_width, c.batch, c.weight_bytes, h100);
        const bool ok = p.verdict == c.verdict && p.blocks == c.blocks && p.units_per_block == c.units;
        if (!ok) {
            mismatches++;
            std::printf("     plan G=%d H=%d B=%d weight bytes %d: verdict %d blocks %d units %d shared %lld\n", c.gates,
                        c.hidden, c.batch, c.weight_bytes, p.verdict, p.blocks, p.units_per_block, p.shared_bytes);
        }
    }
    const long long total = (long long)(sizeof(cases) / sizeof(cases[0]));
    checks++;
    if (mismatches != 0) failures++;
    std::printf("%-4s %-72s %lld of %lld plans differ\n", mismatches == 0 ? "ok" : "FAIL",
                "persistent plan on H100 numbers (verdict, blocks, units per block)", mismatches, total);
}

}  // namespace persistent_test

void test_persistent_recurrence() {
    persistent_test::test_plan();
    const int batches[] = {1, 3, 17}, hiddens[] = {1, 17, 255, 513};
    for (int hidden : hiddens)
        for (int batch : batches)
            for (bool masked : {true, false}) {
                if (batch * hidden > 3 * 513 && !masked) continue;  // B=17 H=513 once (host time)
                persistent_test::test_partitions(1, false, "rnn_tanh", batch, hidden, masked);
                persistent_test::test_partitions(1, true, "rnn_relu", batch, hidden, masked);
                persistent_test::test_partitions(3, false, "gru", batch, hidden, masked);
                persistent_test::test_partitions(4, false, "lstm", batch, hidden, masked);
            }
}
