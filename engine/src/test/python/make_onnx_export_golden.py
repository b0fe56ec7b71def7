#!/usr/bin/env python3
"""Generate golden fixtures of whole PyTorch models exported to ONNX, for Recur's ONNX import.

Each small model below is exported twice, with torch.onnx.export's legacy (TorchScript) exporter
and with its dynamo exporter (needs onnxscript), and written with an input and ONNX Runtime's
outputs into engine/src/test/resources/onnx/exported/:
  <model>_<exporter>.onnx, <model>_<exporter>.inputs.safetensors, <model>_<exporter>.expected.safetensors
The script also checks ONNX Runtime against PyTorch in float32 (relative L2 below 1e-5).

Usage (from the repository root, with the peer venv of docs/cli.md):
    .venv-peer/bin/python engine/src/test/python/make_onnx_export_golden.py [--out DIR]
"""
import argparse
import os
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
from safetensors.numpy import save_file


class Classifier(torch.nn.Module):
    """Embedding -> 2-layer LSTM -> Linear on the last step: the text classifier of the tutorials."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(50, 8)
        self.lstm = torch.nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(16, 5)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return torch.log_softmax(self.head(out[:, -1]), dim=-1)


class BiGru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(6, 7, bidirectional=True, batch_first=True)

    def forward(self, x):
        out, h = self.gru(x)
        return out, h


class PlainLstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(5, 6)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return out, h, c


class ReluRnn(torch.nn.Module):
    """nn.RNN with relu: the dynamo exporter unrolls it into MatMul/Add/Relu per step."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.RNN(4, 5, nonlinearity="relu")

    def forward(self, x):
        out, h = self.rnn(x)
        return out, h


class RegressorHead(torch.nn.Module):
    """GRU -> tanh(Linear) -> Linear, the output's features per step (a tagger/regressor)."""

    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(3, 8, batch_first=True)
        self.hidden = torch.nn.Linear(8, 8)
        self.out = torch.nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.out(torch.tanh(self.hidden(out))) * 0.5 + 1.0


def models(rng):
    return [
        ("classifier", Classifier(), torch.from_numpy(rng.integers(0, 50, (3, 7)).astype(np.int64))),
        ("bigru", BiGru(), torch.from_numpy(rng.uniform(-1, 1, (2, 5, 6)).astype(np.float32))),
        ("lstm", PlainLstm(), torch.from_numpy(rng.uniform(-1, 1, (4, 3, 5)).astype(np.float32))),
        ("rnn_relu", ReluRnn(), torch.from_numpy(rng.uniform(-1, 1, (5, 2, 4)).astype(np.float32))),
        ("regressor", RegressorHead(), torch.from_numpy(rng.uniform(-1, 1, (2, 6, 3)).astype(np.float32))),
    ]


def relative_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "resources", "onnx", "exported"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    torch.manual_seed(7)
    rng = np.random.default_rng(7)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    for name, module, x in models(rng):
        module.eval()
        with torch.no_grad():
            reference = module(x)
        reference = reference if isinstance(reference, tuple) else (reference,)
        for exporter in ("legacy", "dynamo"):
            stem = f"{name}_{exporter}"
            path = os.path.join(out, stem + ".onnx")
            kwargs = dict(input_names=["x"], dynamo=exporter == "dynamo")
            if exporter == "legacy":
                kwargs["dynamic_axes"] = {"x": {0: "batch"}} if name in ("classifier", "bigru", "regressor") else {"x": {1: "batch"}}
            torch.onnx.export(module, (x,), path, **kwargs)
            model = onnx.load(path)
            if exporter == "dynamo":   # the dynamo exporter may keep weights in a side file: inline them
                onnx.save(model, path, save_as_external_data=False)
                for side in os.listdir(out):
                    if side.startswith(stem + ".onnx.") or side == stem + ".onnx.data":
                        os.remove(os.path.join(out, side))
                model = onnx.load(path)
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            input_name = session.get_inputs()[0].name
            outputs = [o.name for o in session.get_outputs()]
            results = session.run(outputs, {input_name: x.numpy()})
            for got, want in zip(results, reference):
                error = relative_l2(got.astype(np.float64), want.numpy().astype(np.float64))
                assert error < 1e-5, f"{stem}: ONNX Runtime is {error:.2e} from PyTorch"
            save_file({input_name: np.ascontiguousarray(x.numpy())}, os.path.join(out, stem + ".inputs.safetensors"))
            save_file({k: np.ascontiguousarray(v) for k, v in zip(outputs, results)},
                      os.path.join(out, stem + ".expected.safetensors"))
            ops = sorted({n.op_type for n in model.graph.node})
            print(f"{stem}: opset {model.opset_import[0].version}, {len(model.graph.node)} nodes: {', '.join(ops)}")


if __name__ == "__main__":
    main()
