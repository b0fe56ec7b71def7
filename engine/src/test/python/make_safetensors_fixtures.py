"""Writes the safetensors fixtures that SafeTensorsTest reads, using the official safetensors library.

Run from the repository root with the PyTorch peer venv:
    .venv-peer/bin/python engine/src/test/python/make_safetensors_fixtures.py
Outputs go to engine/src/test/resources/io/ and are committed, so the Java tests need no Python.

formula_all_dtypes.safetensors
    One tensor per dtype plus a scalar and a zero-size tensor, with __metadata__. Tensor number k
    (1-based, the order of FORMULA_TENSORS) holds value(k, i) = 10*k - 1 + 0.25*i at flat index i;
    those values are exact in F16 and BF16 too. Integer tensors use the formulas in int_values().
exact_rounding.safetensors + exact_rounding.json
    Values that are not exact in the narrow dtypes (thirds, subnormals, overflow, signed zero,
    infinities, NaN) converted by torch into F16, BF16, F32 and F64. The JSON gives, per tensor, the
    exact stored values widened to float64, and for F64 also torch's rounding to float32, as
    float.hex() strings (inf and nan spelled as Java's Double.parseDouble spells them).
numpy_no_metadata.safetensors
    Written by safetensors.numpy: no __metadata__ at all, I32 and F64 only (NumPy has no bfloat16).
"""
import json
import math
import pathlib

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "io"

# (name, torch dtype, shape); k is the 1-based position in this list.
FORMULA_TENSORS = [
    ("f32_2x3", torch.float32, [2, 3]),
    ("f64_3", torch.float64, [3]),
    ("f16_2x2", torch.float16, [2, 2]),
    ("bf16_4", torch.bfloat16, [4]),
    ("scalar_f32", torch.float32, []),
    ("empty_f32_0x3", torch.float32, [0, 3]),
]


def formula_tensor(k, dtype, shape):
    n = math.prod(shape)
    values = torch.tensor([10.0 * k - 1 + 0.25 * i for i in range(n)], dtype=torch.float64)
    return values.reshape(shape).to(dtype)


def int_values(n, dtype):
    # I64 values pass 2^32 so that a reader truncating to 32 bits fails; I32 values go negative.
    if dtype == torch.int64:
        return torch.tensor([3_000_000_000 * i - 5 for i in range(n)], dtype=torch.int64)
    return torch.tensor([1_000_003 * i - 2_000_000 for i in range(n)], dtype=torch.int32)


def java_hex(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return float.hex(x)


def main():
    OUT.mkdir(parents=True, exist_ok=True)

    tensors = {name: formula_tensor(k, dtype, shape)
               for k, (name, dtype, shape) in enumerate(FORMULA_TENSORS, start=1)}
    tensors["i64_5"] = int_values(5, torch.int64)
    tensors["i32_2x2"] = int_values(4, torch.int32).reshape(2, 2)
    save_torch(tensors, OUT / "formula_all_dtypes.safetensors",
               metadata={"format": "pt", "producer": "make_safetensors_fixtures.py"})

    source = torch.tensor([1 / 3, -2 / 3, 1e-6, 6e-8, 1e-40, 70000.0, -0.0, math.inf, -math.inf, math.nan,
                           math.pi, 1e38, 3.5e38, 1 + 2 ** -24, 1 + 3 * 2 ** -24], dtype=torch.float64)
    rounding = {"f16": source.to(torch.float16), "bf16": source.to(torch.bfloat16),
                "f32": source.to(torch.float32), "f64": source}
    save_torch(rounding, OUT / "exact_rounding.safetensors")
    expected = {name: {"exact": [java_hex(v) for v in t.to(torch.float64).tolist()]}
                for name, t in rounding.items()}
    expected["f64"]["as_f32"] = [java_hex(v) for v in source.to(torch.float32).to(torch.float64).tolist()]
    (OUT / "exact_rounding.json").write_text(json.dumps(expected, indent=1) + "\n")

    save_numpy({"counts": np.array([7, -8, 9], dtype=np.int32),
                "weights": np.array([[0.5, -1.5], [2.25, 1e300]], dtype=np.float64)},
               str(OUT / "numpy_no_metadata.safetensors"))


if __name__ == "__main__":
    main()
