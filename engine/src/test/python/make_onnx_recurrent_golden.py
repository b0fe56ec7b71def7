#!/usr/bin/env python3
"""Generate ONNX Runtime golden fixtures for Recur's import of ONNX's LSTM, GRU and RNN operators.

For every case below it writes into engine/src/test/resources/onnx/recurrent/:
  <case>.onnx                 a one-node model (weights as initializers, or as graph inputs the way
                              ONNX's own backend node tests pass them)
  <case>.inputs.safetensors   one tensor per graph input that is not an initializer, under its ONNX
                              name and in the dtype the graph declares (float32, int32 sequence_lens)
  <case>.expected.safetensors every graph output as ONNX Runtime (CPU, float32) computes it
and checks ONNX Runtime against onnx's float64 reference evaluator where the spec fixes the result
(cases without sequence_lens: the spec leaves padded outputs open, ONNX Runtime zeroes them).
Cases whose name starts with "refused_" are invalid (an activation ONNX does not define, a negative
clip); the Java test expects a one-line refusal for them, so they have no inputs or expected files.

Usage (from the repository root, with the peer venv of docs/cli.md):
    .venv-peer/bin/python engine/src/test/python/make_onnx_recurrent_golden.py [--out DIR]
Deterministic: each case has its own seed.
"""
import argparse
import os
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort
from onnx.reference import ReferenceEvaluator
from safetensors.numpy import save_file

# Attributes onnx's reference evaluator accepts but does not apply (its LSTM/GRU/RNN code marks them
# unused): a float64 check of cases using them would compare against the wrong equations.
IGNORED_BY_REFERENCE = {"clip", "input_forget", "activations", "activation_alpha", "activation_beta"}
OPSET = 14  # LSTM/GRU/RNN-14 added `layout`; later versions only widen the types
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def case(name, op, T, B, I, H, *, direction="forward", layout=0, bias=True, lengths=None,
         initial_h=False, initial_c=False, peepholes=False, weights_as_inputs=False, attrs=None,
         outputs=("Y", "Y_h", "Y_c")):
    return dict(name=name, op=op, T=T, B=B, I=I, H=H, direction=direction, layout=layout, bias=bias,
                lengths=lengths, initial_h=initial_h, initial_c=initial_c, peepholes=peepholes,
                weights_as_inputs=weights_as_inputs, attrs=attrs or {}, outputs=outputs)


CASES = [
    case("lstm_forward", "LSTM", 5, 3, 4, 17),
    case("lstm_reverse", "LSTM", 6, 2, 3, 5, direction="reverse"),
    case("lstm_bidirectional", "LSTM", 4, 3, 5, 7, direction="bidirectional"),
    case("lstm_layout1", "LSTM", 5, 3, 4, 6, layout=1, direction="bidirectional", initial_h=True, initial_c=True),
    case("lstm_lengths_initial", "LSTM", 7, 4, 3, 5, direction="bidirectional", lengths=[3, 7, 1, 5],
         initial_h=True, initial_c=True),
    case("lstm_no_bias", "LSTM", 4, 2, 3, 4, bias=False),
    case("lstm_weights_as_inputs", "LSTM", 3, 2, 3, 4, weights_as_inputs=True, initial_h=True),
    case("lstm_one", "LSTM", 1, 1, 1, 1),
    case("lstm_y_only", "LSTM", 4, 2, 3, 5, outputs=("Y",)),
    case("lstm_yh_only", "LSTM", 4, 2, 3, 5, outputs=("", "Y_h")),
    case("lstm_default_activations_named", "LSTM", 4, 2, 3, 5,
         attrs=dict(activations=["Sigmoid", "Tanh", "Tanh"])),
    case("gru_forward", "GRU", 5, 3, 4, 17, attrs=dict(linear_before_reset=1)),
    case("gru_reverse_lengths", "GRU", 6, 3, 3, 5, direction="reverse", lengths=[6, 2, 4],
         attrs=dict(linear_before_reset=1)),
    case("gru_bidirectional_layout1", "GRU", 4, 2, 5, 6, direction="bidirectional", layout=1,
         initial_h=True, attrs=dict(linear_before_reset=1)),
    case("gru_weights_as_inputs", "GRU", 3, 2, 3, 4, weights_as_inputs=True, attrs=dict(linear_before_reset=1)),
    case("rnn_tanh", "RNN", 5, 3, 4, 17),
    case("rnn_relu_bidirectional", "RNN", 4, 2, 3, 5, direction="bidirectional",
         attrs=dict(activations=["Relu", "Relu"])),
    case("rnn_lengths_layout1", "RNN", 6, 3, 2, 4, layout=1, lengths=[2, 6, 4], initial_h=True),
    # What the fused layer does not run: ONNX's stepwise path.
    case("gru_reset_before", "GRU", 5, 3, 4, 17),
    case("gru_reset_before_bidirectional_lengths", "GRU", 6, 3, 3, 5, direction="bidirectional", lengths=[6, 2, 4],
         initial_h=True),
    case("gru_reset_before_layout1", "GRU", 4, 2, 3, 4, layout=1, direction="reverse", attrs=dict(linear_before_reset=0)),
    case("lstm_clip", "LSTM", 5, 3, 4, 6, attrs=dict(clip=0.4)),
    case("lstm_input_forget", "LSTM", 4, 2, 3, 5, direction="bidirectional", attrs=dict(input_forget=1)),
    case("lstm_peepholes", "LSTM", 5, 3, 4, 6, peepholes=True, initial_h=True, initial_c=True),
    case("lstm_peepholes_bidirectional_lengths", "LSTM", 6, 3, 3, 4, direction="bidirectional", peepholes=True,
         lengths=[2, 6, 5]),
    case("lstm_activations_alpha_beta", "LSTM", 4, 2, 3, 5,
         attrs=dict(activations=["HardSigmoid", "ScaledTanh", "Softsign"], activation_alpha=[0.3, 0.9],
                    activation_beta=[0.4, 1.2])),
    case("gru_activations_leaky_elu", "GRU", 4, 2, 3, 5, direction="bidirectional",
         attrs=dict(linear_before_reset=1, activations=["Sigmoid", "LeakyRelu", "HardSigmoid", "Elu"],
                    activation_alpha=[0.05, 0.25, 0.7], activation_beta=[0.45])),
    case("rnn_sigmoid", "RNN", 4, 2, 3, 5, attrs=dict(activations=["Sigmoid"])),
    case("rnn_affine_softplus", "RNN", 4, 2, 3, 5, direction="bidirectional",
         attrs=dict(activations=["Affine", "Softplus"], activation_alpha=[0.8], activation_beta=[0.1])),
    case("rnn_thresholded_relu_clip", "RNN", 4, 2, 3, 5, attrs=dict(activations=["ThresholdedRelu"],
                                                                     activation_alpha=[0.2], clip=2.0)),
    case("refused_rnn_unknown_activation", "RNN", 3, 2, 3, 4, attrs=dict(activations=["Swish"])),
    case("refused_lstm_negative_clip", "LSTM", 3, 2, 3, 4, attrs=dict(clip=-1.0)),
]


def build(c, rng):
    op, T, B, I, H = c["op"], c["T"], c["B"], c["I"], c["H"]
    D = 2 if c["direction"] == "bidirectional" else 1
    G = GATES[op]
    f32 = np.float32
    values = {
        "W": rng.uniform(-0.6, 0.6, (D, G * H, I)).astype(f32),
        "R": rng.uniform(-0.6, 0.6, (D, G * H, H)).astype(f32),
    }
    if c["bias"]:
        values["B"] = rng.uniform(-0.5, 0.5, (D, 2 * G * H)).astype(f32)
    if c["peepholes"]:
        values["P"] = rng.uniform(-0.5, 0.5, (D, 3 * H)).astype(f32)
    x_shape = (T, B, I) if c["layout"] == 0 else (B, T, I)
    state_shape = (D, B, H) if c["layout"] == 0 else (B, D, H)
    feeds = {"X": rng.uniform(-1, 1, x_shape).astype(f32)}
    if c["lengths"] is not None:
        feeds["sequence_lens"] = np.array(c["lengths"], dtype=np.int32)
    if c["initial_h"]:
        feeds["initial_h"] = rng.uniform(-1, 1, state_shape).astype(f32)
    if c["initial_c"]:
        feeds["initial_c"] = rng.uniform(-1, 1, state_shape).astype(f32)

    node_inputs = ["X", "W", "R", "B" if c["bias"] else "", "sequence_lens" if c["lengths"] is not None else "",
                   "initial_h" if c["initial_h"] else ""]
    if op == "LSTM":
        node_inputs.append("initial_c" if c["initial_c"] else "")
        node_inputs.append("P" if c["peepholes"] else "")
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()
    outputs = [o for o in c["outputs"] if op == "LSTM" or o != "Y_c"]
    node = helper.make_node(op, node_inputs, outputs, name=c["name"] + "_node", hidden_size=H,
                            direction=c["direction"], layout=c["layout"], **c["attrs"])

    def info(name, array):
        dtype = TensorProto.INT32 if array.dtype == np.int32 else TensorProto.FLOAT
        return helper.make_tensor_value_info(name, dtype, list(array.shape))

    weights = {k: values[k] for k in ("W", "R", "B", "P") if k in values}
    graph_inputs = [info("X", feeds["X"])]
    initializers = []
    if c["weights_as_inputs"]:
        feeds.update(weights)
        graph_inputs += [info(k, v) for k, v in weights.items()]
    else:
        initializers = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    graph_inputs += [info(k, feeds[k]) for k in ("sequence_lens", "initial_h", "initial_c") if k in feeds]
    y_shape = [T, D, B, H] if c["layout"] == 0 else [B, T, D, H]
    graph_outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, y_shape if o == "Y" else list(state_shape))
                     for o in outputs if o]
    graph = helper.make_graph([node], c["name"], graph_inputs, graph_outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="recur-golden")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, feeds, [o for o in outputs if o]


def run_ort(c, options, feeds, outputs):
    """ONNX Runtime's outputs. It refuses layout 1 ("batchwise recurrent operations"), so a layout-1
    case runs as the same node with layout 0 on transposed inputs, its outputs transposed back: what
    the spec defines layout 1 to be."""
    if c["layout"] == 0:
        model, _, _ = build(c, np.random.default_rng(zlib.crc32(c["name"].encode())))
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        return dict(zip(outputs, session.run(outputs, feeds)))
    as_layout0 = dict(c, layout=0)
    model, _, _ = build(as_layout0, np.random.default_rng(zlib.crc32(c["name"].encode())))
    feeds0 = dict(feeds)
    feeds0["X"] = feeds["X"].transpose(1, 0, 2)
    for k in ("initial_h", "initial_c"):
        if k in feeds:
            feeds0[k] = feeds[k].transpose(1, 0, 2)
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    results = dict(zip(outputs, session.run(outputs, feeds0)))
    return {k: (v.transpose(2, 0, 1, 3) if k == "Y" else v.transpose(1, 0, 2)) for k, v in results.items()}


def float64_check(c, model, feeds, outputs, results):
    """ONNX Runtime against onnx's reference evaluator in float64; returns what was checked."""
    model64 = onnx.ModelProto()
    model64.CopyFrom(model)
    for init in model64.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float64), init.name))
    for value in list(model64.graph.input) + list(model64.graph.output):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.DOUBLE
    feeds64 = {k: (v.astype(np.float64) if v.dtype == np.float32 else v) for k, v in feeds.items()}
    try:
        expected64 = ReferenceEvaluator(model64).run(outputs, feeds64)
    except RuntimeError as error:  # e.g. its RNN knows no Relu
        return f"none ({error})"
    worst = 0.0
    for name, ref in zip(outputs, expected64):
        error = relative_l2(results[name].astype(np.float64), ref)
        assert error < 1e-5, f"{c['name']}: ONNX Runtime's {name} is {error:.2e} from the float64 reference"
        worst = max(worst, error)
    return f"worst {worst:.1e}"


def relative_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "resources", "onnx", "recurrent")
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=default_out)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    for c in CASES:
        rng = np.random.default_rng(zlib.crc32(c["name"].encode()))
        model, feeds, outputs = build(c, rng)
        path = os.path.join(out, c["name"] + ".onnx")
        onnx.save(model, path)
        if c["name"].startswith("refused_"):
            print(f"{c['name']}: model only")
            continue
        results = run_ort(c, options, feeds, outputs)
        ignored = IGNORED_BY_REFERENCE.intersection(c["attrs"])
        checked = ("padded steps" if "sequence_lens" in feeds
                   else f"none (the reference evaluator ignores {sorted(ignored)})" if ignored
                   else float64_check(c, model, feeds, outputs, results))
        save_file({k: np.ascontiguousarray(v) for k, v in feeds.items()},
                  os.path.join(out, c["name"] + ".inputs.safetensors"))
        save_file({k: np.ascontiguousarray(v) for k, v in results.items()},
                  os.path.join(out, c["name"] + ".expected.safetensors"))
        print(f"{c['name']}: " + ", ".join(f"{k} {list(v.shape)}" for k, v in results.items())
              + f"; float64 check: {checked}")


if __name__ == "__main__":
    main()
