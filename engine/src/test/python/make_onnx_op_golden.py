#!/usr/bin/env python3
"""Generate ONNX Runtime golden fixtures for the non-recurrent operators Recur's ONNX import runs:
one small model per case (one node, sometimes with a Cast to make a bool output writable), its
inputs and ONNX Runtime's outputs, into engine/src/test/resources/onnx/ops/:
  <case>.onnx, <case>.inputs.safetensors, <case>.expected.safetensors
Constant operands are initializers, so that Recur folds some of them at load and runs the others.

Usage (from the repository root, with the peer venv of docs/cli.md):
    .venv-peer/bin/python engine/src/test/python/make_onnx_op_golden.py [--out DIR]
"""
import argparse
import os
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import save_file

OPSET = 17
TYPES = {"float32": TensorProto.FLOAT, "int64": TensorProto.INT64, "int32": TensorProto.INT32, "bool": TensorProto.BOOL}


def F(*shape):
    return ("float", shape)


def case(name, op, inputs, attrs=None, outputs=1, cast_bool=False, opset=OPSET, constants=None):
    """inputs: name -> ("float", shape) random input, or an ndarray (a graph input with that value);
    constants: name -> ndarray initializers."""
    return dict(name=name, op=op, inputs=inputs, attrs=attrs or {}, outputs=outputs, cast_bool=cast_bool,
                opset=opset, constants=constants or {})


I64 = lambda *v: np.array(v, dtype=np.int64)

CASES = [
    case("add_broadcast", "Add", {"a": F(2, 3, 4), "b": F(4)}),
    case("sub_broadcast_both", "Sub", {"a": F(2, 1, 4), "b": F(3, 1)}),
    case("mul_int64", "Mul", {"a": I64(1, -2, 3, 4, 5, 6).reshape(2, 3), "b": I64(3, -1, 2)}),
    case("div_float", "Div", {"a": F(3, 5), "b": F(3, 1)}),
    case("relu", "Relu", {"x": F(4, 17)}),
    case("tanh", "Tanh", {"x": F(3, 5)}),
    case("sigmoid", "Sigmoid", {"x": F(2, 7)}),
    case("matmul_2d", "MatMul", {"a": F(3, 17), "b": F(17, 5)}),
    case("matmul_batched_broadcast", "MatMul", {"a": F(2, 1, 3, 4), "b": F(3, 4, 5)}),
    case("matmul_vector_left", "MatMul", {"a": F(4), "b": F(2, 4, 3)}),
    case("gemm_trans_bias", "Gemm", {"a": F(5, 3), "c": F(1, 4)}, attrs=dict(transA=1, transB=1, alpha=0.7, beta=1.3),
         constants={"b": None}),
    case("softmax_axis1", "Softmax", {"x": F(2, 3, 4)}, attrs=dict(axis=1)),
    case("logsoftmax_last", "LogSoftmax", {"x": F(3, 6)}),
    case("logsoftmax_opset11_coerced", "LogSoftmax", {"x": F(2, 3, 4)}, attrs=dict(axis=1), opset=11),
    case("shape_start_end", "Shape", {"x": F(2, 3, 4, 5)}, attrs=dict(start=1, end=-1)),
    case("reshape_zero_minus_one", "Reshape", {"x": F(2, 3, 4), "shape": I64(0, -1)}),
    case("squeeze_axes", "Squeeze", {"x": F(1, 3, 1, 2), "axes": I64(0, -2)}),
    case("unsqueeze_axes", "Unsqueeze", {"x": F(3, 2), "axes": I64(0, 3)}),
    case("unsqueeze_opset11_attribute", "Unsqueeze", {"x": F(3, 2)}, attrs=dict(axes=[1]), opset=11),
    case("concat_axis_negative", "Concat", {"a": F(2, 3), "b": F(2, 1), "c": F(2, 2)}, attrs=dict(axis=-1)),
    case("slice_negative_step_clamped", "Slice", {"x": F(5, 6), "starts": I64(-1, 100), "ends": I64(-100, 1),
                                                   "axes": I64(0, 1), "steps": I64(-2, -3)}),
    case("slice_default_axes", "Slice", {"x": F(4, 5), "starts": I64(1, 0), "ends": I64(3, 4)}),
    case("transpose_perm", "Transpose", {"x": F(2, 3, 4)}, attrs=dict(perm=[2, 0, 1])),
    case("transpose_default", "Transpose", {"x": F(2, 3, 4)}),
    case("gather_axis1_negative_indices", "Gather", {"data": F(3, 5, 2), "idx": I64(-1, 0, 2, 4).reshape(2, 2)},
         attrs=dict(axis=1)),
    case("constant_of_shape_int", "ConstantOfShape", {"shape": I64(2, 3)},
         attrs=dict(value=numpy_helper.from_array(np.array([7], dtype=np.int64)))),
    case("cast_float_to_int32", "Cast", {"x": F(3, 4)}, attrs=dict(to=TensorProto.INT32)),
    case("expand", "Expand", {"x": F(3, 1), "shape": I64(2, 1, 4)}),
    case("split_sizes", "Split", {"x": F(2, 7), "split": I64(3, 4)}, attrs=dict(axis=1), outputs=2),
    case("split_even", "Split", {"x": F(6, 2)}, attrs=dict(axis=0), outputs=3),
    case("equal_where", "Where", {"x": F(2, 3), "y": F(2, 3)}, constants={"cond": None}),
    case("equal_cast", "Equal", {"a": I64(1, 2, 3, 4).reshape(2, 2), "b": I64(1, 0)}, cast_bool=True),
    case("not_cast", "Not", {"x": I64(0, 3, 0, -1)}, cast_bool=True),
]


def make(c, rng):
    feeds, infos, inits = {}, [], []
    for name, spec in c["inputs"].items():
        if isinstance(spec, tuple):
            value = rng.uniform(-2, 2, spec[1]).astype(np.float32)
        else:
            value = spec
        feeds[name] = value
        infos.append(helper.make_tensor_value_info(name, TYPES[str(value.dtype)], list(value.shape)))
    node_inputs = list(c["inputs"].keys())
    if c["op"] == "Gemm":
        b = rng.uniform(-1, 1, (4, 5)).astype(np.float32)
        inits.append(numpy_helper.from_array(b, "b"))
        node_inputs = ["a", "b", "c"]
    if c["op"] == "Where":
        cond = rng.uniform(0, 1, (2, 1)) > 0.5
        inits.append(numpy_helper.from_array(cond, "cond"))
        node_inputs = ["cond", "x", "y"]
    outs = [f"out{i}" for i in range(c["outputs"])]
    nodes = []
    if c["op"] == "Not":   # a bool operand from an int64 input (safetensors files hold no bools Recur reads)
        nodes.append(helper.make_node("Cast", ["x"], ["x_bool"], to=TensorProto.BOOL))
        node_inputs = ["x_bool"]
    nodes.append(helper.make_node(c["op"], node_inputs, [o + ("_raw" if c["cast_bool"] else "") for o in outs],
                                  name=c["name"] + "_node", **c["attrs"]))
    if c["cast_bool"]:
        nodes += [helper.make_node("Cast", [o + "_raw"], [o], to=TensorProto.INT64) for o in outs]
    graph = helper.make_graph(nodes, c["name"], infos, [helper.make_empty_tensor_value_info(o)
                                                        for o in outs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c["opset"])], producer_name="recur-golden")
    model.ir_version = 8
    return model, feeds, outs


def typed_outputs(model, results, outs):
    """The model with its graph outputs declared as ONNX Runtime computed them."""
    del model.graph.output[:]
    for name, value in zip(outs, results):
        model.graph.output.append(helper.make_tensor_value_info(name, TYPES[str(value.dtype)], list(value.shape)))
    onnx.checker.check_model(model)
    return model


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "resources", "onnx", "ops"))
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    for c in CASES:
        rng = np.random.default_rng(zlib.crc32(c["name"].encode()))
        model, feeds, outs = make(c, rng)
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        results = session.run(outs, feeds)
        onnx.save(typed_outputs(model, results, outs), os.path.join(out, c["name"] + ".onnx"))
        save_file({k: np.ascontiguousarray(v) for k, v in feeds.items()}, os.path.join(out, c["name"] + ".inputs.safetensors"))
        save_file({k: np.ascontiguousarray(v) for k, v in zip(outs, results)},
                  os.path.join(out, c["name"] + ".expected.safetensors"))
        print(f"{c['name']}: {c['op']} -> " + ", ".join(f"{r.dtype}{list(r.shape)}" for r in results))


if __name__ == "__main__":
    main()
