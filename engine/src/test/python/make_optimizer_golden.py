#!/usr/bin/env python3
"""Generate PyTorch golden fixtures for Recur's optimisation layer (dev.recur.engine.train).

Writes small safetensors files into engine/src/test/resources/golden/optim/ (key scheme in that
directory's README.md):

  <optimizer>_<config>.safetensors torch.optim.{SGD,RMSprop,Adam,AdamW} run for STEPS steps on
                                  float32 parameters of awkward shapes, fed a fixed sequence of
                                  gradients; the parameters after every step and the final state.
  clip_<case>.safetensors         torch.nn.utils.clip_grad_norm_: gradients before and after, and
                                  the total norm it returned.
  schedule_<case>.safetensors     torch.optim.lr_scheduler.{StepLR,CosineAnnealingLR,
                                  ReduceLROnPlateau}: the learning rate after construction and
                                  after each of SCHEDULE_STEPS steps (and the metrics fed).

Usage (from the repository root; needs torch, safetensors, numpy):
    .venv-peer/bin/python engine/src/test/python/make_optimizer_golden.py [--out DIR]

Deterministic: fixed seeds and sorted metadata keys, so re-running with the same torch version
gives byte-identical files. After writing, every optimizer file is replayed from its stored
float32 values and must reproduce itself bit for bit.
"""
import argparse
import json
import math
import os
import sys
import zlib

import torch
from safetensors.torch import save_file, load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_rnn_golden import canonicalize_header  # noqa: E402  (sorted metadata: byte-identical files)

FORMAT = "recur-optim-golden-v1"
STEPS = 10
SCHEDULE_STEPS = 30

# Awkward shapes: a single element, a row length that is no multiple of any vector width, a
# small matrix. The dotted name checks that state keys are built, never parsed.
PARAMETERS = [("scale", (1,)), ("weight_ih_l0", (3, 17)), ("head.weight", (5, 3))]
# Gradient magnitude per step: large and small alternate, so that Adam's and RMSprop's second
# moments rise and fall (AMSGrad's running maximum then differs from exp_avg_sq).
GRADIENT_SCALES = [3.0, 0.5, 2.0, 0.01, 1.0, 0.1, 0.05, 4.0, 0.02, 0.3]
ZERO_GRADIENT = (3, "scale")  # (step, parameter) whose gradient is exactly zero

OPTIMIZER_CONFIGS = [
    # name, torch.optim class, keyword arguments (empty: torch's defaults)
    ("sgd_defaults", "SGD", {}),
    ("sgd_lr", "SGD", dict(lr=0.1)),
    ("sgd_weight_decay", "SGD", dict(lr=0.1, weight_decay=0.1)),
    ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9)),
    ("sgd_momentum_dampening", "SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd_nesterov_weight_decay", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("rmsprop_defaults", "RMSprop", {}),
    ("rmsprop_centered", "RMSprop", dict(lr=1e-2, centered=True)),
    ("rmsprop_momentum", "RMSprop", dict(lr=1e-3, momentum=0.9)),
    ("rmsprop_centered_momentum_weight_decay", "RMSprop",
     dict(lr=1e-3, alpha=0.9, eps=1e-6, momentum=0.5, centered=True, weight_decay=0.05)),
    ("adam_defaults", "Adam", {}),
    ("adam_betas_eps", "Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6)),
    ("adam_weight_decay", "Adam", dict(lr=1e-2, weight_decay=0.1)),
    ("adam_amsgrad", "Adam", dict(lr=1e-2, amsgrad=True)),
    ("adam_amsgrad_weight_decay", "Adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.05)),
    ("adam_decoupled_weight_decay", "Adam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("adamw_defaults", "AdamW", {}),
    ("adamw_weight_decay", "AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("adamw_amsgrad_betas", "AdamW", dict(lr=1e-2, weight_decay=0.1, amsgrad=True, betas=(0.85, 0.995))),
]

# Hyperparameters written to metadata as hyper.<name>, per optimizer (betas split in two).
HYPERPARAMETERS = {
    "SGD": ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"],
    "Adam": ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay", "maximize"],
    "AdamW": ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay", "maximize"],
}

CLIP_CASES = [
    # name, gradient scale, max_norm (None: exactly the total norm, so the coefficient is just below 1)
    ("clip_active", 5.0, 1.0),
    ("clip_inactive", 0.01, 1.0),
    ("clip_zero_max_norm", 1.0, 0.0),
    ("clip_zero_gradients", 0.0, 1.0),
    ("clip_at_total_norm", 2.0, None),
]


def plateau_metrics_slow_decline():
    """Quick progress, then stalls (wiggles of 5e-5, below the relative threshold of 1e-4) that a
    drop of 5% ends every 9 steps."""
    m = [1.0 / (1 + k) for k in range(6)]
    level = m[-1]
    while len(m) < SCHEDULE_STEPS:
        k = len(m)
        if k % 9 == 0:
            level *= 0.95
            m.append(level)
        else:
            m.append(level * (1 - 5e-5 if k % 2 else 1 + 5e-5))
    return m


def plateau_metrics_abs():
    """Drops of 0.005 (bad with an absolute threshold of 0.01) mixed with drops of 0.02, and a NaN."""
    m, v = [], 2.0
    for k in range(SCHEDULE_STEPS):
        v -= 0.02 if k % 5 == 0 else 0.005
        m.append(float("nan") if k == 12 else v)
    return m


def plateau_metrics_accuracy():
    """An accuracy that rises, then saturates with small noise (mode max)."""
    g = torch.Generator().manual_seed(7)
    noise = (torch.rand(SCHEDULE_STEPS, generator=g, dtype=torch.float64) - 0.5) * 0.004
    return [min(0.9, 0.5 + 0.05 * k) + noise[k].item() for k in range(SCHEDULE_STEPS)]


SCHEDULE_CASES = [
    # name, scheduler class, keyword arguments, the optimizer's lr, metrics (plateau only)
    ("schedule_steplr_3_half", "StepLR", dict(step_size=3, gamma=0.5), 0.1, None),
    ("schedule_steplr_defaults", "StepLR", dict(step_size=7), 1.0, None),
    ("schedule_cosine_floor", "CosineAnnealingLR", dict(T_max=10, eta_min=1e-3), 0.1, None),
    ("schedule_cosine_defaults", "CosineAnnealingLR", dict(T_max=7), 0.05, None),
    ("schedule_cosine_tmax_1", "CosineAnnealingLR", dict(T_max=1, eta_min=0.01), 0.1, None),
    ("schedule_plateau_defaults", "ReduceLROnPlateau", {}, 0.1,
     [1.0, 0.9, 0.8, 0.7] + [0.7] * (SCHEDULE_STEPS - 4)),
    ("schedule_plateau_cooldown_min_lr", "ReduceLROnPlateau",
     dict(factor=0.5, patience=2, cooldown=2, min_lr=0.02), 0.1, plateau_metrics_slow_decline()),
    ("schedule_plateau_abs_nan", "ReduceLROnPlateau",
     dict(factor=0.3, patience=1, threshold=0.01, threshold_mode="abs"), 0.1, plateau_metrics_abs()),
    ("schedule_plateau_max", "ReduceLROnPlateau",
     dict(mode="max", factor=0.5, patience=3, threshold=0.01), 0.2, plateau_metrics_accuracy()),
    ("schedule_plateau_eps", "ReduceLROnPlateau", dict(factor=0.5, patience=0), 1e-7,
     [1.0] * SCHEDULE_STEPS),
]


def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def metadata_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # repr round-trips exactly through Java's Double.parseDouble
    return str(v)


def save(tensors, meta, out_dir, name):
    path = os.path.join(out_dir, name + ".safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=meta)
    canonicalize_header(path)
    return path


def initial_parameters(g):
    return {name: torch.randn(shape, generator=g, dtype=torch.float32) for name, shape in PARAMETERS}


def gradient_sequence(g):
    grads = []
    for step, scale in enumerate(GRADIENT_SCALES[:STEPS]):
        grads.append({})
        for name, shape in PARAMETERS:
            gr = torch.randn(shape, generator=g, dtype=torch.float32) * scale
            if (step, name) == ZERO_GRADIENT:
                gr = torch.zeros(shape, dtype=torch.float32)
            grads[-1][name] = gr
    return grads


def run_optimizer(kind, kwargs, initial, grads):
    """The parameters after every step and torch's final state_dict()['state'], keyed by name."""
    params = {n: torch.nn.Parameter(v.clone()) for n, v in initial.items()}
    opt = getattr(torch.optim, kind)([params[n] for n, _ in PARAMETERS], **kwargs)
    after = []
    for step_grads in grads:
        for n, p in params.items():
            p.grad = step_grads[n].clone()
        opt.step()
        after.append({n: p.detach().clone() for n, p in params.items()})
    state = {}
    for index, entries in opt.state_dict()["state"].items():
        name = PARAMETERS[index][0]
        for key, value in entries.items():
            if value is not None:
                state[f"state.{name}.{key}"] = value.detach().clone()
    return opt, after, state


def generate_optimizer(config, out_dir):
    name, kind, kwargs = config
    g = torch.Generator().manual_seed(seed_of(name))
    initial = initial_parameters(g)
    grads = gradient_sequence(g)
    opt, after, state = run_optimizer(kind, kwargs, initial, grads)

    tensors = {}
    for n, v in initial.items():
        tensors[f"param.{n}"] = v
    for step in range(STEPS):
        for n, _ in PARAMETERS:
            tensors[f"grad.{step}.{n}"] = grads[step][n]
            tensors[f"expected.{step}.{n}"] = after[step][n]
    tensors.update(state)
    assert all(t.dtype == torch.float32 for t in tensors.values())

    defaults = dict(opt.defaults)
    if "betas" in defaults:
        defaults["beta1"], defaults["beta2"] = defaults.pop("betas")
    meta = {
        "format": FORMAT,
        "kind": "optimizer",
        "optimizer": kind,
        "config": name,
        "uses_defaults": metadata_value(not kwargs),
        "parameters": ",".join(n for n, _ in PARAMETERS),
        "steps": str(STEPS),
        "torch_version": torch.__version__,
        "description": f"torch.optim.{kind}(params, **{kwargs!r}), {STEPS} steps",
    }
    for h in HYPERPARAMETERS[kind]:
        meta[f"hyper.{h}"] = metadata_value(defaults[h])
    return save(tensors, meta, out_dir, name)


def generate_clip(case, out_dir):
    name, scale, max_norm = case
    g = torch.Generator().manual_seed(seed_of(name))
    params = []
    tensors = {}
    for n, shape in PARAMETERS:
        p = torch.nn.Parameter(torch.zeros(shape))
        p.grad = torch.randn(shape, generator=g, dtype=torch.float32) * scale
        tensors[f"grad.{n}"] = p.grad.clone()
        params.append(p)
    if max_norm is None:
        max_norm = torch.nn.utils.get_total_norm([p.grad for p in params]).item()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    tensors["total_norm"] = total.detach().clone()  # 0-dim float32, as torch returns it
    for (n, _), p in zip(PARAMETERS, params):
        tensors[f"clipped.{n}"] = p.grad.clone()
    meta = {
        "format": FORMAT,
        "kind": "clip",
        "config": name,
        "max_norm": metadata_value(max_norm),
        "parameters": ",".join(n for n, _ in PARAMETERS),
        "torch_version": torch.__version__,
        "description": f"torch.nn.utils.clip_grad_norm_(params, {max_norm!r})",
    }
    return save(tensors, meta, out_dir, name)


def generate_schedule(case, out_dir):
    name, kind, kwargs, lr, metrics = case
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    scheduler = getattr(torch.optim.lr_scheduler, kind)(opt, **kwargs)
    lrs = [opt.param_groups[0]["lr"]]
    for step in range(SCHEDULE_STEPS):
        opt.step()  # no gradient: changes nothing, but keeps the scheduler's call-order check quiet
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[step])
        lrs.append(opt.param_groups[0]["lr"])
    tensors = {"lr": torch.tensor(lrs, dtype=torch.float64)}
    if metrics is not None:
        tensors["metric"] = torch.tensor(metrics, dtype=torch.float64)
    meta = {
        "format": FORMAT,
        "kind": "schedule",
        "scheduler": kind,
        "config": name,
        "lr": metadata_value(lr),
        "steps": str(SCHEDULE_STEPS),
        "torch_version": torch.__version__,
        "description": f"torch.optim.lr_scheduler.{kind}(SGD(lr={lr!r}), **{kwargs!r})",
    }
    # Every argument the scheduler was built with, defaults included, as hyper.<name>.
    for h in {"StepLR": ["step_size", "gamma"],
              "CosineAnnealingLR": ["T_max", "eta_min"],
              "ReduceLROnPlateau": ["mode", "factor", "patience", "threshold", "threshold_mode",
                                    "cooldown", "eps"]}[kind]:
        meta[f"hyper.{h}"] = metadata_value(getattr(scheduler, h))
    if kind == "ReduceLROnPlateau":
        meta["hyper.min_lr"] = metadata_value(scheduler.min_lrs[0])
    return save(tensors, meta, out_dir, name)


def replay(config, path):
    """The stored float32 values, run through torch again, reproduce the stored results exactly."""
    name, kind, kwargs = config
    t = load_file(path)
    initial = {n: t[f"param.{n}"] for n, _ in PARAMETERS}
    grads = [{n: t[f"grad.{s}.{n}"] for n, _ in PARAMETERS} for s in range(STEPS)]
    _, after, state = run_optimizer(kind, kwargs, initial, grads)
    for s in range(STEPS):
        for n, _ in PARAMETERS:
            assert torch.equal(after[s][n], t[f"expected.{s}.{n}"]), (name, s, n)
    assert set(state) == {k for k in t if k.startswith("state.")}, name
    assert all(torch.equal(v, t[k]) for k, v in state.items()), name


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "resources", "golden", "optim"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # bit-stable reference results

    names = [c[0] for c in OPTIMIZER_CONFIGS + CLIP_CASES + SCHEDULE_CASES]
    assert len(names) == len(set(names))
    paths = []
    for config in OPTIMIZER_CONFIGS:
        path = generate_optimizer(config, args.out)
        replay(config, path)
        paths.append(path)
    paths += [generate_clip(case, args.out) for case in CLIP_CASES]
    paths += [generate_schedule(case, args.out) for case in SCHEDULE_CASES]

    total = sum(os.path.getsize(p) for p in paths)
    for p in paths:
        print(f"{os.path.basename(p):<52} {os.path.getsize(p):>7} bytes")
    print(f"{len(paths)} files, {total} bytes, torch {torch.__version__}")


if __name__ == "__main__":
    main()
