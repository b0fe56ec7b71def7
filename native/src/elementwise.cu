// Elementwise ops of the autodiff graph: one thread per element (bias add: per element of the
// [rows, cols] block). Math: recur_elementwise.cuh; ABI: docs/kernels.md. Every pointer is a
// dense float32 array of n elements unless said otherwise; ..._backward kernels accumulate.
#include "recur_elementwise.cuh"

extern "C" __global__ void recur_add(int n, const float* a, const float* b, float* out) {
    RECUR_FOR_EACH_INDEX(i, n) recur::add_at((int)i, a, b, out);
}

extern "C" __global__ void recur_sub(int n, const float* a, const float* b, float* out) {
    RECUR_FOR_EACH_INDEX(i, n) recur::sub_at((int)i, a, b, out);
}

extern "C" __global__ void recur_mul(int n, const float* a, const float* b, float* out) {
    RECUR_FOR_EACH_INDEX(i, n) recur::mul_at((int)i, a, b, out);
}

extern "C" __global__ void recur_axpy(int n, float alpha, const float* x, float* y) {
    RECUR_FOR_EACH_INDEX(i, n) recur::axpy_at((int)i, alpha, x, y);
}

extern "C" __global__ void recur_mul_accumulate(int n, const float* dy, const float* a, float* dx) {
    RECUR_FOR_EACH_INDEX(i, n) recur::mul_accumulate_at((int)i, dy, a, dx);
}

extern "C" __global__ void recur_scale(int n, float alpha, float* x) {
    RECUR_FOR_EACH_INDEX(i, n) recur::scale_at((int)i, alpha, x);
}

// x [rows, ldx] (ldx >= cols), bias [cols]: x[r, :] += bias.
extern "C" __global__ void recur_add_row_vector(int rows, int cols, float* x, int ldx, const float* bias) {
    RECUR_FOR_EACH_INDEX(i, rows * cols) recur::add_row_vector_at((int)i, cols, x, ldx, bias);
}

extern "C" __global__ void recur_sigmoid_forward(int n, const float* x, float* y) {
    RECUR_FOR_EACH_INDEX(i, n) recur::sigmoid_forward_at((int)i, x, y);
}

extern "C" __global__ void recur_tanh_forward(int n, const float* x, float* y) {
    RECUR_FOR_EACH_INDEX(i, n) recur::tanh_forward_at((int)i, x, y);
}

extern "C" __global__ void recur_relu_forward(int n, const float* x, float* y) {
    RECUR_FOR_EACH_INDEX(i, n) recur::relu_forward_at((int)i, x, y);
}

// y: the forward's output; dx += dy * y * (1 - y).
extern "C" __global__ void recur_sigmoid_backward(int n, const float* dy, const float* y, float* dx) {
    RECUR_FOR_EACH_INDEX(i, n) recur::sigmoid_backward_at((int)i, dy, y, dx);
}

// y: the forward's output; dx += dy * (1 - y^2).
extern "C" __global__ void recur_tanh_backward(int n, const float* dy, const float* y, float* dx) {
    RECUR_FOR_EACH_INDEX(i, n) recur::tanh_backward_at((int)i, dy, y, dx);
}

// y: the forward's output; dx += dy where y > 0.
extern "C" __global__ void recur_relu_backward(int n, const float* dy, const float* y, float* dx) {
    RECUR_FOR_EACH_INDEX(i, n) recur::relu_backward_at((int)i, dy, y, dx);
}
