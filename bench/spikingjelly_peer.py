"""SpikingJelly's ann2snn on the network snnc benchmarks (npm run bench:peer runs this).

Reads what src/bench/peer.ts wrote into a folder: the network's weights (network.json: the
shipped MNIST CNN after snnc folded its batch norms, with ReLU where snnc has its spiking
layers) and the preprocessed images as raw float32 (calib.f32: calibration images [N,1,28,28],
test.f32 / test-labels.u8: the test images). Converts with mode 'max' on the calibration
images, then times the SNN at T steps on the test images in batches, and prints one JSON line:
{"snnSeconds", "annSeconds", "accuracyAtT", "annAccuracy", "torch", "threads"}.

    python3 bench/spikingjelly_peer.py DIR --timesteps 32 --batch 100 --threads 2
"""

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
from spikingjelly.activation_based import ann2snn, functional


def build(spec):
    layers = []
    for layer in spec["layers"]:
        kind = layer["kind"]
        if kind == "conv":
            w = torch.tensor(layer["weight"], dtype=torch.float32).reshape(layer["dims"])
            conv = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), stride=tuple(layer["strides"]), padding=tuple(layer["pads"]))
            conv.weight.data = w
            conv.bias.data = torch.tensor(layer["bias"], dtype=torch.float32)
            layers.append(conv)
        elif kind == "dense":
            w = torch.tensor(layer["weight"], dtype=torch.float32).reshape(layer["dims"])
            fc = nn.Linear(w.shape[1], w.shape[0])
            fc.weight.data = w
            fc.bias.data = torch.tensor(layer["bias"], dtype=torch.float32)
            layers.append(fc)
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "avgpool":
            layers.append(nn.AvgPool2d(tuple(layer["kernel"]), tuple(layer["strides"])))
        elif kind == "flatten":
            layers.append(nn.Flatten())
        else:
            raise SystemExit(f"spikingjelly_peer.py: layer kind {kind!r} not supported")
    return nn.Sequential(*layers).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--timesteps", type=int, default=32)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.dir, "network.json")) as f:
        spec = json.load(f)
    shape = spec["inputShape"]
    calib = torch.from_numpy(np.fromfile(os.path.join(a.dir, "calib.f32"), dtype=np.float32).reshape(-1, *shape))
    test = torch.from_numpy(np.fromfile(os.path.join(a.dir, "test.f32"), dtype=np.float32).reshape(-1, *shape))
    labels = torch.from_numpy(np.fromfile(os.path.join(a.dir, "test-labels.u8"), dtype=np.uint8).astype(np.int64))
    ann = build(spec)
    loader = [(calib[i : i + a.batch], torch.zeros(0)) for i in range(0, len(calib), a.batch)]
    with torch.no_grad():
        began = time.perf_counter()
        ann_correct = 0
        for i in range(0, len(test), a.batch):
            ann_correct += int((ann(test[i : i + a.batch]).argmax(1) == labels[i : i + a.batch]).sum())
        ann_seconds = time.perf_counter() - began
        snn = ann2snn.Converter(mode="max", dataloader=loader)(ann)
        snn.eval()
        correct = 0
        began = time.perf_counter()
        for i in range(0, len(test), a.batch):
            x = test[i : i + a.batch]
            functional.reset_net(snn)
            out = 0
            for _ in range(a.timesteps):
                out = out + snn(x)
            correct += int((out.argmax(1) == labels[i : i + a.batch]).sum())
        snn_seconds = time.perf_counter() - began
    print(json.dumps({
        "snnSeconds": snn_seconds,
        "annSeconds": ann_seconds,
        "accuracyAtT": correct / len(test),
        "annAccuracy": ann_correct / len(test),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
