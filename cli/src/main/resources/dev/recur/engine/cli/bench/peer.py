"""The peers of `recur bench`: PyTorch's nn.LSTM / nn.GRU / nn.RNN, and ONNX Runtime running the
same module exported with torch.onnx.export, timed on the shapes Recur sends.

Shipped inside the Recur jar and run by it as: python peer.py THREADS
Protocol, one JSON object per line:
  out: {"torch": version, "onnxruntime": version or null, "onnxruntime_error": why not or null,
        "threads": n, "python": version, "cuda": GPU name or null, "cudnn": version or null}   once, at start
       or {"error": "..."} and exit code 3 when torch cannot be imported
  in:  {"engine": "torch" | "ort" | "torch-int8" | "torch-bf16" | "torch-host", "cell", "batch", "seq", "input", "hidden",
        "layers", "bidirectional", "mode", "device": "cpu" | "cuda", "rules": {...}}: on "cuda", PyTorch's
        module and input live on GPU 0 (cuDNN's RNN kernels), fp32 with TF32 off, or bfloat16 for
        "torch-bf16"; "torch-host": fp32 with the input uploaded from pinned host memory and the output
        downloaded in every run; each timed run ends with torch.cuda.synchronize()
       or {"engine": "ort-model", "model": path.onnx, "inputs": path.safetensors, "rules": {...}}: ONNX
        Runtime on a model file and its inputs by name (recur bench --model)
  out: {"median_ms", "min_ms", "max_ms", "samples"}, or {"refused": "..."} when the engine cannot
       run that shape (ONNX Runtime and int8 PyTorch do not train), or {"error": "..."}
until standard input closes. The timing rules are Recur's (Sampler.java), applied the same way.
"""
import io
import json
import sys
import time
import warnings


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import torch
except Exception as error:  # ImportError, or a broken install failing while loading its libraries
    reply({"error": f"cannot import torch ({type(error).__name__}: {error})"})
    sys.exit(3)

try:
    import onnxruntime
    import onnx  # noqa: F401  torch.onnx.export needs it
    ORT_ERROR = None
except Exception as error:
    onnxruntime = None
    ORT_ERROR = f"cannot import onnxruntime and onnx ({type(error).__name__}: {error})"


class Refused(Exception):
    """The engine cannot run this shape; said in the table, not an error."""


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


def torch_runner(model, x, mode):
    if mode == "inference":
        model.eval()

        def run():
            with torch.inference_mode():
                model(x)
        return run
    if mode == "training":
        model.train()

        def run():
            model.zero_grad()  # set_to_none, PyTorch's default
            out, _ = model(x)
            out.sum().backward()
        return run
    raise ValueError(f"unknown mode {mode!r}")


def host_io_runner(model, x_host, mode):
    """Each run: input up, the module, output down (and, training, the backward)."""
    if mode == "inference":
        model.eval()

        def run():
            with torch.inference_mode():
                out, _ = model(x_host.to("cuda", non_blocking=True))
                out.cpu()
        return run
    model.train()

    def train():
        model.zero_grad()
        out, _ = model(x_host.to("cuda", non_blocking=True))
        out.sum().backward()
        out.detach().cpu()
    return train


class Wrapper(torch.nn.Module):
    """quantize_dynamic swaps the LSTM/GRU children of a module, never the module it is given."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)


def torch_int8_runner(model, x, mode):
    """PyTorch's dynamic quantization: int8 weights (per tensor), activations quantized on the fly,
    fbgemm/x86 kernels. It covers nn.LSTM and nn.GRU, for inference."""
    if mode != "inference":
        raise Refused("torch.ao.quantization.quantize_dynamic is for inference only")
    if isinstance(model, torch.nn.RNN):
        raise Refused("torch.ao.quantization.quantize_dynamic quantizes nn.LSTM and nn.GRU, not nn.RNN")
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the eager-mode API is deprecated in favour of torchao
        quantized = torch.ao.quantization.quantize_dynamic(Wrapper(model), {torch.nn.LSTM, torch.nn.GRU},
                                                           dtype=torch.qint8)
    if type(quantized.rnn) is type(model):
        raise Refused("torch.ao.quantization.quantize_dynamic left the module in float")

    def run():
        with torch.inference_mode():
            quantized(x)
    return run


def ort_session(model, threads, what):
    """An InferenceSession on the CPU with all graph optimisations, `threads` intra-op threads, run
    sequentially; `model` is a path or the model's bytes. A model it cannot load is refused."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    try:
        return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as error:
        raise Refused(f"ONNX Runtime cannot load {what} ({type(error).__name__}: {str(error).splitlines()[0]})")


def ort_runner(model, x, mode, threads):
    """The module as a service would deploy it: torch.onnx.export (the TorchScript exporter, which
    writes ONNX's LSTM/GRU/RNN operators), then an InferenceSession with all graph optimisations."""
    if onnxruntime is None:
        raise Refused(ORT_ERROR)
    if mode != "inference":
        raise Refused("ONNX Runtime's InferenceSession runs inference only")
    model.eval()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), buffer, input_names=["x"], output_names=["y"], opset_version=17,
                              dynamo=False)
    except Exception as error:
        raise Refused(f"torch.onnx.export failed ({type(error).__name__}: {str(error).splitlines()[0]})")
    session = ort_session(buffer.getvalue(), threads, "the exported model")
    feed = {"x": x.numpy()}
    # Time only a model that computes what PyTorch computes.
    with torch.inference_mode():
        expected = model(x)[0].numpy()
    got = session.run(None, feed)[0]
    error = float(((got - expected) ** 2).sum() ** 0.5 / max(float((expected ** 2).sum() ** 0.5), 1e-30))
    if not error <= 1e-4:
        raise ValueError(f"ONNX Runtime's output differs from PyTorch's (relative L2 error {error:.2e})")

    def run():
        session.run(None, feed)
    return run


def ort_model_runner(request, threads):
    """ONNX Runtime on a model file as it is, fed the tensors of a safetensors file by name."""
    if onnxruntime is None:
        raise Refused(ORT_ERROR)
    from safetensors.numpy import load_file
    session = ort_session(request["model"], threads, "the model")
    feed = load_file(request["inputs"])

    def run():
        session.run(None, feed)
    run()
    return run


def on_cuda(model, x, engine, mode):
    """The module on GPU 0 (fp32 without TF32, or bf16), each run ended by a synchronize. The input
    lives there too, except for torch-host: it comes from pinned host memory and the output goes
    back to the host in every run, as a service's request would (Recur's --device cuda run does so)."""
    if not torch.cuda.is_available():
        raise Refused("PyTorch sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dtype = torch.bfloat16 if engine == "torch-bf16" else torch.float32
    model = model.to("cuda", dtype)
    if engine == "torch-host":
        return host_io_runner(model, x.pin_memory(), mode)
    x = x.to("cuda", dtype)
    run = torch_runner(model, x, mode)

    def synchronized():
        run()
        torch.cuda.synchronize()
    return synchronized


def run_shape(shape, threads):
    if shape.get("engine") == "ort-model":
        return measure(ort_model_runner(shape, threads), shape["rules"])
    torch.manual_seed(42)
    model = build(shape).float()
    generator = torch.Generator().manual_seed(7)
    x = torch.rand(shape["seq"], shape["batch"], shape["input"], generator=generator, dtype=torch.float32) * 2 - 1
    engine = shape.get("engine", "torch")
    if shape.get("device", "cpu") == "cuda":
        if engine not in ("torch", "torch-bf16", "torch-host"):
            raise Refused(f"{engine} runs on the CPU only")
        run = on_cuda(model, x, engine, shape["mode"])
    elif engine in ("torch-bf16", "torch-host"):
        raise Refused(f"{engine} runs beside --device cuda only")
    elif engine == "torch":
        run = torch_runner(model, x, shape["mode"])
    elif engine == "ort":
        run = ort_runner(model, x, shape["mode"], threads)
    elif engine == "torch-int8":
        run = torch_int8_runner(model, x, shape["mode"])
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return measure(run, shape["rules"])


def main():
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    cuda = torch.cuda.is_available()
    reply({"torch": torch.__version__, "onnxruntime": onnxruntime.__version__ if onnxruntime else None,
           "onnxruntime_error": ORT_ERROR, "threads": torch.get_num_threads(), "python": sys.version.split()[0],
           "cuda": torch.cuda.get_device_name(0) if cuda else None,
           "cudnn": torch.backends.cudnn.version() if cuda else None})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply(run_shape(json.loads(line), threads))
        except Refused as why:
            reply({"refused": str(why)})
        except Exception as error:  # reported to Recur, which stops with one line
            reply({"error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
