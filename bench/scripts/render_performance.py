#!/usr/bin/env python3
"""Renders docs/performance.md from docs/performance.template.md and the committed results.

The template is the only hand-written part (method, roofline, explanations); every number comes
from a results file named by a directive on a line of its own:

    {{bench-table PATH}}    a `recur bench --json` suite file: one row per shape, each peer, the target
    {{bench-summary PATH}}  how many shapes of that file meet each target of issue 14
    {{include PATH}}        a text file verbatim (JMH summaries, SGEMM runs), in a code block
    {{image PATH}}          a chart (path relative to the repository root)

Usage: render_performance.py TEMPLATE OUTPUT (paths relative to the repository root).
Writes OUTPUT atomically; fails with one line naming the directive when a file is missing.
"""
import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRECTIVE = re.compile(r"^\{\{(bench-table|bench-summary|include|image) (\S+)\}\}\s*$")


def target(row, bf16=False):
    """Issue 14's target for a shape, as (name, which ratio, required value), or None. Inference is
    held to the faster of the fp32 peers measured (best_peer_ratio), training to PyTorch (ONNX
    Runtime does not train); with bf16 weights, batch 1 at H >= 512 to ONNX Runtime (2.0), and
    nothing else."""
    c = row["config"]
    if bf16:
        return ("bf16, B = 1, H ≥ 512", "ort", 2.0) if c["batch"] == 1 and c["hidden"] >= 512 else None
    if c["mode"] == "training":
        return "training", "torch", 1.0
    if c["batch"] <= 4:
        return "inference B ≤ 4", "best", 1.3
    return "inference B > 4", "best", 1.0


def peer(row, name):
    """A peer's entry: its timing with "ratio", {"refused": why}, or None. Files written before the
    ONNX Runtime peer keep torch's ratio at the top level."""
    p = row.get(name)
    if p is not None and "ratio" not in p and "refused" not in p and name == "torch":
        p = dict(p, ratio=row.get("ratio"))
    return p


def ratio(row, which):
    if which == "best":
        if "best_peer_ratio" in row:
            return row["best_peer_ratio"]
        which = "torch"
    p = peer(row, which)
    return p.get("ratio") if p else None


def load(path):
    with open(os.path.join(ROOT, path)) as f:
        return json.load(f)


def fmt_ms(x):
    return f"{x:.3g}" if x < 10 else f"{x:.1f}"


def peer_cells(p):
    if p is None:
        return ["–", "–"]
    if "refused" in p:
        return ["refused", "–"]
    return [f"{fmt_ms(p['median_ms'])} ({fmt_ms(p['min_ms'])}–{fmt_ms(p['max_ms'])})", f"{p['ratio']:.2f}"]


PEERS = ("torch", "ort", "torch-int8")
NAMES = {"torch": "PyTorch", "ort": "ONNX Runtime", "torch-int8": "PyTorch int8"}


def is_bf16(d):
    return d["machine"].get("algorithm") == "fused-bf16"


def bench_table(path):
    d = load(path)
    m = d["machine"]
    bf16 = is_bf16(d)
    peers = [n for n in PEERS if any(peer(r, n) for r in d["results"])]
    versions = {"torch": f"PyTorch {m.get('torch_version')}", "ort": f"ONNX Runtime {m.get('onnxruntime_version')}",
                "torch-int8": f"PyTorch {m.get('torch_version')} int8 (quantize_dynamic)"}
    peer_threads = m.get("peer_threads", m.get("torch_threads"))
    out = [f"Command: `{d['command']}` ({d['date']}; {m['cpu_model']}, {m['cores']} cores, "
           f"{m['vector_bits']}-bit vectors, JDK {m['jdk_version']}, {m['threads']} threads"
           f"{', bf16 weights' if bf16 else ''}; "
           f"{', '.join(versions[n] for n in peers)} with {peer_threads} threads). Raw: `{path}`.", ""]
    header = ["cell", "mode", "B", "T", "I", "H", "Recur ms (min–max)", "GFLOP/s"]
    align = ["---", "---", "--:", "--:", "--:", "--:", "--:", "--:"]
    names = NAMES
    for n in peers:
        header += [f"{names[n]} ms (min–max)", f"{n}/recur"]
        align += ["--:", "--:"]
    header += ["target", "met"]
    align += ["--", ":-:"]
    out += ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    refusals = []
    for r in d["results"]:
        c, rc = r["config"], r["recur"]
        goal = target(r, bf16)
        name, which, need = goal if goal else (None, None, None)
        got = ratio(r, which) if goal else None
        met = "–" if got is None else ("yes" if got >= need else "**no**")
        cells = [c["cell"], c["mode"], str(c["batch"]), str(c["seq"]), str(c["input"]), str(c["hidden"]),
                 f"{fmt_ms(rc['median_ms'])} ({fmt_ms(rc['min_ms'])}–{fmt_ms(rc['max_ms'])})", f"{rc['gflops']:.0f}"]
        for n in peers:
            p = peer(r, n)
            cells += peer_cells(p)
            if p and "refused" in p and f"{names[n]}: {p['refused']}" not in refusals:
                refusals.append(f"{names[n]}: {p['refused']}")
        label = "best peer/recur" if which == "best" else f"{which}/recur"
        cells += ["–" if goal is None else f"{label} ≥ {need:g}" + ("" if got is None else f" ({got:.2f})"), met]
        out.append("| " + " | ".join(cells) + " |")
    if refusals:
        out += ["", "Refused: " + "; ".join(refusals) + "."]
    return out


def bench_summary(path):
    d = load(path)
    groups = {}
    for r in d["results"]:
        goal = target(r, is_bf16(d))
        if goal is None:
            continue
        name, which, need = goal
        got = ratio(r, which)
        if got is None:
            continue
        groups.setdefault((name, which, need), []).append(got)
    out = ["| target | shapes | met | worst ratio | median ratio | best ratio |", "|---|--:|--:|--:|--:|--:|"]
    for (name, which, need), ratios in sorted(groups.items()):
        ratios.sort()
        met = sum(1 for x in ratios if x >= need)
        label = "best peer/recur" if which == "best" else f"{which}/recur"
        out.append(f"| {name}: {label} ≥ {need:g} | {len(ratios)} | {met} | {ratios[0]:.2f} | "
                   f"{ratios[len(ratios) // 2]:.2f} | {ratios[-1]:.2f} |")
    return out


def include(path):
    with open(os.path.join(ROOT, path)) as f:
        text = f.read().rstrip("\n")
    return [f"From `{path}`:", "", "```", text, "```"]


def image(path):
    return [f"![{os.path.basename(path)}](../{path})"]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: render_performance.py TEMPLATE OUTPUT")
    template, output = sys.argv[1], sys.argv[2]
    lines = ["<!-- Generated by bench/scripts/render_performance.py from " + template + "; do not edit by hand. -->", ""]
    with open(os.path.join(ROOT, template)) as f:
        for number, line in enumerate(f, 1):
            m = DIRECTIVE.match(line)
            if not m:
                lines.append(line.rstrip("\n"))
                continue
            kind, path = m.groups()
            try:
                lines += {"bench-table": bench_table, "bench-summary": bench_summary,
                          "include": include, "image": image}[kind](path)
            except (OSError, KeyError, ValueError) as e:
                sys.exit(f"{template}:{number}: {{{{{kind} {path}}}}}: {e}")
    target_path = os.path.join(ROOT, output)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target_path), prefix=".performance.", suffix=".md")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, target_path)


if __name__ == "__main__":
    main()
