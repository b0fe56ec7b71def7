// Recur's CUDA kernels compiled for the HOST, for the engine's emulated GPU (EmulatedGpuDevice
// with host-compiled kernels): the very `extern "C" __global__` functions of ../src/*.cu, each
// run by one host thread standing in for the whole grid (blockIdx 0, blockDim 1, gridDim 1), so
// that its grid-stride loop visits every work item in order. The emulator calls them through FFM
// with the arguments the GPU layer passes to cuLaunchKernel, on host memory that plays device
// memory: the kernels' own parameter order, indexing and float32 arithmetic, with no GPU.
//
// Only kernels without block-level cooperation are meaningful here: the block reductions
// (recur_block_reduce.cuh: warp shuffles, shared memory, atomics) need real blocks, so their
// device intrinsics are stubs that abort. Built by host/build.sh (g++, -ffp-contract=off as
// native/test/run.sh compiles the kernels' math for the host test).
#include <cmath>
#include <cstdlib>

struct recur_host_dim3 {
    unsigned x, y, z;
};
static const recur_host_dim3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
// The grid-stride loop of recur_common.cuh (defined there only under nvcc), with this grid of one thread.
#define RECUR_FOR_EACH_INDEX(i, count)                                                           \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(count); \
         i += (long long)blockDim.x * gridDim.x)

// Device-only cooperation: never meaningful on one host thread.
template <typename T> static T __shfl_down_sync(unsigned, T, int) { std::abort(); }
static void __syncthreads() { std::abort(); }
template <typename T> static T atomicAdd(T*, T) { std::abort(); }

#include "../src/rnn_cell.cu"
#include "../src/lstm_cell.cu"
#include "../src/gru_cell.cu"
#include "../src/recurrence_mask.cu"
#include "../src/elementwise.cu"
#include "../src/reduce.cu"
#include "../src/optimizers.cu"
