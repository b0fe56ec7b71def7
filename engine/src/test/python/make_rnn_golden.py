#!/usr/bin/env python3
"""Generate PyTorch golden fixtures for Recur's RNN / GRU / LSTM engine.

Writes one safetensors file per configuration into
engine/src/test/resources/golden/<config>.safetensors (key scheme described in
that directory's README.md), then reloads every file and checks that a float32
PyTorch module rebuilt from the stored param.* tensors reproduces the float64
reference output.

Usage (from the repository root):
    python engine/src/test/python/make_rnn_golden.py [--out DIR]

Requires torch, safetensors, numpy. Deterministic: every config has a fixed
seed, so re-running with the same torch version gives byte-identical files.
"""
import argparse
import random
import copy
import json
import os
import struct
import sys
import warnings
import zlib

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors.torch import save_file, load_file

FORMAT = "recur-rnn-golden-v1"
GARBAGE = 50.0  # padded input / dy.output positions hold uniform(-50, 50)


def C(name, mode, I, H, T, B, *, L=1, bidir=False, bias=True, batch_first=False,
      proj=0, lengths=None, h0=False, desc=""):
    return dict(name=name, mode=mode, I=I, H=H, T=T, B=B, L=L, bidir=bidir,
                bias=bias, batch_first=batch_first, proj=proj, lengths=lengths,
                h0=h0, desc=desc)


CONFIGS = [
    # --- basics: each mode, 1 layer, unidirectional, bias --------------------
    C("rnn_tanh_basic", "rnn_tanh", 4, 5, 5, 3, desc="Elman tanh, 1 layer, uni, bias, zero h0"),
    C("rnn_relu_basic", "rnn_relu", 4, 5, 5, 3, desc="Elman relu, 1 layer, uni, bias, zero h0"),
    C("gru_basic", "gru", 4, 5, 5, 3, desc="GRU, 1 layer, uni, bias, zero h0"),
    C("lstm_basic", "lstm", 4, 5, 5, 3, desc="LSTM, 1 layer, uni, bias, zero h0/c0"),
    # --- degenerate shapes ---------------------------------------------------
    C("rnn_tanh_t1", "rnn_tanh", 3, 4, 1, 3, desc="single time step T=1"),
    C("lstm_t1_b1", "lstm", 3, 4, 1, 1, desc="LSTM with T=1 and B=1"),
    C("gru_b1", "gru", 5, 3, 6, 1, desc="GRU with batch size 1"),
    C("rnn_relu_h1", "rnn_relu", 3, 1, 5, 2, desc="hidden_size=1 (relu)"),
    C("gru_i1", "gru", 1, 4, 6, 3, desc="input_size=1"),
    # --- variable lengths (packed), unsorted, garbage in padding ------------
    C("rnn_tanh_lengths", "rnn_tanh", 3, 5, 6, 4, lengths=[3, 6, 1, 4],
      desc="packed, unsorted unequal lengths, garbage padding"),
    C("rnn_relu_lengths", "rnn_relu", 3, 5, 6, 4, lengths=[2, 5, 6, 1],
      desc="packed relu, unsorted unequal lengths, garbage padding"),
    C("gru_lengths", "gru", 4, 5, 6, 4, lengths=[4, 1, 6, 3],
      desc="packed GRU, unsorted unequal lengths, garbage padding"),
    C("lstm_lengths", "lstm", 4, 5, 6, 5, lengths=[5, 6, 2, 1, 3],
      desc="packed LSTM, unsorted unequal lengths, garbage padding"),
    C("gru_lengths_short", "gru", 3, 4, 7, 3, lengths=[2, 5, 3],
      desc="packed GRU with max(lengths)=5 < T=7 (total_length pads to T)"),
    C("lstm_lengths_short", "lstm", 3, 4, 7, 4, lengths=[4, 1, 6, 4],
      desc="packed LSTM with max(lengths)=6 < T=7, duplicate lengths"),
    # --- stacks --------------------------------------------------------------
    C("rnn_tanh_2layer", "rnn_tanh", 4, 5, 5, 3, L=2, desc="2-layer tanh stack"),
    C("gru_3layer", "gru", 3, 4, 5, 2, L=3, desc="3-layer GRU stack"),
    C("lstm_3layer", "lstm", 4, 3, 5, 3, L=3, desc="3-layer LSTM stack"),
    # --- bidirectional -------------------------------------------------------
    C("rnn_tanh_bidir", "rnn_tanh", 4, 5, 5, 3, bidir=True, desc="bidirectional tanh"),
    C("rnn_relu_bidir_2layer", "rnn_relu", 3, 4, 5, 3, L=2, bidir=True,
      desc="bidirectional relu, 2 layers (layer 1 input = 2H)"),
    C("gru_bidir_lengths", "gru", 4, 5, 6, 4, bidir=True, lengths=[6, 2, 4, 5],
      desc="bidirectional GRU, packed lengths (reverse dir starts at len-1)"),
    C("lstm_bidir_lengths", "lstm", 4, 5, 6, 4, bidir=True, lengths=[3, 6, 1, 5],
      desc="bidirectional LSTM, packed lengths"),
    # --- no bias -------------------------------------------------------------
    C("rnn_tanh_nobias", "rnn_tanh", 4, 5, 5, 3, bias=False, desc="bias=False tanh"),
    C("gru_nobias", "gru", 4, 5, 5, 3, L=2, bias=False, desc="bias=False GRU, 2 layers"),
    C("lstm_nobias", "lstm", 4, 5, 5, 3, bias=False, bidir=True, desc="bias=False bidirectional LSTM"),
    # --- LSTM projections ----------------------------------------------------
    C("lstm_proj", "lstm", 4, 6, 5, 3, proj=3, desc="LSTM proj_size=3 < hidden 6, uni, 1 layer"),
    C("lstm_proj_bidir_2layer_lengths_h0", "lstm", 3, 5, 6, 4, L=2, bidir=True, proj=2,
      lengths=[4, 6, 2, 5], h0=True,
      desc="LSTM proj_size=2, bidirectional, 2 layers, packed lengths, given h0/c0"),
    # --- batch_first ---------------------------------------------------------
    C("gru_batch_first_lengths", "gru", 3, 4, 5, 3, batch_first=True, lengths=[2, 5, 3],
      desc="batch_first GRU with packed lengths"),
    C("rnn_tanh_batch_first_bidir", "rnn_tanh", 3, 4, 5, 2, batch_first=True, bidir=True,
      desc="batch_first bidirectional tanh, no lengths"),
    # --- given initial state -------------------------------------------------
    C("rnn_tanh_h0", "rnn_tanh", 4, 5, 5, 3, h0=True, desc="given h0 (tanh)"),
    C("gru_h0", "gru", 4, 5, 5, 3, h0=True, desc="given h0 (GRU)"),
    C("lstm_h0c0", "lstm", 4, 5, 5, 3, h0=True, desc="given h0 and c0 (LSTM)"),
    # --- kitchen sinks: 2 layers, bidir, lengths, h0(/c0), batch_first --------
    C("sink_rnn_tanh", "rnn_tanh", 3, 4, 6, 4, L=2, bidir=True, batch_first=True,
      lengths=[5, 2, 6, 3], h0=True, desc="kitchen sink tanh: 2L bidir batch_first lengths h0"),
    C("sink_rnn_relu", "rnn_relu", 4, 3, 6, 3, L=2, bidir=True, batch_first=True,
      lengths=[1, 6, 4], h0=True, desc="kitchen sink relu: 2L bidir batch_first lengths h0"),
    C("sink_gru", "gru", 3, 5, 7, 4, L=2, bidir=True, batch_first=True,
      lengths=[7, 3, 5, 1], h0=True, desc="kitchen sink GRU: 2L bidir batch_first lengths h0"),
    C("sink_lstm", "lstm", 4, 5, 7, 4, L=2, bidir=True, batch_first=True, proj=3,
      lengths=[2, 7, 4, 6], h0=True,
      desc="kitchen sink LSTM: 2L bidir batch_first lengths h0/c0 proj_size=3"),
]



def random_configs(count_per_mode=3, seed=2026):
    """Configurations drawn at random (seeded, so the files are reproducible): every flag and
    awkward size combination the hand-picked list above may have missed."""
    rng = random.Random(seed)
    out = []
    for mode in ("rnn_tanh", "rnn_relu", "gru", "lstm"):
        for i in range(count_per_mode):
            I, H, T, B = rng.randint(1, 9), rng.randint(1, 9), rng.randint(1, 8), rng.randint(1, 5)
            L = rng.randint(1, 3)
            bidir, bias, batch_first, h0 = (rng.random() < 0.5 for _ in range(4))
            proj = rng.randint(1, H - 1) if mode == "lstm" and H >= 2 and rng.random() < 0.5 else 0
            lengths = [rng.randint(1, T) for _ in range(B)] if rng.random() < 0.6 else None
            desc = (f"random: I={I} H={H} T={T} B={B} L={L} bidir={bidir} bias={bias} "
                    f"batch_first={batch_first} proj={proj} lengths={lengths} h0={h0}")
            out.append(C(f"random_{mode}_{i}", mode, I, H, T, B, L=L, bidir=bidir, bias=bias,
                         batch_first=batch_first, proj=proj, lengths=lengths, h0=h0, desc=desc))
    return out


CONFIGS += random_configs()

def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def make_module(cfg):
    mode, kw = cfg["mode"], dict(input_size=cfg["I"], hidden_size=cfg["H"],
                                 num_layers=cfg["L"], bias=cfg["bias"],
                                 batch_first=cfg["batch_first"],
                                 bidirectional=cfg["bidir"], dropout=0.0)
    if mode in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(nonlinearity=mode[4:], **kw)
    if mode == "gru":
        return nn.GRU(**kw)
    if mode == "lstm":
        return nn.LSTM(proj_size=cfg["proj"], **kw)
    raise ValueError(mode)


def run(module, cfg, x, lengths, h0, c0):
    """Forward through module (packing if lengths). Returns (output, h_n, c_n|None)."""
    bf = cfg["batch_first"]
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
    hx = None
    if cfg["mode"] == "lstm":
        if h0 is not None:
            hx = (h0, c0)
    else:
        hx = h0
    out, hn = module(inp, hx)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=bf, total_length=cfg["T"])
    if cfg["mode"] == "lstm":
        return out, hn[0], hn[1]
    return out, hn, None


def pad_mask(cfg):
    """Bool mask over output/input leading dims: True at padded positions."""
    T, B, lengths = cfg["T"], cfg["B"], cfg["lengths"]
    t = torch.arange(T).unsqueeze(1)               # [T,1]
    m = t >= torch.tensor(lengths).unsqueeze(0)    # [T,B]
    return m.t() if cfg["batch_first"] else m


def generate(cfg, out_dir):
    name, mode = cfg["name"], cfg["mode"]
    T, B, I, H, L = cfg["T"], cfg["B"], cfg["I"], cfg["H"], cfg["L"]
    D = 2 if cfg["bidir"] else 1
    Hout = cfg["proj"] if cfg["proj"] else H
    is_lstm = mode == "lstm"
    lengths_list = cfg["lengths"]
    if lengths_list is not None:
        assert len(lengths_list) == B and all(1 <= l <= T for l in lengths_list)
    seed = seed_of(name)

    torch.manual_seed(seed)
    module = make_module(cfg).float()          # PyTorch default init, float32
    g = torch.Generator().manual_seed(seed + 1)

    xshape = (B, T, I) if cfg["batch_first"] else (T, B, I)
    x = torch.randn(xshape, generator=g, dtype=torch.float32)
    lengths = None
    if lengths_list is not None:
        lengths = torch.tensor(lengths_list, dtype=torch.int64)
        garbage = (torch.rand(xshape, generator=g) * 2 - 1) * GARBAGE
        x = torch.where(pad_mask(cfg).unsqueeze(-1), garbage, x)
    h0 = c0 = None
    if cfg["h0"]:
        h0 = torch.randn((L * D, B, Hout), generator=g) * 0.5
        if is_lstm:
            c0 = torch.randn((L * D, B, H), generator=g) * 0.5

    oshape = (B, T, D * Hout) if cfg["batch_first"] else (T, B, D * Hout)
    dy_out = torch.randn(oshape, generator=g)
    if lengths is not None:
        garbage = (torch.rand(oshape, generator=g) * 2 - 1) * GARBAGE
        dy_out = torch.where(pad_mask(cfg).unsqueeze(-1), garbage, dy_out)
    dy_hn = torch.randn((L * D, B, Hout), generator=g)
    dy_cn = torch.randn((L * D, B, H), generator=g) if is_lstm else None

    # ---- float64 reference run ----
    m64 = copy.deepcopy(module).double()
    x64 = x.double().requires_grad_(True)
    h064 = h0.double().requires_grad_(True) if h0 is not None else None
    c064 = c0.double().requires_grad_(True) if c0 is not None else None
    out, hn, cn = run(m64, cfg, x64, lengths, h064, c064)
    assert out.shape == oshape, (out.shape, oshape)
    loss = (out * dy_out.double()).sum() + (hn * dy_hn.double()).sum()
    if is_lstm:
        loss = loss + (cn * dy_cn.double()).sum()
    loss.backward()

    if lengths is not None:
        pm = pad_mask(cfg)
        assert torch.all(out[pm] == 0), "padded outputs must be zero"
        assert torch.all(x64.grad[pm] == 0), "padded input grads must be zero"

    T_ = {}
    for k, v in module.state_dict().items():
        T_["param." + k] = v.detach().float().contiguous()
    T_["in.input"] = x.contiguous()
    if lengths is not None:
        T_["in.lengths"] = lengths
    if h0 is not None:
        T_["in.h0"] = h0.contiguous()
    if c0 is not None:
        T_["in.c0"] = c0.contiguous()
    T_["dy.output"] = dy_out.contiguous()
    T_["dy.h_n"] = dy_hn.contiguous()
    if is_lstm:
        T_["dy.c_n"] = dy_cn.contiguous()
    T_["out.output"] = out.detach().contiguous()
    T_["out.h_n"] = hn.detach().contiguous()
    if is_lstm:
        T_["out.c_n"] = cn.detach().contiguous()
    T_["out.grad.input"] = x64.grad.contiguous()
    if h064 is not None:
        T_["out.grad.h0"] = h064.grad.contiguous()
    if c064 is not None:
        T_["out.grad.c0"] = c064.grad.contiguous()
    for k, p in m64.named_parameters():
        T_["out.grad." + k] = p.grad.detach().contiguous()
    assert set(dict(m64.named_parameters())) == set(module.state_dict())

    b = lambda v: "true" if v else "false"
    meta = {
        "format": FORMAT,
        "mode": mode,
        "input_size": str(I),
        "hidden_size": str(H),
        "num_layers": str(L),
        "bidirectional": b(cfg["bidir"]),
        "bias": b(cfg["bias"]),
        "batch_first": b(cfg["batch_first"]),
        "proj_size": str(cfg["proj"]),
        "seq_len": str(T),
        "batch": str(B),
        "has_lengths": b(lengths is not None),
        "has_h0": b(h0 is not None),
        "has_c0": b(c0 is not None),
        "torch_version": torch.__version__,
        "description": cfg["desc"],
    }
    path = os.path.join(out_dir, name + ".safetensors")
    save_file(T_, path, metadata=meta)
    canonicalize_header(path)
    return path


def canonicalize_header(path):
    """safetensors (Rust) serializes __metadata__ from a HashMap, so its key order
    changes from run to run. Rewrite the JSON header with sorted metadata keys
    (tensor entries keep their order and offsets) so files are byte-identical."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__")
    ordered = {"__metadata__": dict(sorted(meta.items()))}
    ordered.update(header)
    raw = json.dumps(ordered, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # keep the data section 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + blob[8 + n:])


def rel_l2(a, b):
    a, b = a.double(), b.double()
    den = b.norm().item()
    return (a - b).norm().item() / (den if den > 0 else 1.0)


def self_check(cfg, path):
    """Rebuild the module in float32 from param.* and compare to the fp64 reference."""
    from safetensors import safe_open
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
    t = load_file(path)
    assert meta["format"] == FORMAT
    module = make_module(cfg).float()
    sd = {k[6:]: v for k, v in t.items() if k.startswith("param.")}
    module.load_state_dict(sd, strict=True)  # round-trip of PyTorch names
    x = t["in.input"].clone().requires_grad_(True)
    h0 = t["in.h0"].clone().requires_grad_(True) if "in.h0" in t else None
    c0 = t["in.c0"].clone().requires_grad_(True) if "in.c0" in t else None
    out, hn, cn = run(module, cfg, x, t.get("in.lengths"), h0, c0)
    loss = (out * t["dy.output"]).sum() + (hn * t["dy.h_n"]).sum()
    if cn is not None:
        loss = loss + (cn * t["dy.c_n"]).sum()
    loss.backward()
    e_out = rel_l2(out.detach(), t["out.output"])
    e_hn = rel_l2(hn.detach(), t["out.h_n"])
    e_cn = rel_l2(cn.detach(), t["out.c_n"]) if cn is not None else float("nan")
    grads = {"input": x.grad}
    if h0 is not None:
        grads["h0"] = h0.grad
    if c0 is not None:
        grads["c0"] = c0.grad
    grads.update({k: p.grad for k, p in module.named_parameters()})
    assert set("out.grad." + k for k in grads) == {k for k in t if k.startswith("out.grad.")}
    e_grad = max(rel_l2(g, t["out.grad." + k]) for k, g in grads.items())
    # stored float32 inputs must be exactly the values used in the fp64 run
    assert all(v.dtype == torch.float32 for k, v in t.items()
               if k.split(".")[0] in ("param", "in", "dy") and k != "in.lengths")
    assert all(v.dtype == torch.float64 for k, v in t.items() if k.startswith("out."))
    return e_out, e_hn, e_cn, e_grad


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "resources", "golden"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # bit-stable reference results
    warnings.filterwarnings("ignore", message="LSTM with projections is not supported")

    names = [c["name"] for c in CONFIGS]
    assert len(names) == len(set(names))
    paths = [(c, generate(c, args.out)) for c in CONFIGS]

    print(f"{'config':<36} | {'rel err fp32 vs fp64':>20} | {'h_n':>9} | {'c_n':>9}"
          f" | {'worst grad':>10}")
    print("-" * 99)
    worst = 0.0
    total = 0
    for c, p in paths:
        e_out, e_hn, e_cn, e_grad = self_check(c, p)
        worst = max(worst, e_out)
        total += os.path.getsize(p)
        print(f"{c['name']:<36} | {e_out:>20.3e} | {e_hn:>9.2e} | {e_cn:>9.2e}"
              f" | {e_grad:>10.2e}")
    print("-" * 99)
    print(f"{len(paths)} files, {total} bytes, worst output rel err {worst:.3e}")
    if worst > 1e-5:
        print("FAIL: fp32 vs fp64 relative error above 1e-5", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
