"""PyTorch's side of the adding-problem comparison (docs/results.md): the recipe of `recur demo`
and `recur train --task adding` (LSTM or GRU or RNN of 128 units, batch 64, Adam 1e-3, gradient
clipping at 1.0, T = 100, markers one in each half, values uniform in [0, 1)), validation MSE on
1000 fixed sequences every 250 steps; stops at the first validation MSE below --target or after
--max-steps, and prints the step, the wall time (validation excluded) and the MSE.

    .venv-peer/bin/python bench/scripts/torch_adding.py --cell lstm --threads 2
"""
import argparse
import time

import torch


def batch(generator, steps, size):
    values = torch.rand(steps, size, generator=generator)
    first = torch.randint(0, steps // 2, (size,), generator=generator)
    second = torch.randint(steps // 2, steps, (size,), generator=generator)
    markers = torch.zeros(steps, size)
    markers[first, torch.arange(size)] = 1
    markers[second, torch.arange(size)] = 1
    x = torch.stack([values, markers], dim=2)                      # [T, B, 2]
    y = (values * markers).sum(dim=0, keepdim=False).unsqueeze(1)  # [B, 1]
    return x, y


class Model(torch.nn.Module):
    def __init__(self, cell, hidden):
        super().__init__()
        kinds = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN}
        self.rnn = kinds[cell](2, hidden)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cell", default="lstm")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--target", type=float, default=0.01)
    p.add_argument("--max-steps", type=int, default=8000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = Model(a.cell, a.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.Generator().manual_seed(a.seed + 7)
    validation = [batch(torch.Generator().manual_seed(a.seed + 1000 + i), a.seq, 250) for i in range(4)]
    trained = 0.0
    for step in range(1, a.max_steps + 1):
        t0 = time.perf_counter()
        x, y = batch(data, a.seq, a.batch)
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        trained += time.perf_counter() - t0
        if step % 250 == 0:
            with torch.no_grad():
                mse = sum(torch.nn.functional.mse_loss(model(vx), vy).item() for vx, vy in validation) / len(validation)
            print(f"torch {a.cell}: step {step}, {trained:.1f} s training ({step / trained:.1f} steps/s), validation MSE {mse:.4f}",
                  flush=True)
            if mse < a.target:
                break


if __name__ == "__main__":
    main()
