"""NIR files through NIR's reference Python library (nir.read / nir.write), for the tests.

    python3 nir_tool.py describe <file.nir> [--no-type-check]
        nir.read (with its type check unless told) and print the graph as JSON: node types, parameter
        shapes and values (small ones) or sums, edges, input and output types.
    python3 nir_tool.py simulate <file.nir> <inputs.f32> <count> <steps>
        Run the graph on `count` inputs (float32, each the Input node's shape, held at every
        step) for `steps` steps and print JSON: the Output at every step, and every spiking
        node's spike count per neuron. Written from NIR's documented equations, not from snnc.
    python3 nir_tool.py write <dir>
        Write small NIR graphs with nir.write, as another framework would (import tests).

The simulation reads signals as snnc's files document (graph metadata `time_convention`):
a step lasts dt, and every signal (input, currents, spikes as pulses of height 1) is held
over it. A node receives the sum of its incoming edges. Over one step, exactly:
    I    dv/dt = R I                       v <- v + R dt I                  output v
    LI   tau dv/dt = (v_leak - v) + R I    v <- v_leak + (v - v_leak) a + R (1 - a) I,  a = exp(-dt/tau)
    IF   as I, then z = [v > v_threshold], v <- v_reset where z
    LIF  as LI, then z = [v > v_threshold], v <- v_reset where z
dt is the graph metadata's dt_s, else 1. Everything is float64.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.environ.get("SNNC_NIR_PYTHON", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "python")))
import nir  # noqa: E402

# nir reads its version from the installed package's metadata; loaded from a folder it has
# none, and nir.write needs it.
if not hasattr(nir, "version"):
    nir.version = "1.0.7"


def small(a):
    a = np.asarray(a)
    if a.size <= 64:
        return a.astype(float).ravel().tolist() if a.dtype.kind in "fiu" else [str(x) for x in a.ravel()]
    return None


def describe(path, type_check=True):
    g = nir.read(path, type_check=type_check)
    nodes = {}
    for name, n in g.nodes.items():
        params = {}
        for key, value in vars(n).items():
            if key in ("metadata", "input_type", "output_type") or value is None:
                continue
            a = np.asarray(value)
            params[key] = {"shape": list(a.shape), "values": small(a), "sum": float(a.astype(float).sum()) if a.dtype.kind in "fiu" else None}
        nodes[name] = {
            "type": type(n).__name__,
            "params": params,
            "input_type": {k: np.asarray(v).tolist() for k, v in (n.input_type or {}).items() if v is not None},
            "output_type": {k: np.asarray(v).tolist() for k, v in (n.output_type or {}).items() if v is not None},
            "metadata": sorted(n.metadata.keys()) if isinstance(n.metadata, dict) else [],
        }
    meta = g.metadata if isinstance(g.metadata, dict) else {}
    print(json.dumps({"nodes": nodes, "edges": [list(e) for e in g.edges], "metadata": sorted(meta.keys())}))


# ---- the simulation -------------------------------------------------------------------


def pair(x):
    a = np.asarray(x).ravel()
    return (int(a[0]), int(a[0])) if a.size == 1 else (int(a[0]), int(a[1]))


def conv2d(n, x):
    """x [B, C, H, W] -> [B, O, Ho, Wo]; cross-correlation as in NIR's Conv2d (torch's convention)."""
    w = np.asarray(n.weight, dtype=np.float64)
    (sh, sw), (ph, pw), (dh, dw) = pair(n.stride), pair(n.padding), pair(n.dilation)
    groups = int(np.asarray(n.groups).ravel()[0])
    o, cin_g, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cin_g:(g + 1) * cin_g]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("bchw,oc->bohw", patch, w[g * og:(g + 1) * og, :, i, j])
    return out + np.asarray(n.bias, dtype=np.float64).reshape(1, -1, 1, 1)


def pool(n, x, average):
    (kh, kw), (sh, sw), (ph, pw) = pair(n.kernel_size), pair(n.stride), pair(n.padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (xp.shape[2] - kh) // sh + 1
    wo = (xp.shape[3] - kw) // sw + 1
    out = np.zeros((x.shape[0], x.shape[1], ho, wo))
    for i in range(kh):
        for j in range(kw):
            out += xp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
    return out / (kh * kw) if average else out


def flatten(n, x):
    """NIR's start_dim / end_dim count the axes of one sample (no batch axis), as nir's type inference does."""
    rank = x.ndim - 1
    start = int(n.start_dim) % rank
    end = int(n.end_dim) % rank
    shape = x.shape[1:]
    return x.reshape((x.shape[0], *shape[:start], int(np.prod(shape[start:end + 1])), *shape[end + 1:]))


def order_of(g):
    preds = {k: [] for k in g.nodes}
    for a, b in g.edges:
        preds[b].append(a)
    order, done = [], set()
    while len(order) < len(g.nodes):
        ready = [k for k in g.nodes if k not in done and all(p in done for p in preds[k])]
        if not ready:
            raise SystemExit("simulate: the graph has a cycle")
        for k in ready:
            order.append(k)
            done.add(k)
    return order, preds


def simulate(path, inputs, count, steps):
    g = nir.read(path)
    meta = g.metadata if isinstance(g.metadata, dict) else {}
    dt = float(meta.get("dt_s", 1.0))
    order, preds = order_of(g)
    (input_name,) = [k for k, n in g.nodes.items() if isinstance(n, nir.Input)]
    (output_name,) = [k for k, n in g.nodes.items() if isinstance(n, nir.Output)]
    shape = [int(s) for s in np.asarray(g.nodes[input_name].input_type["input"]).ravel()]
    x = np.fromfile(inputs, dtype=np.float32).astype(np.float64).reshape([count, *shape])
    state, counts, outputs = {}, {}, []
    for _ in range(steps):
        values = {}
        for name in order:
            n = g.nodes[name]
            if isinstance(n, nir.Input):
                values[name] = x
                continue
            s = sum(values[p] for p in preds[name])
            if isinstance(n, nir.Output):
                y = s
            elif isinstance(n, nir.Conv2d):
                y = conv2d(n, s)
            elif isinstance(n, nir.Affine):
                y = s @ np.asarray(n.weight, dtype=np.float64).T + np.asarray(n.bias, dtype=np.float64)
            elif isinstance(n, nir.Linear):
                y = s @ np.asarray(n.weight, dtype=np.float64).T
            elif isinstance(n, nir.Scale):
                y = s * np.asarray(n.scale, dtype=np.float64)
            elif isinstance(n, (nir.SumPool2d, nir.AvgPool2d)):
                y = pool(n, s, isinstance(n, nir.AvgPool2d))
            elif isinstance(n, nir.Flatten):
                y = flatten(n, s)
            elif isinstance(n, (nir.I, nir.LI, nir.IF, nir.LIF)):
                v = state.get(name, np.zeros_like(s))
                r = np.asarray(n.r, dtype=np.float64)
                if isinstance(n, (nir.LI, nir.LIF)):
                    a = np.exp(-dt / np.asarray(n.tau, dtype=np.float64))
                    leak = np.asarray(n.v_leak, dtype=np.float64)
                    v = leak + (v - leak) * a + r * (1 - a) * s
                else:
                    v = v + r * dt * s
                if isinstance(n, (nir.IF, nir.LIF)):
                    z = v > np.asarray(n.v_threshold, dtype=np.float64)
                    v = np.where(z, np.asarray(n.v_reset, dtype=np.float64), v)
                    counts[name] = counts.get(name, 0) + z
                    y = z.astype(np.float64)
                else:
                    y = v
                state[name] = v
            else:
                raise SystemExit(f"simulate: node {name}: NIR type {type(n).__name__} not implemented")
            values[name] = y
        outputs.append(values[output_name].reshape(count, -1).tolist())
    print(json.dumps({"outputs": outputs, "counts": {k: v.reshape(count, -1).astype(int).tolist() for k, v in counts.items()}}))


# ---- graphs written by nir.write -------------------------------------------------------


def write(folder):
    rng = np.random.default_rng(7)
    f = lambda *shape: rng.normal(0, 0.5, shape).astype(np.float32)  # noqa: E731
    # A small CNN on [1, 6, 6], as a torch framework would export it (Flatten start_dim 0 in
    # NIR's axes, IF with r = 1, an LI readout).
    cnn = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
            "conv": nir.Conv2d(input_shape=(6, 6), weight=f(4, 1, 3, 3), stride=1, padding=1, dilation=1, groups=1, bias=f(4)),
            "lif1": nir.IF(r=np.ones((4, 6, 6), np.float32), v_threshold=np.ones((4, 6, 6), np.float32), v_reset=np.zeros((4, 6, 6), np.float32)),
            "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
            "scale": nir.Scale(scale=np.full((4, 3, 3), 0.25, np.float32)),
            "flat": nir.Flatten(input_type={"input": np.array([4, 3, 3])}, start_dim=0, end_dim=-1),
            "fc": nir.Affine(weight=f(5, 36), bias=f(5)),
            "lif2": nir.LIF(tau=np.full(5, 5.0, np.float32), r=np.ones(5, np.float32), v_leak=np.zeros(5, np.float32), v_threshold=np.full(5, 0.5, np.float32), v_reset=np.zeros(5, np.float32)),
            "out_fc": nir.Linear(weight=f(3, 5)),
            "li": nir.LI(tau=np.full(3, 1e9, np.float32), r=np.ones(3, np.float32), v_leak=np.zeros(3, np.float32)),
            "output": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "scale"), ("scale", "flat"), ("flat", "fc"), ("fc", "lif2"), ("lif2", "out_fc"), ("out_fc", "li"), ("li", "output")],
        metadata={"dt_s": 1.0},
    )
    nir.write(os.path.join(folder, "cnn.nir"), cnn)
    # A graph with a node snnc cannot run (a Delay).
    delay = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([3])}),
            "fc": nir.Affine(weight=f(3, 3), bias=f(3)),
            "wait": nir.Delay(delay=np.ones(3, np.float32)),
            "output": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("input", "fc"), ("fc", "wait"), ("wait", "output")],
    )
    nir.write(os.path.join(folder, "delay.nir"), delay)
    # CubaLIF, with a synaptic time constant negligible against the step and one that is not.
    for name, tau_syn in (("cuba.nir", 1e-4), ("cuba-slow.nir", 0.5)):
        ones = np.ones(3, np.float32)
        cuba = nir.NIRGraph(
            nodes={
                "input": nir.Input(input_type={"input": np.array([3])}),
                "fc": nir.Affine(weight=f(3, 3), bias=f(3)),
                "cuba": nir.CubaLIF(tau_syn=ones * tau_syn, tau_mem=ones * 4, r=ones, v_leak=ones * 0, v_threshold=ones, v_reset=ones * 0, w_in=ones * 2),
                "out": nir.Linear(weight=f(2, 3)),
                "output": nir.Output(output_type={"output": np.array([2])}),
            },
            edges=[("input", "fc"), ("fc", "cuba"), ("cuba", "out"), ("out", "output")],
            metadata={"dt_s": 1.0},
        )
        nir.write(os.path.join(folder, name), cuba)
    print(json.dumps({"written": ["cnn.nir", "delay.nir", "cuba.nir", "cuba-slow.nir"]}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "describe":
        describe(sys.argv[2], type_check="--no-type-check" not in sys.argv[3:])
    elif cmd == "simulate":
        simulate(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "write":
        write(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {cmd}")
