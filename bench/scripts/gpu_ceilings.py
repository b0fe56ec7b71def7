"""The GPU's ceilings, measured in the same run as the benchmark (issue 17): a large device-to-device
copy in GB/s (bytes read plus bytes written, per second) and a large GEMM in TFLOP/s, fp32 with
TF32 off (what Recur's fp32 path and PyTorch's fp32 peer use) and bf16 on the tensor cores, all
through PyTorch on GPU 0, timed with CUDA events (median of repeats after a warm-up).

Usage: python gpu_ceilings.py [--json FILE]; without CUDA it says so and exits 0, writing
{"cuda": null, "reason": ...}, so that a rehearsal without a GPU runs through.
"""
import argparse
import json
import statistics
import sys

import torch


def timed_ms(fn, repeats):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        result = {"cuda": None, "reason": f"PyTorch {torch.__version__} sees no CUDA device"}
    else:
        torch.backends.cuda.matmul.allow_tf32 = False
        copy_bytes = 1 << 30
        src = torch.empty(copy_bytes // 4, dtype=torch.float32, device="cuda")
        dst = torch.empty_like(src)
        copy_ms = timed_ms(lambda: dst.copy_(src), 20)
        del src, dst
        n = 8192
        a = torch.randn(n, n, device="cuda")
        b = torch.randn(n, n, device="cuda")
        sgemm_ms = timed_ms(lambda: a @ b, 10)
        a16, b16 = a.bfloat16(), b.bfloat16()
        bf16_ms = timed_ms(lambda: a16 @ b16, 10)
        props = torch.cuda.get_device_properties(0)
        result = {
            "cuda": torch.cuda.get_device_name(0),
            "torch": torch.__version__,
            "cuda_runtime": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
            "sm_count": props.multi_processor_count,
            "memory_gib": round(props.total_memory / 2**30, 1),
            "copy_gb_per_s": round(2 * copy_bytes / (copy_ms / 1e3) / 1e9, 1),
            "copy": "1 GiB device to device, read + write bytes per second, median of 20",
            "sgemm_fp32_tflop_per_s": round(2 * n**3 / (sgemm_ms / 1e3) / 1e12, 2),
            "gemm_bf16_tflop_per_s": round(2 * n**3 / (bf16_ms / 1e3) / 1e12, 2),
            "gemm": f"{n}x{n}x{n}, fp32 with TF32 off, and bf16; median of 10",
        }
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
