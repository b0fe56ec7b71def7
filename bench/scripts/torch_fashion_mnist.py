"""PyTorch's side of the Fashion-MNIST comparison (docs/results.md): images read row by row
(28 steps of 28 features), a 1-layer LSTM of 128 units and a linear head on the last step, Adam
lr 2e-3, batch 128, gradient clipping at 1.0; test accuracy after every epoch with the cumulative
training wall time (evaluation excluded). `--lr 4e-3 --cosine` runs Recur's default recipe instead
(cosine annealing over the whole run, stepped per batch, down to lr/100).

    .venv-peer/bin/python bench/scripts/torch_fashion_mnist.py --epochs 12 --threads 2
    .venv-peer/bin/python bench/scripts/torch_fashion_mnist.py --epochs 7 --lr 4e-3 --cosine
"""
import argparse
import gzip
import time

import numpy as np
import torch

DIR = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Model(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.rnn = torch.nn.LSTM(28, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--cosine", action="store_true", help="cosine annealing to lr/100 over all steps")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = torch.tensor(idx(f"{DIR}/train-images-idx3-ubyte.gz"), dtype=torch.float32) / 255
    y = torch.tensor(idx(f"{DIR}/train-labels-idx1-ubyte.gz"), dtype=torch.int64)
    tx = torch.tensor(idx(f"{DIR}/t10k-images-idx3-ubyte.gz"), dtype=torch.float32) / 255
    ty = torch.tensor(idx(f"{DIR}/t10k-labels-idx1-ubyte.gz"), dtype=torch.int64)
    model = Model(a.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps_per_epoch = (len(x) + 127) // 128
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, a.epochs * steps_per_epoch, a.lr / 100) \
        if a.cosine else None
    trained = 0.0
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idxs = order[i:i + 128]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idxs]), y[idxs])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if schedule is not None:
                schedule.step()
        trained += time.perf_counter() - t0
        with torch.no_grad():
            correct = sum((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item() for i in range(0, len(tx), 1000))
        print(f"torch fashion-mnist: epoch {epoch}, {trained:.1f} s training, test accuracy {correct / len(tx):.4f}", flush=True)


if __name__ == "__main__":
    main()
