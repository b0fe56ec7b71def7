// Reductions: the sum of squares behind clip_grad_norm_'s global norm (the clipping itself:
// optimizers.cu). Bias gradients, column sums over T·B rows, are a cuBLAS GEMM with a vector of
// ones (GpuRecurrentLayer), which spreads the rows over the whole GPU. ABI: docs/kernels.md.
#include "recur_block_reduce.cuh"
#include "recur_elementwise.cuh"

// *sum_of_squares += sum of x[i]^2 in double (one atomicAdd per block). The caller zeroes the
// accumulator once, then launches this for every gradient tensor: clip_grad_norm_'s total
// norm over all parameters. Block sums are added in whatever order the blocks finish, so the
// last bits of the double may differ from run to run (not those of the float scale made from it).
extern "C" __global__ void recur_sum_of_squares(int n, const float* x, double* sum_of_squares) {
    double s = 0.0;
    RECUR_FOR_EACH_INDEX(i, n) {
        const double v = x[i];
        s += v * v;
    }
    s = recur::block_sum(s);
    if (threadIdx.x == 0) atomicAdd(sum_of_squares, s);
}
