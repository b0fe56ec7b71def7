#!/usr/bin/env python3
"""The models of issue 15's speed target, exported from PyTorch, with inputs, for
`recur bench --model FILE.onnx --input IN.safetensors --peer ort`:
  classifier: Embedding(10000, 128) -> LSTM(128, 256, 2 layers, batch_first) -> Linear(256, 10) on the last step
  bigru:      GRU(64, 128, bidirectional, batch_first), its output sequence
each exported with torch.onnx.export's legacy exporter (a dynamic batch axis) and its dynamo exporter,
and inputs of batch 1 and 32 at T = 64. Written to bench/models/ (git-ignored: ~6 MB per classifier).

Usage (from the repository root, with the peer venv of docs/cli.md):
    .venv-peer/bin/python bench/scripts/make_onnx_bench_models.py [--out DIR]
"""
import argparse
import os
import warnings

import numpy as np
import torch
from safetensors.numpy import save_file


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10000, 128)
        self.lstm = torch.nn.LSTM(128, 256, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(256, 10)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.head(out[:, -1])


class BiGru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(64, 128, bidirectional=True, batch_first=True)

    def forward(self, x):
        return self.gru(x)[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="bench/models")
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    steps = 64
    for name, module, make in [
        ("classifier", Classifier(), lambda b: rng.integers(0, 10000, (b, steps)).astype(np.int64)),
        ("bigru", BiGru(), lambda b: rng.uniform(-1, 1, (b, steps, 64)).astype(np.float32)),
    ]:
        module.eval()
        example = torch.from_numpy(make(2))
        for exporter in ("legacy", "dynamo"):
            path = os.path.join(out, f"{name}_{exporter}.onnx")
            kwargs = dict(input_names=["x"], dynamo=exporter == "dynamo")
            if exporter == "legacy":
                kwargs["dynamic_axes"] = {"x": {0: "batch"}}
            else:
                kwargs["dynamic_shapes"] = ({0: torch.export.Dim("batch", min=1, max=1024)},)
            torch.onnx.export(module, (example,), path, **kwargs)
            if exporter == "dynamo":
                import onnx
                onnx.save(onnx.load(path), path, save_as_external_data=False)
                side = path + ".data"
                if os.path.exists(side):
                    os.remove(side)
            print(f"wrote {path}")
        for batch in (1, 32):
            save_file({"x": make(batch)}, os.path.join(out, f"{name}_b{batch}.safetensors"))


if __name__ == "__main__":
    main()
