// Elementwise ops of the autodiff graph, one work item per element: the bodies of the kernels
// in elementwise.cu, mirroring the CPU
// engine's Kernels (engine/.../backend/cpu/NaiveKernels.java) operation for operation.
// Methods named ..._backward ACCUMULATE into dx (dx += ...), as the engine's do.
#pragma once

#include "recur_common.cuh"

namespace recur {

// Over n contiguous floats, item i: the engine's add, sub, mul, axpy, mulAccumulate, scale.
RECUR_HD void add_at(int i, const float* a, const float* b, float* out) { out[i] = a[i] + b[i]; }

RECUR_HD void sub_at(int i, const float* a, const float* b, float* out) { out[i] = a[i] - b[i]; }

RECUR_HD void mul_at(int i, const float* a, const float* b, float* out) { out[i] = a[i] * b[i]; }

// y += alpha * x (gradient accumulation, folding b_hh into b_ih).
RECUR_HD void axpy_at(int i, float alpha, const float* x, float* y) { y[i] = y[i] + alpha * x[i]; }

// dx += dy * a (the backward of a product, and masking).
RECUR_HD void mul_accumulate_at(int i, const float* dy, const float* a, float* dx) { dx[i] = dx[i] + dy[i] * a[i]; }

RECUR_HD void scale_at(int i, float alpha, float* x) { x[i] = alpha * x[i]; }

// x [rows, ldx], bias [cols]: x[r, c] += bias[c]; item index over [0, rows*cols).
RECUR_HD void add_row_vector_at(int index, int cols, float* x, int ldx, const float* bias) {
    const int r = index / cols, c = index % cols;
    const long long at = (long long)r * ldx + c;
    x[at] = x[at] + bias[c];
}

RECUR_HD void sigmoid_forward_at(int i, const float* x, float* y) { y[i] = sigmoid(x[i]); }

RECUR_HD void tanh_forward_at(int i, const float* x, float* y) { y[i] = tanhf(x[i]); }

RECUR_HD void relu_forward_at(int i, const float* x, float* y) { y[i] = relu(x[i]); }

// The backward passes read the forward's output y, as the engine's graph saves it.
RECUR_HD void sigmoid_backward_at(int i, const float* dy, const float* y, float* dx) {
    const float s = y[i];
    dx[i] = dx[i] + dy[i] * s * (1.0f - s);
}

RECUR_HD void tanh_backward_at(int i, const float* dy, const float* y, float* dx) {
    const float v = y[i];
    dx[i] = dx[i] + dy[i] * (1.0f - v * v);
}

RECUR_HD void relu_backward_at(int i, const float* dy, const float* y, float* dx) {
    if (y[i] > 0.0f) dx[i] = dx[i] + dy[i];
}

}  // namespace recur
