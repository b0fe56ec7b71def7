#!/usr/bin/env python3
"""Generate the PyTorch fixture for Recur's checkpoint interop test (CheckpointTorchInteropTest).

Writes into engine/src/test/resources/checkpoint/:
  torch_lstm_state_dict.safetensors  exactly save_file(lstm.state_dict()) of a 2-layer bidirectional
                                     torch.nn.LSTM(input_size=5, hidden_size=6): what a PyTorch user
                                     exports; metadata: format, mode, sizes, torch_version.
  torch_lstm_io.safetensors          in.input F32 [T=7, B=3, I=5] and PyTorch's out.output F32
                                     [7, 3, 12], out.h_n, out.c_n F32 [4, 3, 6] for zero h0/c0.

Usage (from the repository root; needs torch and safetensors):
    .venv-peer/bin/python engine/src/test/python/make_checkpoint_golden.py [--out DIR]

Deterministic: fixed seed, sorted metadata, so a re-run with the same torch gives the same tensors
(safetensors may order the metadata differently).
"""
import argparse
import os

import torch
from safetensors.torch import save_file, load_file

FORMAT = "recur-checkpoint-golden-v1"
I, H, L, T, B = 5, 6, 2, 7, 3


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "resources", "checkpoint")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=default_out)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)

    torch.manual_seed(20261124)
    lstm = torch.nn.LSTM(input_size=I, hidden_size=H, num_layers=L, bidirectional=True)
    x = torch.randn(T, B, I)
    with torch.no_grad():
        y, (h_n, c_n) = lstm(x)

    meta = dict(sorted({
        "format": FORMAT, "mode": "lstm", "input_size": str(I), "hidden_size": str(H),
        "num_layers": str(L), "bidirectional": "true", "batch_first": "false",
        "torch_version": torch.__version__,
    }.items()))
    weights = os.path.join(out, "torch_lstm_state_dict.safetensors")
    save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, weights, metadata=meta)
    io = os.path.join(out, "torch_lstm_io.safetensors")
    save_file({"in.input": x, "out.output": y, "out.h_n": h_n, "out.c_n": c_n}, io,
              metadata={"format": FORMAT, "torch_version": torch.__version__})

    # Self-check: the saved state dict loads back into a fresh module and reproduces the output.
    again = torch.nn.LSTM(input_size=I, hidden_size=H, num_layers=L, bidirectional=True)
    again.load_state_dict(load_file(weights))
    with torch.no_grad():
        y2, _ = again(load_file(io)["in.input"])
    assert torch.equal(y, y2), "reloaded module differs"
    print(f"wrote {weights} ({len(lstm.state_dict())} tensors) and {io}; self-check OK")


if __name__ == "__main__":
    main()
