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
    after, losses, norms, grads = [], [], [], []
    for x, lengths, y in batches:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x.to(dtype), lengths), y)
        loss.backward()
        grads.append({n: p.grad.detach().clone() for n, p in model.named_parameters()})
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), CLIP).item())
        opt.step()
        losses.append(loss.item())
        after.append({n: p.detach().clone() for n, p in model.named_parameters()})
    return after, losses, norms, grads


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

    after32, losses32, norms32, _ = train(copy.deepcopy(model), batches, torch.float32)
    after64, losses64, norms64, grads64 = train(copy.deepcopy(model), batches, torch.float64)

    tensors = {}
    for n, v in init.items():
        tensors["param." + n] = v.contiguous()
    for k, (x, lengths, y) in enumerate(batches):
        tensors[f"in.{k}.x"] = x.contiguous()
        tensors[f"in.{k}.lengths"] = lengths
        tensors[f"in.{k}.targets"] = y
        tensors[f"out.{k}.loss"] = torch.tensor([losses64[k]], dtype=torch.float64)
        tensors[f"out.{k}.norm"] = torch.tensor([norms64[k]], dtype=torch.float64)
        if k == 0:
            for n in init:
                tensors[f"grad.0.{n}"] = grads64[0][n].contiguous()  # before clipping, float64
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
    make_tagger(args.out)


class Tagger(nn.Module):
    """Embedding -> bidirectional GRU -> time-distributed Linear (a SequenceTagger)."""

    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = nn.GRU(emb, hidden, num_layers=2, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embedding(tokens), lengths, enforce_sorted=False)
        y, _ = pad_packed_sequence(self.rnn(packed)[0], total_length=tokens.shape[0])
        return self.head(y)                                                # [T, B, C]


def make_tagger(out):
    """Step-level loss over valid steps only, and every parameter's gradient, in float64."""
    torch.manual_seed(7)
    vocab, emb, hidden, classes, steps, batch = 11, 4, 5, 3, 7, 3
    lengths = torch.tensor([7, 2, 5])
    model = Tagger(vocab, emb, hidden, classes)
    init = {n: p.detach().clone() for n, p in model.named_parameters()}
    tokens = torch.randint(0, vocab, (steps, batch))
    targets = torch.randint(0, classes, (steps, batch))
    mask = (torch.arange(steps)[:, None] < lengths[None, :]).double()
    model = model.double()
    logits = model(tokens, lengths)
    ce = nn.functional.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1), reduction="none")
    loss = (ce * mask.reshape(-1)).sum() / mask.sum()
    loss.backward()
    tensors = {"param." + n: v.contiguous() for n, v in init.items()}
    tensors["in.tokens"] = tokens.contiguous()
    tensors["in.lengths"] = lengths
    tensors["in.targets"] = targets.contiguous()
    tensors["out.loss"] = torch.tensor([loss.item()], dtype=torch.float64)
    tensors["out.logits"] = logits.detach().contiguous()
    for n, p in model.named_parameters():
        tensors["grad." + n] = p.grad.detach().contiguous()
    meta = {"format": FORMAT, "torch_version": torch.__version__, "parameters": ",".join(init), "mode": "gru",
            "vocabulary": str(vocab), "embedding_dim": str(emb), "hidden_size": str(hidden), "num_layers": "2",
            "bidirectional": "true", "classes": str(classes),
            "description": "Embedding -> 2-layer bidirectional GRU -> time-distributed Linear, loss over valid steps"}
    path = os.path.join(out, "gru_tagger_grads.safetensors")
    save_file(tensors, path, metadata=meta)
    canonicalize_header(path)
    print(f"{path}: loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
