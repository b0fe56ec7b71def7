package dev.recur.engine.train;

/**
 * The float32 elementwise ops that torch.optim's single-tensor updates call, rounded as ATen's CPU
 * kernels round them, so that an update reproduces torch's to the bit where the kernels allow:
 * ATen computes {@code a + alpha * b} as one fused multiply-add, while a division (as in
 * {@code addcdiv}) keeps its operands from fusing. Python-float coefficients reach these kernels
 * already rounded to float32. Checked against torch 2.13 (OptimizerGoldenTest).
 */
final class TorchOps {
    private TorchOps() {
    }

    /** {@code self.add(other, alpha=alpha)}. */
    static float add(float self, float other, float alpha) {
        return Math.fma(other, alpha, self);
    }

    /** {@code self.addcmul(tensor1, tensor2, value=value)}: self + value * tensor1 * tensor2. */
    static float addcmul(float self, float tensor1, float tensor2, float value) {
        return Math.fma(value * tensor1, tensor2, self);
    }

    /** {@code self.addcdiv(tensor1, tensor2, value=value)}: self + value * tensor1 / tensor2. */
    static float addcdiv(float self, float tensor1, float tensor2, float value) {
        return self + value * tensor1 / tensor2;
    }

    /**
     * {@code start.lerp(end, weight)}: start + weight * (end - start), computed from the nearer end
     * (so that weight 1 gives exactly end), as ATen does.
     */
    static float lerp(float start, float end, float weight) {
        float difference = end - start;
        return Math.abs(weight) < 0.5f ? Math.fma(weight, difference, start) : Math.fma(weight - 1f, difference, end);
    }
}
