#!/usr/bin/env python3
"""Generate the truncated-BPTT golden fixture for Recur's TruncatedBptt (dev.recur.engine.train).

A character-level language model (nn.Embedding(8, 4) -> 2-layer nn.LSTM(4, 6) -> nn.Linear(6, 8))
trained on one token stream with TBPTT(k1 = 7, k2 = 3), written in PyTorch's usual idiom,
independently of Recur:

- the stream is cut as in PyTorch's word_language_model: batchify (B = 3 contiguous rows, the
  remainder dropped) and get_batch (chunks of min(k1, R - 1 - i) steps: 7, 7, 4);
- the state is carried from chunk to chunk and detached at the boundary (repackage_hidden);
- in a chunk of T steps, the first f = max(0, T - k2) run under torch.no_grad(), their final state
  is detached, the last T - f run with autograd; loss = cross_entropy (mean) over those steps only;
  backward; the gradients are recorded; SGD(lr = 0.5) steps.

Everything runs in float64 from float32 initial parameters. Writes
engine/src/test/resources/golden/train/tbptt_lstm_lm.safetensors (keys in that directory's
README.md).

Usage (from the repository root; needs torch, safetensors):
    .venv-peer/bin/python engine/src/test/python/make_tbptt_golden.py [--out DIR]
"""
import argparse
import os
import sys

import torch
from torch import nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_rnn_golden import canonicalize_header  # noqa: E402

FORMAT = "recur-tbptt-golden-v1"
VOCAB, EMBED, HIDDEN, LAYERS = 8, 4, 6, 2
BATCH, K1, K2, LR = 3, 7, 3, 0.5
ROW = 1 + 7 + 7 + 4                 # ids per stream: chunks of 7, 7 and 4 steps
N = BATCH * ROW + 2                 # 2 ids dropped by batchify


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.rnn = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens, hidden):                       # tokens [T, B] -> logits [T, B, V]
        y, hidden = self.rnn(self.embedding(tokens), hidden)
        return self.head(y), hidden


def batchify(ids, batch):                                   # word_language_model's: [R, B]
    rows = ids.shape[0] // batch
    return ids[:rows * batch].view(batch, rows).t().contiguous()


def repackage_hidden(h):
    return tuple(v.detach() for v in h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="engine/src/test/resources/golden/train")
    args = ap.parse_args()
    torch.manual_seed(20261124)
    model = CharLM()
    init = {n: p.detach().clone() for n, p in model.named_parameters()}
    ids = torch.randint(0, VOCAB, (N,))
    data = batchify(ids, BATCH)

    model = model.double()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    hidden = (torch.zeros(LAYERS, BATCH, HIDDEN, dtype=torch.float64),
              torch.zeros(LAYERS, BATCH, HIDDEN, dtype=torch.float64))
    tensors = {"param." + n: v.contiguous() for n, v in init.items()}
    tensors["in.ids"] = ids
    chunks = 0
    for k, i in enumerate(range(0, data.shape[0] - 1, K1)):
        steps = min(K1, data.shape[0] - 1 - i)
        x, y = data[i:i + steps], data[i + 1:i + 1 + steps]
        f = max(0, steps - K2)
        opt.zero_grad()
        ce_sum = 0.0
        if f > 0:
            with torch.no_grad():
                logits, hidden = model(x[:f], hidden)
                ce_sum += nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y[:f].reshape(-1), reduction="sum").item()
        hidden = repackage_hidden(hidden)
        logits, hidden = model(x[f:], hidden)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y[f:].reshape(-1))
        loss.backward()
        ce_sum += loss.item() * (steps - f) * BATCH
        tensors[f"out.{k}.loss"] = torch.tensor([loss.item()], dtype=torch.float64)
        tensors[f"out.{k}.ce_sum"] = torch.tensor([ce_sum], dtype=torch.float64)
        tensors[f"out.{k}.steps"] = torch.tensor([steps, steps - f], dtype=torch.int64)
        tensors[f"out.{k}.h"] = hidden[0].detach().contiguous()
        tensors[f"out.{k}.c"] = hidden[1].detach().contiguous()
        for n, p in model.named_parameters():
            tensors[f"grad.{k}.{n}"] = p.grad.detach().contiguous()
        opt.step()
        hidden = repackage_hidden(hidden)
        chunks += 1
        print(f"chunk {k}: {steps} steps, {steps - f} differentiated, loss {loss.item():.6f}")

    meta = {"format": FORMAT, "torch_version": torch.__version__, "parameters": ",".join(init), "mode": "lstm",
            "vocabulary": str(VOCAB), "embedding_dim": str(EMBED), "hidden_size": str(HIDDEN),
            "num_layers": str(LAYERS), "batch": str(BATCH), "k1": str(K1), "k2": str(K2), "lr": repr(LR),
            "chunks": str(chunks),
            "description": "char LM, TBPTT(k1=7, k2=3) with detach, SGD; float64 from float32 parameters"}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "tbptt_lstm_lm.safetensors")
    save_file(tensors, path, metadata=meta)
    canonicalize_header(path)
    print(path)


if __name__ == "__main__":
    main()
