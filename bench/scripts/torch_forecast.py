"""PyTorch's side of the forecasting comparison (docs/results.md), with `recur train --task
forecast`'s recipe: column COLUMN of a CSV (missing cells interpolated linearly), split 70/15/15
in time; windows of 28 values predict the next 7; levels scaled by the training part's mean and
std, or (--differences) the steps between values scaled by their root mean square, with targets
the change from the window's last value; a 1-layer LSTM of 64 units and a linear head on the last
step; MSE, Adam 1e-3, batch 32, clipping at 1.0, 30 epochs; the epoch with the best validation
MAE is kept, and its test MAE printed beside the naive "repeat the last value" forecast's.

    .venv-peer/bin/python bench/scripts/torch_forecast.py bench/data/co2-mauna-loa-weekly.csv co2 --differences
"""
import argparse
import copy
import csv
import math

import numpy as np
import torch


def read_column(path, column):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    values = []
    for row in rows:
        cell = row[column].strip()
        values.append(float("nan") if cell.lower() in ("", "na", "nan", "null") else float(cell))
    v = np.array(values)
    missing = np.isnan(v)
    if missing.any():  # straight lines between present neighbours; the nearest value at either end
        idx = np.arange(len(v))
        v[missing] = np.interp(idx[missing], idx[~missing], v[~missing])
    return v


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("column")
    p.add_argument("--differences", action="store_true")
    p.add_argument("--window", type=int, default=28)
    p.add_argument("--horizon", type=int, default=7)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    v = read_column(a.csv, a.column)
    n, w, k = len(v), a.window, a.horizon
    train_end, val_end = math.floor(0.7 * n), math.floor(0.85 * n)
    if a.differences:
        steps = np.diff(v[:train_end])
        mean, std = 0.0, math.sqrt(np.mean(steps ** 2))
        earliest = w + 1
    else:
        mean, std = v[:train_end].mean(), v[:train_end].std()
        earliest = w

    def windows(first, end):
        xs, ys, last = [], [], []
        for t0 in range(first, end - k + 1):  # t0: first target index
            idx = np.arange(t0 - w, t0)
            if a.differences:
                xs.append((v[idx] - v[idx - 1]) / std)
                ys.append((v[t0:t0 + k] - v[t0 - 1]) / std)
            else:
                xs.append((v[idx] - mean) / std)
                ys.append((v[t0:t0 + k] - mean) / std)
            last.append(v[t0 - 1])
        to = lambda z: torch.tensor(np.array(z), dtype=torch.float32)
        return to(xs).unsqueeze(-1), to(ys), np.array(last), np.array([v[t0:t0 + k] for t0 in range(first, end - k + 1)])

    train = windows(earliest, train_end)
    val = windows(max(earliest, train_end), val_end)
    test = windows(max(earliest, val_end), n)

    rnn = torch.nn.LSTM(1, 64, batch_first=True)
    head = torch.nn.Linear(64, k)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)

    def predict(x):
        out, _ = rnn(x)
        return head(out[:, -1])

    def mae(part):
        with torch.no_grad():
            pred = predict(part[0]).numpy().astype(np.float64)
        values = part[2][:, None] + pred * std if a.differences else pred * std + mean
        return float(np.abs(values - part[3]).mean())

    best, best_state, best_epoch = float("inf"), None, 0
    for epoch in range(1, a.epochs + 1):
        order = torch.randperm(len(train[0]))
        for i in range(0, len(order), 32):
            b = order[i:i + 32]
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(predict(train[0][b]), train[1][b])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        m = mae(val)
        if m < best:
            best, best_epoch = m, epoch
            best_state = (copy.deepcopy(rnn.state_dict()), copy.deepcopy(head.state_dict()))
    rnn.load_state_dict(best_state[0])
    head.load_state_dict(best_state[1])
    naive = float(np.abs(test[2][:, None] - test[3]).mean())
    print(f"{a.csv} {a.column} {'differences' if a.differences else 'levels'}: best val_mae {best:.4f} "
          f"(epoch {best_epoch}), test_mae {mae(test):.4f}, naive test_mae {naive:.4f}")


if __name__ == "__main__":
    main()
