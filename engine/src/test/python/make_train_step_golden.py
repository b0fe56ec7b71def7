#!/usr/bin/env python3
"""Generate the whole-training-step golden fixture for Recur's nn models (SequenceClassifier).

A 2-layer LSTM classifier (input 5, hidden 7, 3 classes) on a batch of 4 sequences of unequal
lengths (T = 6): pack_padded_sequence (enforce_sorted=False) -> nn.LSTM -> the output at each
sample's last valid step -> nn.Linear -> cross_entropy (mean) -> backward -> clip_grad_norm_(1.0)
-> Adam(lr=1e-2), for 3 steps, each on its own batch. Padded input steps hold NaN: PyTorch's
packed path never reads them, and neither may Recur.

Writes engine/src/test/resources/golden/train/lstm_classifier_adam.safetensors (key scheme in
that directory's README.md).

Usage (from the repository root; needs torch, safetensors, numpy):
    .venv-peer/bin/python engine/src/test/python/make_train_step_golden.py [--out DIR]

Deterministic: fixed seeds and sorted metadata keys (byte-identical files on re-runs with the same
torch version). The same steps are also run in float64 from the same float32 start; both results
are stored, and the script checks that they agree.
"""
import argparse
import copy
import os
import sys

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_rnn_golden import canonicalize_header  # noqa: E402

FORMAT = "recur-train-golden-v1"
INPUT, HIDDEN, LAYERS, CLASSES = 5, 7, 2, 3
STEPS, BATCH, T = 3, 4, 6
LENGTHS = [[6, 2, 4, 1], [3, 6, 1, 5], [1, 1, 6, 2]]
LR, CLIP = 1e-2, 1.0


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(INPUT, HIDDEN, num_layers=LAYERS)
        self.head = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, _ = self.rnn(packed)
        y, _ = pad_packed_sequence(out, total_length=x.shape[0])           # [T, B, H], zeros at padding
        last = y[lengths - 1, torch.arange(x.shape[1])]                    # [B, H]: last valid step
        return self.head(last)


def train(model, batches, dtype):
    model = model.to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    after, losses, norms = [], [], []
    for x, lengths, y in batches:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x.to(dtype), lengths), y)
        loss.backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), CLIP).item())
        opt.step()
        losses.append(loss.item())
        after.append({n: p.detach().clone() for n, p in model.named_parameters()})
    return after, losses, norms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="engine/src/test/resources/golden/train")
    args = ap.parse_args()
    torch.manual_seed(20261124)
    model = Classifier()
    with torch.no_grad():
        model.head.weight.mul_(12.0)  # larger gradients, so that clipping at 1.0 is active at every step
    init = {n: p.detach().clone() for n, p in model.named_parameters()}
    batches = []
    for k in range(STEPS):
        lengths = torch.tensor(LENGTHS[k], dtype=torch.int64)
        x = torch.randn(T, BATCH, INPUT)
        for b in range(BATCH):
            x[lengths[b]:, b, :] = float("nan")                            # padding holds garbage
        y = torch.randint(0, CLASSES, (BATCH,))
        batches.append((x, lengths, y))

    after32, losses32, norms32 = train(copy.deepcopy(model), batches, torch.float32)
    after64, losses64, norms64 = train(copy.deepcopy(model), batches, torch.float64)

    tensors = {}
    for n, v in init.items():
        tensors["param." + n] = v.contiguous()
    for k, (x, lengths, y) in enumerate(batches):
        tensors[f"in.{k}.x"] = x.contiguous()
        tensors[f"in.{k}.lengths"] = lengths
        tensors[f"in.{k}.targets"] = y
        tensors[f"out.{k}.loss"] = torch.tensor([losses64[k]], dtype=torch.float64)
        tensors[f"out.{k}.norm"] = torch.tensor([norms64[k]], dtype=torch.float64)
        for n in init:
            tensors[f"expected.{k}.{n}"] = after32[k][n].contiguous()
            tensors[f"expected64.{k}.{n}"] = after64[k][n].contiguous()

    worst = 0.0
    for k in range(STEPS):
        for n in init:
            a, b = after32[k][n].double(), after64[k][n]
            worst = max(worst, ((a - b).norm() / b.norm()).item())
    assert worst < 1e-5, f"float32 and float64 torch runs differ: {worst}"
    assert min(norms64) > 1.2 * CLIP, f"clipping must be active at every step: {norms64}"

    meta = {
        "format": FORMAT, "torch_version": torch.__version__, "parameters": ",".join(init),
        "mode": "lstm", "input_size": str(INPUT), "hidden_size": str(HIDDEN), "num_layers": str(LAYERS),
        "classes": str(CLASSES), "steps": str(STEPS), "lr": repr(LR), "max_norm": repr(CLIP),
        "description": "2-layer LSTM classifier, last valid step -> Linear, cross-entropy, clip 1.0, Adam 1e-2",
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "lstm_classifier_adam.safetensors")
    save_file(tensors, path, metadata=meta)
    canonicalize_header(path)
    print(f"{path}: losses {losses32}, norms {norms32}, float32 vs float64 worst rel L2 {worst:.2e}")


if __name__ == "__main__":
    main()
