// torch.optim's update rules as the engine implements them, one thread per parameter element.
// Math: recur_optimizers.cuh; ABI: docs/kernels.md. State pointers a configuration does not use
// are nullptr; flags are int (0 or 1).
#include "recur_optimizers.cuh"

extern "C" __global__ void recur_sgd_step(int n, float* param, const float* grad, float* momentum_buffer,
                                          float lr, float weight_decay, float momentum, float keep,
                                          int nesterov, int first_step) {
    RECUR_FOR_EACH_INDEX(i, n) {
        recur::sgd_update_at((int)i, param, grad, momentum_buffer, lr, weight_decay, momentum, keep,
                             nesterov != 0, first_step != 0);
    }
}

extern "C" __global__ void recur_rmsprop_step(int n, float* param, const float* grad, float* square_avg,
                                              float* grad_avg, float* momentum_buffer, float lr, float alpha,
                                              float one_minus_alpha, float eps, float weight_decay, float momentum) {
    RECUR_FOR_EACH_INDEX(i, n) {
        recur::rmsprop_update_at((int)i, param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha,
                                 one_minus_alpha, eps, weight_decay, momentum);
    }
}

extern "C" __global__ void recur_adam_step(int n, float* param, const float* grad, float* exp_avg,
                                           float* exp_avg_sq, float* max_exp_avg_sq, float negative_step_size,
                                           float bias_correction2_sqrt, float one_minus_beta1, float beta2,
                                           float one_minus_beta2, float eps, float weight_decay,
                                           float decay_factor, int decoupled_weight_decay) {
    RECUR_FOR_EACH_INDEX(i, n) {
        recur::adam_update_at((int)i, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, negative_step_size,
                              bias_correction2_sqrt, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay,
                              decay_factor, decoupled_weight_decay != 0);
    }
}

// Gradient clipping by global norm without a round trip to the host: recur_sum_of_squares
// (reduce.cu) over every gradient into one accumulator, then this with ONE thread (launch
// <<<1, 1>>>), then recur_scale_by on every gradient.
extern "C" __global__ void recur_clip_coefficient(const double* sum_of_squares, double max_norm,
                                                  double* total_norm, float* scale) {
    if (blockIdx.x == 0 && threadIdx.x == 0) *scale = recur::clip_coefficient(*sum_of_squares, max_norm, total_norm);
}

// x [n] *= *scale (as recur_clip_coefficient wrote it); a scale of exactly 1 changes no float,
// so the kernel then returns without touching x.
extern "C" __global__ void recur_scale_by(int n, const float* scale, float* x) {
    const float alpha = *scale;
    if (alpha == 1.0f) return;
    RECUR_FOR_EACH_INDEX(i, n) x[i] = alpha * x[i];
}
