"""PyTorch CPU matmul (MKL) throughput for one fp32 shape, the peer figure for VectorSgemm.

Usage: torch_sgemm.py [--threads 2] [--size 1024] [--repeats 7]
Prints one line per repeat and a summary line "torch ... best ... median ... GFLOP/s".
Exits 0 with a message when torch cannot be imported, so that the caller can skip it.
"""
import argparse
import statistics
import sys
import time

try:
    import torch
except ImportError as error:  # the benchmark run goes on without the peer figure
    print(f"torch: SKIPPED, cannot import torch ({error})")
    sys.exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="duration of one repeat")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    n = args.size
    generator = torch.Generator().manual_seed(42)
    a = torch.rand(n, n, generator=generator, dtype=torch.float32) * 2 - 1
    b = torch.rand(n, n, generator=generator, dtype=torch.float32) * 2 - 1
    c = torch.empty(n, n, dtype=torch.float32)
    flop = 2.0 * n * n * n

    for _ in range(10):  # warm-up: MKL thread pool and page faults
        torch.matmul(a, b, out=c)
    rates = []
    for r in range(args.repeats):
        calls = 0
        start = time.perf_counter()
        while True:
            torch.matmul(a, b, out=c)
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.seconds:
                break
        rates.append(flop * calls / elapsed / 1e9)
        print(f"torch repeat {r}: {rates[-1]:.1f} GFLOP/s ({calls} calls in {elapsed:.2f} s)")
    print(f"torch {torch.__version__} mkl={torch.backends.mkl.is_available()} threads={torch.get_num_threads()} "
          f"{n}x{n}x{n} fp32 NN: best {max(rates):.1f} median {statistics.median(rates):.1f} GFLOP/s")


if __name__ == "__main__":
    main()
