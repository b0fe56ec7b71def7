"""The PyTorch peer of `recur bench`: times nn.LSTM / nn.GRU / nn.RNN on the shapes Recur sends.

Shipped inside the Recur jar and run by it as: python torch_peer.py THREADS
Protocol, one JSON object per line:
  out: {"torch": version, "threads": n, "python": version}    once, at start
       or {"error": "..."} and exit code 3 when torch cannot be imported
  in:  {"cell", "batch", "seq", "input", "hidden", "layers", "bidirectional", "mode", "rules": {...}}
  out: {"median_ms", "min_ms", "max_ms", "samples"} or {"error": "..."}
until standard input closes. The timing rules are Recur's (Sampler.java), applied the same way.
"""
import json
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import torch
except Exception as error:  # ImportError, or a broken install failing while loading its libraries
    reply({"error": f"cannot import torch ({type(error).__name__}: {error})"})
    sys.exit(3)


def build(shape):
    cell, kwargs = shape["cell"], dict(input_size=shape["input"], hidden_size=shape["hidden"],
                                      num_layers=shape["layers"], bidirectional=shape["bidirectional"])
    if cell == "lstm":
        return torch.nn.LSTM(**kwargs)
    if cell == "gru":
        return torch.nn.GRU(**kwargs)
    if cell in ("rnn_tanh", "rnn_relu"):
        return torch.nn.RNN(nonlinearity=cell[4:], **kwargs)
    raise ValueError(f"unknown cell {cell!r}")


def window_median(run, rules, clock):
    """Median ms of one settling window: at least 3 runs and settleWindowNanos."""
    times, start = [], clock()
    t1 = start
    while len(times) < 3 or t1 - start < rules["settleWindowNanos"]:
        t0 = clock()
        run()
        t1 = clock()
        times.append((t1 - t0) / 1e6)
    return median_of(times)


def median_of(values):
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def measure(run, rules):
    """Recur's Sampler: warm-up, settling, then samples until target count or budget, never fewer than min."""
    clock = time.perf_counter_ns
    start, i = clock(), 0
    while i < rules["warmupRuns"] or clock() - start < rules["warmupNanos"]:
        run()
        i += 1
    if rules["settleWindowNanos"] > 0 and clock() - start < rules["maxWarmupNanos"]:
        previous = window_median(run, rules, clock)
        while clock() - start < rules["maxWarmupNanos"]:
            current = window_median(run, rules, clock)
            if current >= previous * (1 - rules["settleTolerance"]):
                break
            previous = current
    samples, start = [], clock()
    while True:
        t0 = clock()
        run()
        t1 = clock()
        samples.append((t1 - t0) / 1e6)
        n = len(samples)
        if n >= rules["targetSamples"] or (n >= rules["minSamples"] and t1 - start >= rules["budgetNanos"]):
            break
    return {"median_ms": median_of(samples), "min_ms": min(samples), "max_ms": max(samples), "samples": len(samples)}


def run_shape(shape):
    torch.manual_seed(42)
    model = build(shape).float()
    generator = torch.Generator().manual_seed(7)
    x = torch.rand(shape["seq"], shape["batch"], shape["input"], generator=generator, dtype=torch.float32) * 2 - 1
    if shape["mode"] == "inference":
        model.eval()

        def run():
            with torch.inference_mode():
                model(x)
    elif shape["mode"] == "training":
        model.train()

        def run():
            model.zero_grad()  # set_to_none, PyTorch's default
            out, _ = model(x)
            out.sum().backward()
    else:
        raise ValueError(f"unknown mode {shape['mode']!r}")
    return measure(run, shape["rules"])


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    reply({"torch": torch.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0]})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply(run_shape(json.loads(line)))
        except Exception as error:  # reported to Recur, which stops with one line
            reply({"error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
