#!/usr/bin/env python3
"""Copy ONNX's own backend node tests for LSTM, GRU and RNN (the `onnx` package's case definitions,
onnx/backend/test/case/node/{lstm,gru,rnn}.py) into engine/src/test/resources/onnx/node/:
  <test>.onnx, <test>.inputs.safetensors (every graph input, by name),
  <test>.expected.safetensors: ONNX Runtime's outputs (CPU, float32), checked against the case's own
  expected outputs within the case's tolerances; for layout 1, which ONNX Runtime refuses, the
  case's own outputs.

Usage (from the repository root, with the peer venv of docs/cli.md):
    .venv-peer/bin/python engine/src/test/python/make_onnx_node_tests.py [--out DIR]
"""
import argparse
import os
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx.backend.test.case.node import collect_testcases
from safetensors.numpy import save_file

OPERATORS = ("LSTM", "GRU", "RNN")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "resources", "onnx", "node"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    cases = [c for c in collect_testcases() if c.model.graph.node and c.model.graph.node[0].op_type in OPERATORS]
    for case in sorted(cases, key=lambda c: c.name):
        model = case.model
        (inputs, expected), = case.data_sets
        input_names = [i.name for i in model.graph.input]
        output_names = [o.name for o in model.graph.output]
        feeds = dict(zip(input_names, inputs))
        onnx.save(model, os.path.join(out, case.name + ".onnx"))
        layout = next((a.i for a in model.graph.node[0].attribute if a.name == "layout"), 0)
        if layout == 1:   # ONNX Runtime refuses batchwise recurrent operators: the case's own outputs stand in
            results = expected
            note = "layout 1: the onnx package's expected outputs (ONNX Runtime refuses layout 1)"
        else:
            session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
            results = session.run(output_names, feeds)
            for name, got, want in zip(output_names, results, expected):
                np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.atol, err_msg=f"{case.name} {name}")
            note = "ONNX Runtime, checked against the case's own outputs"
        save_file({k: np.ascontiguousarray(v) for k, v in feeds.items()}, os.path.join(out, case.name + ".inputs.safetensors"))
        save_file({k: np.ascontiguousarray(v) for k, v in zip(output_names, results)},
                  os.path.join(out, case.name + ".expected.safetensors"))
        print(f"{case.name}: {model.graph.node[0].op_type}, opset {model.opset_import[0].version}; {note}")


if __name__ == "__main__":
    main()
