// The persistent forward recurrence (Diamos et al. 2016, "Persistent RNNs"): one cooperative
// launch runs all T steps of one layer direction. Block k owns hidden units
// [k*U, k*U + units) (U = units_per_block) with ALL G gate rows of those units, so the cell update
// needs nothing from other blocks; it keeps that W_hh slice, G*units rows of H, resident in
// shared memory for the whole sequence. Per step every block
//   1. stages the previous state h_prev [B, H] (written by every block last step) from L2,
//   2. computes its gate tile gh [B, G, units] = h_prev · W_hh_slice^T, one warp per (b, row),
//   3. applies the cell update (recur_cells.cuh's *_forward_unit, the standard path's math,
//      with the length mask) and writes states/cells/act/ghn/y for its units,
// then the grid meets at a grid-wide barrier before the next step.
//
// Everything here but the barrier is `__host__ __device__`: a block step is written against a
// `Block` policy (DeviceBlock: the block's real threads and __syncthreads; HostBlock: a loop over
// the threads of each phase), so the host test (native/test/persistent_partition_test.h) runs
// the same function for every block in turn, with the end of its loop over blocks standing for
// the grid barrier. Kernels and ABI: persistent_recurrence.cu, docs/kernels.md.
//
// Shapes (row-major float32; the layout of engine/.../backend/Recurrence.java):
//   gx     [T, B, G*H]  x·W_ih^T + the foldable biases, all steps (cuBLAS, before the launch)
//   w_hh   [G*H, H]     PyTorch's weight_hh_l{k} (no projection: the state width P equals H)
//   states [S, B, H]    S = T+1 (keep_all: training) or 2 (a ring: inference); the caller writes
//                       h0 into the slot read first (persistent_slots(0, ...).prev)
//   cells  [S, B, H]    LSTM only, same slots, c0 likewise
//   act    [T', B, G*H] gate activations, ghn [T', B, H] GRU's gh_n + b_hn; T' = T (keep_all) or 1
//   y      [T, B, ldy]  the layer output (offset by d*H into a bidirectional output), or nullptr
#pragma once

#include <cuda_bf16.h>

#include "recur_cells.cuh"

#ifdef __CUDACC__
#include <cooperative_groups.h>
#endif

// Threads per block of the persistent kernels: 16 warps, one block per SM.
#define RECUR_PERSISTENT_THREADS 512

namespace recur {

constexpr int WARP_LANES = 32;

// ---- the plan: can a device hold the shape, and how is it split -----------------------------
// Mirrored in Java by engine/.../backend/cuda/PersistentPlan.java (keep the two equal).

// The dynamic shared memory of one block, in bytes, each part 16-byte aligned:
//   [W_hh slice: G*units rows of H weights][h_prev: B*H float][gate tile: B*G*units float]
struct PersistentSharedLayout {
    long long state_offset, gates_offset, total_bytes;
};

RECUR_HD long long align16(long long bytes) { return (bytes + 15) / 16 * 16; }

RECUR_HD PersistentSharedLayout persistent_shared_layout(int gates, int hidden, int batch, int units_per_block,
                                                         int weight_bytes) {
    PersistentSharedLayout layout;
    layout.state_offset = align16((long long)gates * units_per_block * hidden * weight_bytes);
    layout.gates_offset = layout.state_offset + align16((long long)batch * hidden * 4);
    layout.total_bytes = layout.gates_offset + align16((long long)batch * gates * units_per_block * 4);
    return layout;
}

// What the device offers (cuDeviceGetAttribute): MULTIPROCESSOR_COUNT,
// MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
// RESERVED_SHARED_MEMORY_PER_BLOCK, MAX_THREADS_PER_BLOCK, COOPERATIVE_LAUNCH.
// H100 SXM: 132, 233472, 232448, 1024, 1024, 1.
struct PersistentDevice {
    int multiprocessors, shared_per_multiprocessor, shared_per_block_optin, reserved_shared_per_block,
            max_threads_per_block;
    bool cooperative_launch;
};

enum PersistentVerdict {
    PERSISTENT_FITS = 0,
    PERSISTENT_BAD_SHAPE,          // hidden or batch < 1
    PERSISTENT_NO_COOPERATIVE,     // the device cannot launch cooperatively (no grid barrier)
    PERSISTENT_PROJECTION,         // state width != hidden (LSTM proj_size): not supported
    PERSISTENT_TOO_FEW_THREADS,    // the device's block limit is below RECUR_PERSISTENT_THREADS
    PERSISTENT_SHARED_MEMORY,      // the slice + state + gate tile exceed one block's shared memory
};

struct PersistentPlan {
    PersistentVerdict verdict;
    int blocks, units_per_block, threads;
    long long shared_bytes;  // the dynamic shared memory to launch with (also when it does not fit)
};

// One block per multiprocessor at most (a cooperative launch needs every block resident), each
// with as few units as that allows: U = ceil(H / SMs), blocks = ceil(H / U). The caller still checks
// cuOccupancyMaxActiveBlocksPerMultiprocessor >= 1 with the planned shared bytes.
inline PersistentPlan plan_persistent(int gates, int hidden, int state_width, int batch, int weight_bytes,
                                      const PersistentDevice& device) {
    PersistentPlan plan{PERSISTENT_FITS, 0, 0, RECUR_PERSISTENT_THREADS, 0};
    if (hidden < 1 || batch < 1 || device.multiprocessors < 1) {
        plan.verdict = PERSISTENT_BAD_SHAPE;
        return plan;
    }
    if (!device.cooperative_launch) {
        plan.verdict = PERSISTENT_NO_COOPERATIVE;
        return plan;
    }
    if (state_width != hidden) {
        plan.verdict = PERSISTENT_PROJECTION;
        return plan;
    }
    plan.units_per_block = (hidden + device.multiprocessors - 1) / device.multiprocessors;
    plan.blocks = (hidden + plan.units_per_block - 1) / plan.units_per_block;
    plan.shared_bytes = persistent_shared_layout(gates, hidden, batch, plan.units_per_block, weight_bytes).total_bytes;
    if (device.max_threads_per_block < RECUR_PERSISTENT_THREADS) {
        plan.verdict = PERSISTENT_TOO_FEW_THREADS;
        return plan;
    }
    const long long per_sm = (long long)device.shared_per_multiprocessor - device.reserved_shared_per_block;
    const long long limit = per_sm < device.shared_per_block_optin ? per_sm : device.shared_per_block_optin;
    if (plan.shared_bytes > limit) plan.verdict = PERSISTENT_SHARED_MEMORY;
    return plan;
}

// ---- one block's share ---------------------------------------------------------------------

// The hidden units block `block` owns: [first_unit, first_unit + units); units may be < U in the
// last block (and 0 in a block beyond ceil(H / U), which then only takes part in the barriers).
struct PersistentTile {
    int first_unit, units;
};

RECUR_HD PersistentTile persistent_tile(int block, int hidden, int units_per_block) {
    const int first = block * units_per_block;
    const int left = hidden - first;
    return PersistentTile{first, left < 0 ? 0 : (left < units_per_block ? left : units_per_block)};
}

// Step `step` of the walk (0..T-1): the time index t, the state slots read and written, and the
// slot of act/ghn, as Recurrence.java numbers them (a 2-slot ring without keep_all).
struct PersistentSlots {
    int t, prev, next, saved;
};

RECUR_HD PersistentSlots persistent_slots(int step, int steps, bool reverse, bool keep_all) {
    PersistentSlots s;
    s.t = reverse ? steps - 1 - step : step;
    s.prev = reverse ? s.t + 1 : s.t;
    s.next = reverse ? s.t : s.t + 1;
    if (!keep_all) s.prev &= 1, s.next &= 1;
    s.saved = keep_all ? s.t : 0;
    return s;
}

// Weights as kept in shared memory: float32, or bfloat16 (rounded to nearest even when the slice
// is loaded; products and sums stay float32).
RECUR_HD float weight_value(float w) { return w; }
RECUR_HD float weight_value(__nv_bfloat16 w) { return __bfloat162float(w); }
RECUR_HD void store_weight(float* slot, float w) { *slot = w; }
RECUR_HD void store_weight(__nv_bfloat16* slot, float w) { *slot = __float2bfloat16_rn(w); }

// The previous state is written by other blocks within this launch: read it from L2 (ld.global.cg),
// never from a possibly stale L1 line.
#ifdef __CUDA_ARCH__
#define RECUR_LOAD_FROM_L2(pointer) __ldcg(pointer)
#else
#define RECUR_LOAD_FROM_L2(pointer) (*(pointer))
#endif

// Everything one launch needs; pointers as in the header comment.
struct PersistentArgs {
    int steps, batch, hidden, units_per_block;
    bool reverse, keep_all, use_relu;
    const int* lengths;
    const float *gx, *w_hh, *b_hn;
    float *states, *cells, *act, *ghn, *y;
    int ldy;
};

// A warp's 32 lanes summing one value each. DeviceLanes: this thread is one lane, the butterfly
// runs through shuffles; HostLanes: computes every lane's value, then the same butterfly
// (lane i adds lane i^offset's value, offsets 16..1), so host and device add in the same order.
struct DeviceLanes {
    int lane;
    template <typename PerLane>
    RECUR_HD float sum(PerLane per_lane) const {
#ifdef __CUDA_ARCH__
        float value = per_lane(lane);
        for (int offset = WARP_LANES / 2; offset > 0; offset /= 2)
            value = value + __shfl_xor_sync(0xffffffffu, value, offset);
        return value;
#else
        return per_lane(lane);  // never used on the host
#endif
    }
    RECUR_HD bool leader() const { return lane == 0; }
};

struct HostLanes {
    template <typename PerLane>
    RECUR_HD float sum(PerLane per_lane) const {
        float value[WARP_LANES], next[WARP_LANES];
        for (int lane = 0; lane < WARP_LANES; lane++) value[lane] = per_lane(lane);
        for (int offset = WARP_LANES / 2; offset > 0; offset /= 2) {
            for (int lane = 0; lane < WARP_LANES; lane++) next[lane] = value[lane] + value[lane ^ offset];
            for (int lane = 0; lane < WARP_LANES; lane++) value[lane] = next[lane];
        }
        return value[0];
    }
    RECUR_HD bool leader() const { return true; }
};

// The threads of one block. DeviceBlock: each_thread/each_warp run the body once for this thread
// (or its warp), sync is __syncthreads. HostBlock: they loop over every thread (warp) of a block
// of `threads` threads, and sync does nothing because each phase has finished for all threads.
struct DeviceBlock {
    template <typename Body>
    RECUR_HD void each_thread(Body body) const {
#ifdef __CUDA_ARCH__
        body((int)threadIdx.x, (int)blockDim.x);
#endif
    }
    template <typename Body>
    RECUR_HD void each_warp(Body body) const {
#ifdef __CUDA_ARCH__
        body((int)threadIdx.x / WARP_LANES, (int)blockDim.x / WARP_LANES, DeviceLanes{(int)threadIdx.x % WARP_LANES});
#endif
    }
    RECUR_HD void sync() const {
#ifdef __CUDA_ARCH__
        __syncthreads();
#endif
    }
};

struct HostBlock {
    int threads;
    template <typename Body>
    RECUR_HD void each_thread(Body body) const {
        for (int thread = 0; thread < threads; thread++) body(thread, threads);
    }
    template <typename Body>
    RECUR_HD void each_warp(Body body) const {
        for (int warp = 0; warp < threads / WARP_LANES; warp++) body(warp, threads / WARP_LANES, HostLanes{});
    }
    RECUR_HD void sync() const {}
};

// Before the first step: the block's W_hh rows into shared memory, slice row r = q*units + u
// holding W_hh row q*H + first_unit + u (gate q of unit first_unit + u).
template <typename Weight, typename Block>
RECUR_HD void load_weight_slice(const Block& block, int gates, int hidden, PersistentTile tile, const float* w_hh,
                                Weight* slice) {
    block.each_thread([&](int thread, int threads) {
        const long long count = (long long)gates * tile.units * hidden;
        for (long long i = thread; i < count; i += threads) {
            const int row = (int)(i / hidden), k = (int)(i % hidden);
            const int q = row / tile.units, u = row % tile.units;
            store_weight(slice + i, w_hh[((long long)q * hidden + tile.first_unit + u) * hidden + k]);
        }
    });
    block.sync();
}

// One step of one block. `shared` is the block's dynamic shared memory laid out by
// persistent_shared_layout; `slice` its first part (already loaded).
template <int Gates, typename Weight, typename Block>
RECUR_HD void persistent_block_step(const Block& block, const PersistentArgs& a, PersistentTile tile, int step,
                                    const Weight* slice, float* staged_state, float* gate_tile) {
    const int B = a.batch, H = a.hidden, units = tile.units;
    const PersistentSlots s = persistent_slots(step, a.steps, a.reverse, a.keep_all);
    const long long state_slot = (long long)B * H, gate_step = (long long)B * Gates * H;
    const float* h_prev = a.states + s.prev * state_slot;

    // 1. h_prev [B, H], all units (every block wrote its own last step), from L2.
    block.each_thread([&](int thread, int threads) {
        for (long long i = thread; i < state_slot; i += threads) staged_state[i] = RECUR_LOAD_FROM_L2(h_prev + i);
    });
    block.sync();

    // 2. gate tile [B, Gates, units]: item = b*rows + r is the dot of state row b with slice row r;
    // lane l takes k = l, l+32, ... (consecutive words across the warp: no bank conflicts).
    // fmaf: fused as cuBLAS's SGEMM fuses (-fmad=false fuses nothing on its own).
    block.each_warp([&](int warp, int warps, const auto& lanes) {
        const int rows = Gates * units, items = B * rows;
        for (int item = warp; item < items; item += warps) {
            const Weight* w = slice + (long long)(item % rows) * H;
            const float* h = staged_state + (long long)(item / rows) * H;
            const float sum = lanes.sum([&](int lane) {
                float partial = 0.0f;
                for (int k = lane; k < H; k += WARP_LANES) partial = fmaf(weight_value(w[k]), h[k], partial);
                return partial;
            });
            if (lanes.leader()) gate_tile[item] = sum;
        }
    });
    block.sync();

    // 3. the cell update of the block's units, per (sample, unit): the standard path's math.
    const float* gx_t = a.gx + s.t * gate_step;
    float* y_t = a.y == nullptr ? nullptr : a.y + (long long)s.t * B * a.ldy;
    float* h_next = a.states + s.next * state_slot;
    block.each_thread([&](int thread, int threads) {
        for (int item = thread; item < B * units; item += threads) {
            const int b = item / units, u = item % units, j = tile.first_unit + u, index = b * H + j;
            const GateRow gh{gate_tile + (long long)b * Gates * units + u, units};
            if (Gates == 4) {
                lstm_forward_unit(index, b, j, H, s.t, a.lengths, gx_t, gh, a.cells + s.prev * state_slot,
                                  a.act + s.saved * gate_step, a.cells + s.next * state_slot, h_prev, h_next, y_t,
                                  a.ldy);
            } else if (Gates == 3) {
                gru_forward_unit(index, b, j, H, s.t, a.lengths, gx_t, gh, a.b_hn, h_prev, a.act + s.saved * gate_step,
                                 a.ghn + s.saved * state_slot, h_next, y_t, a.ldy);
            } else {
                rnn_forward_unit(index, b, j, H, s.t, a.lengths, a.use_relu, gx_t, gh, h_prev, h_next, y_t, a.ldy);
            }
        }
    });
}

#ifdef __CUDACC__
// The whole walk on the device: load the slice, then every step followed by the grid barrier.
// Launch: cuLaunchCooperativeKernel, grid ceil(H / U), RECUR_PERSISTENT_THREADS threads, the
// plan's dynamic shared bytes (after raising CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES).
template <int Gates, typename Weight>
__device__ void persistent_forward(const PersistentArgs& a) {
    extern __shared__ float4 shared_words[];  // float4: 16-byte alignment for every part
    char* shared = reinterpret_cast<char*>(shared_words);
    const PersistentSharedLayout layout =
            persistent_shared_layout(Gates, a.hidden, a.batch, a.units_per_block, (int)sizeof(Weight));
    Weight* slice = reinterpret_cast<Weight*>(shared);
    float* staged_state = reinterpret_cast<float*>(shared + layout.state_offset);
    float* gate_tile = reinterpret_cast<float*>(shared + layout.gates_offset);
    const PersistentTile tile = persistent_tile((int)blockIdx.x, a.hidden, a.units_per_block);
    const DeviceBlock block;
    cooperative_groups::grid_group grid = cooperative_groups::this_grid();
    load_weight_slice(block, Gates, a.hidden, tile, a.w_hh, slice);
    for (int step = 0; step < a.steps; step++) {
        persistent_block_step<Gates>(block, a, tile, step, slice, staged_state, gate_tile);
        grid.sync();  // this step's states are everyone's h_prev next step
    }
}
#endif

}  // namespace recur
