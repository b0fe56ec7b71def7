// Device-only: the sum of one double per thread over a block, for the reductions in reduce.cu
// and loss.cu. blockDim.x must be a multiple of 32 and at most RECUR_BLOCK_THREADS. Untested
// off a GPU (docs/kernels.md); it is the only device code the host test cannot run.
#pragma once

#include "recur_common.cuh"

namespace recur {

// Returns the block's total in thread 0 (other threads: partial sums). Every thread of the block
// must call it; it may be called several times in a row (it synchronises before reusing memory).
__device__ __forceinline__ double block_sum(double v) {
    __shared__ double warp_sums[RECUR_BLOCK_THREADS / 32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    __syncthreads();  // a previous call's readers are done with warp_sums
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? warp_sums[lane] : 0.0;
        for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

}  // namespace recur
