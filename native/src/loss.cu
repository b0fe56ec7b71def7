// Training losses: softmax cross-entropy with an optional row mask, and mean squared error.
// Math: recur_loss.cuh; ABI and launch sequences: docs/kernels.md.
#include "recur_block_reduce.cuh"
#include "recur_elementwise.cuh"
#include "recur_loss.cuh"

// logits [N, C]; targets [N] int32; mask [N] or nullptr; row_loss [N] double; probs [N, C] or
// nullptr. One thread per row.
extern "C" __global__ void recur_softmax_cross_entropy_forward(int rows, int classes, const float* logits,
                                                               const int* targets, const float* mask,
                                                               double* row_loss, float* probs) {
    RECUR_FOR_EACH_INDEX(r, rows) {
        recur::softmax_cross_entropy_forward_at((int)r, classes, logits, targets, mask, row_loss, probs);
    }
}

// ONE block (launch <<<1, 256>>>): *loss = (float)(sum(row_loss) / valid), 0 when valid == 0,
// and *valid_rows = valid, the rows with mask > 0 (all rows without a mask).
extern "C" __global__ void recur_masked_mean_loss(int rows, const double* row_loss, const float* mask,
                                                  float* loss, int* valid_rows) {
    if (blockIdx.x != 0) return;
    double total = 0.0, valid = 0.0;
    for (int r = threadIdx.x; r < rows; r += blockDim.x) {
        total += row_loss[r];
        valid += recur::row_weight(mask, r) > 0.0f ? 1.0 : 0.0;
    }
    total = recur::block_sum(total);
    valid = recur::block_sum(valid);
    if (threadIdx.x == 0) {
        *valid_rows = (int)valid;
        *loss = valid == 0.0 ? 0.0f : (float)(total / valid);
    }
}

// dlogits [N, C] += (probs - onehot(targets)) * weight * *dloss / *valid_rows. One thread per element.
extern "C" __global__ void recur_softmax_cross_entropy_backward(int rows, int classes, const float* probs,
                                                                const int* targets, const float* mask,
                                                                const float* dloss, const int* valid_rows,
                                                                float* dlogits) {
    RECUR_FOR_EACH_INDEX(i, rows * classes) {
        recur::softmax_cross_entropy_backward_at((int)i, classes, probs, targets, mask, dloss, valid_rows, dlogits);
    }
}

// diff [n] = prediction - target (kept for backward); *sum_of_squares += sum diff^2 in double
// (the caller zeroes it first).
extern "C" __global__ void recur_mse_forward(int n, const float* prediction, const float* target, float* diff,
                                             double* sum_of_squares) {
    double s = 0.0;
    RECUR_FOR_EACH_INDEX(i, n) {
        recur::sub_at((int)i, prediction, target, diff);
        const double v = diff[i];
        s += v * v;
    }
    s = recur::block_sum(s);
    if (threadIdx.x == 0) atomicAdd(sum_of_squares, s);
}

// One thread (launch <<<1, 1>>>): *loss = (float)(*sum_of_squares / n).
extern "C" __global__ void recur_mse_loss(int n, const double* sum_of_squares, float* loss) {
    if (blockIdx.x == 0 && threadIdx.x == 0) *loss = (float)(*sum_of_squares / n);
}

// dprediction, dtarget [n] or nullptr, accumulated; dloss: the loss's gradient (1 element).
extern "C" __global__ void recur_mse_backward(int n, const float* diff, const float* dloss, float* dprediction,
                                              float* dtarget) {
    RECUR_FOR_EACH_INDEX(i, n) recur::mse_backward_at((int)i, n, diff, dloss, dprediction, dtarget);
}
