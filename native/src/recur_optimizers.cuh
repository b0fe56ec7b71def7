// torch.optim's update rules, element by element in float32, item bodies for optimizers.cu.
// Copied operation for operation from the engine (engine/.../train/SGD.java, RMSprop.java,
// AdamAlgorithm.java) and its TorchOps, which round as ATen's CPU kernels do:
//   self.add(other, alpha)              fmaf(other, alpha, self)
//   self.addcmul(t1, t2, value)         fmaf(value * t1, t2, self)
//   self.addcdiv(t1, t2, value)         self + value * t1 / t2        (no fusion: -fmad=false)
//   start.lerp(end, weight)             from the nearer end, fused
// Coefficients derived in double from the step count or the schedule (Adam's bias corrections,
// 1 - dampening, ...) are computed by the caller on the host, as the engine does, and arrive
// rounded to float32. The state tensors a rule does not use are nullptr.
#pragma once

#include "recur_common.cuh"

namespace recur {

RECUR_HD float torch_add(float self, float other, float alpha) { return fmaf(other, alpha, self); }

RECUR_HD float torch_addcmul(float self, float t1, float t2, float value) { return fmaf(value * t1, t2, self); }

RECUR_HD float torch_addcdiv(float self, float t1, float t2, float value) { return self + value * t1 / t2; }

RECUR_HD float torch_lerp(float start, float end, float weight) {
    const float difference = end - start;
    return fabsf(weight) < 0.5f ? fmaf(weight, difference, start) : fmaf(weight - 1.0f, difference, end);
}

// SGD: momentum_buffer == nullptr means momentum 0 (no state); keep = 1 - dampening;
// first_step: the buffer starts as a copy of the gradient.
RECUR_HD void sgd_update_at(int i, float* param, const float* grad, float* momentum_buffer, float lr,
                            float weight_decay, float momentum, float keep, bool nesterov, bool first_step) {
    const float p = param[i];
    float g = grad[i];
    if (weight_decay != 0.0f) g = torch_add(g, p, weight_decay);
    if (momentum_buffer != nullptr) {
        const float b = first_step ? g : torch_add(momentum_buffer[i] * momentum, g, keep);
        momentum_buffer[i] = b;
        g = nesterov ? torch_add(g, b, momentum) : b;
    }
    param[i] = torch_add(p, g, -lr);
}

// RMSprop: grad_avg != nullptr means centered; momentum_buffer != nullptr means momentum > 0.
RECUR_HD void rmsprop_update_at(int i, float* param, const float* grad, float* square_avg, float* grad_avg,
                                float* momentum_buffer, float lr, float alpha, float one_minus_alpha, float eps,
                                float weight_decay, float momentum) {
    const float p = param[i];
    float g = grad[i];
    if (weight_decay != 0.0f) g = torch_add(g, p, weight_decay);
    const float sq = torch_addcmul(square_avg[i] * alpha, g, g, one_minus_alpha);
    square_avg[i] = sq;
    float avg;
    if (grad_avg != nullptr) {
        const float ga = torch_lerp(grad_avg[i], g, one_minus_alpha);
        grad_avg[i] = ga;
        avg = sqrtf(torch_addcmul(sq, ga, ga, -1.0f));
    } else {
        avg = sqrtf(sq);
    }
    avg = avg + eps;
    if (momentum_buffer != nullptr) {
        const float b = torch_addcdiv(momentum_buffer[i] * momentum, g, avg, 1.0f);
        momentum_buffer[i] = b;
        param[i] = torch_add(p, b, -lr);
    } else {
        param[i] = torch_addcdiv(p, g, avg, -lr);
    }
}

// Adam and AdamW (decoupled): the host computes, per step, negative_step_size = -(lr / (1 -
// beta1^step)), bias_correction2_sqrt = sqrt(1 - beta2^step) and decay_factor = 1 - lr *
// weight_decay in double, then rounds each to float. max_exp_avg_sq != nullptr means AMSGrad.
RECUR_HD void adam_update_at(int i, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                             float* max_exp_avg_sq, float negative_step_size, float bias_correction2_sqrt,
                             float one_minus_beta1, float beta2, float one_minus_beta2, float eps,
                             float weight_decay, float decay_factor, bool decoupled_weight_decay) {
    float p = param[i];
    float g = grad[i];
    if (weight_decay != 0.0f) {
        if (decoupled_weight_decay) {
            p = p * decay_factor;
        } else {
            g = torch_add(g, p, weight_decay);
        }
    }
    const float m = torch_lerp(exp_avg[i], g, one_minus_beta1);
    exp_avg[i] = m;
    float v = torch_addcmul(exp_avg_sq[i] * beta2, g, g, one_minus_beta2);
    exp_avg_sq[i] = v;
    if (max_exp_avg_sq != nullptr) {
        v = java_max(max_exp_avg_sq[i], v);
        max_exp_avg_sq[i] = v;
    }
    const float denominator = sqrtf(v) / bias_correction2_sqrt + eps;
    param[i] = torch_addcdiv(p, m, denominator, negative_step_size);
}

// torch.nn.utils.clip_grad_norm_'s coefficient as the engine's GradientClipping computes it:
// total_norm = sqrt(sum of squares of every gradient), scale = (float) min(max_norm /
// (total_norm + 1e-6), 1); a NaN norm gives a NaN scale (java.lang.Math.min keeps it, as torch.clamp).
RECUR_HD float clip_coefficient(double sum_of_squares, double max_norm, double* total_norm) {
    const double total = sqrt(sum_of_squares);
    const double ratio = max_norm / (total + 1e-6);
    *total_norm = total;
    return (float)(ratio != ratio ? ratio : fmin(ratio, 1.0));
}

}  // namespace recur
