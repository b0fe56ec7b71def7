// Shared by every Recur kernel and by the host-side math test (test/kernel_math_test.cu).
//
// Each kernel is a grid-stride loop over independent work items that calls one
// `__host__ __device__` function, the item's whole body (`..._at(index, ...)`), defined in the
// family's header. The host test runs those same functions over every index on the CPU, so the
// arithmetic and the indexing a GPU would run are tested without a GPU; only the loop itself and
// the block reductions (recur_block_reduce.cuh) are device-only.
//
// Arithmetic is written to give the CPU engine's float32 results: the build passes -fmad=false
// so that nvcc never fuses a*b+c behind our back (torch.optim's rules, as the engine's TorchOps
// copies them, fuse some products and not others; fmaf() marks the fused ones), and never
// --use_fast_math, so division and sqrtf are IEEE-rounded.
#pragma once

#include <math.h>

#ifdef __CUDACC__
#define RECUR_HD __host__ __device__ __forceinline__
#else
#define RECUR_HD inline
#endif

// Every kernel is written for blocks of this many threads (a multiple of the warp size; the block
// reductions in reduce.cu size their shared memory by it). Any grid size is correct.
#define RECUR_BLOCK_THREADS 256

#ifdef __CUDACC__
// for (i over [0, count)) with a grid-stride step. The 64-bit counter cannot overflow when
// count is near INT_MAX; each item's index still fits an int because count is an int.
#define RECUR_FOR_EACH_INDEX(i, count)                                                           \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(count); \
         i += (long long)blockDim.x * gridDim.x)
#endif

namespace recur {

// PyTorch's packed-sequence rule, also for the reverse direction (which walks t downwards):
// sample b takes part in step t when t < lengths[b]. lengths == nullptr: every sample, every step.
RECUR_HD bool active(const int* lengths, int b, int t) {
    return lengths == nullptr || t < lengths[b];
}

RECUR_HD float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

// java.lang.Math.max for floats (the engine's relu and AMSGrad maximum): a NaN wins, unlike
// fmaxf, and +0 is larger than -0.
RECUR_HD float java_max(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}

RECUR_HD float relu(float x) {
    return java_max(x, 0.0f);
}

}  // namespace recur
