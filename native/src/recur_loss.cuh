// Training losses (the engine's autodiff/Losses.java), item bodies for loss.cu.
//
// Softmax cross-entropy over logits [N, C] with int32 targets [N] (every target in [0, C), masked
// rows' too) and an optional mask [N]: row r counts with weight mask[r] when mask[r] > 0, not at
// all otherwise; loss = sum(weight * nll) / (rows that count), 0 when none counts. One thread per
// ROW for the forward: a row's max, sum of exponentials and log-sum-exp in double, sequentially,
// exactly as the engine computes them (class counts of the tasks are 10..a few hundred; a
// block-per-row version would pay off only for large vocabularies).
#pragma once

#include "recur_common.cuh"

namespace recur {

RECUR_HD float row_weight(const float* mask, int r) {
    if (mask == nullptr) return 1.0f;
    return mask[r] > 0.0f ? mask[r] : 0.0f;
}

// row_loss[r] = weight * (logsumexp(logits[r, :]) - logits[r, target]) in double (0 for rows
// that do not count); probs [N, C] (nullptr in inference) receives softmax(logits[r, :]) for
// rows that count; other rows of probs are left as they are (the backward never reads them).
RECUR_HD void softmax_cross_entropy_forward_at(int r, int classes, const float* logits, const int* targets,
                                               const float* mask, double* row_loss, float* probs) {
    const float weight = row_weight(mask, r);
    if (weight == 0.0f) {
        row_loss[r] = 0.0;
        return;
    }
    const float* x = logits + (long long)r * classes;
    double max = -INFINITY;
    for (int c = 0; c < classes; c++) max = fmax(max, (double)x[c]);
    double s = 0.0;
    for (int c = 0; c < classes; c++) s += exp(x[c] - max);
    const double lse = max + log(s);
    row_loss[r] = weight * (lse - x[targets[r]]);
    if (probs != nullptr) {
        float* p = probs + (long long)r * classes;
        for (int c = 0; c < classes; c++) p[c] = (float)(exp(x[c] - max) / s);
    }
}

// dlogits[r, c] += a * probs[r, c], and -= a at the target, with a = dloss * weight / valid:
// (softmax - onehot) * weight / valid. Item index over [0, N*C). dloss: the loss's gradient
// (1 element, device memory); valid_rows: the count recur_masked_mean_loss wrote.
RECUR_HD void softmax_cross_entropy_backward_at(int index, int classes, const float* probs, const int* targets,
                                                const float* mask, const float* dloss, const int* valid_rows,
                                                float* dlogits) {
    const int r = index / classes, c = index % classes;
    const float weight = row_weight(mask, r);
    const int valid = *valid_rows;
    if (weight == 0.0f || valid == 0) return;
    const float a = *dloss * weight / valid;
    float v = dlogits[index] + a * probs[index];
    if (c == targets[r]) v = v - a;
    dlogits[index] = v;
}

// Mean squared error, mean((prediction - target)^2): the forward writes diff = prediction - target
// (kept for backward) and its sum of squares (reduce.cu); the backward with a = 2 * dloss / n:
// dprediction += a * diff, dtarget += -a * diff (either may be nullptr).
RECUR_HD void mse_backward_at(int i, int n, const float* diff, const float* dloss, float* dprediction,
                              float* dtarget) {
    const float a = 2.0f * *dloss / n;
    if (dprediction != nullptr) dprediction[i] = dprediction[i] + a * diff[i];
    if (dtarget != nullptr) dtarget[i] = dtarget[i] + -a * diff[i];
}

}  // namespace recur
