"""The accuracy a converted CIFAR-10 ResNet cannot beat at T steps, computed in PyTorch from the
original checkpoint: every ReLU replaced by the spike count of its layer's neuron at a constant
input, rounded and clipped (v(0) = θ/2, reset by subtraction, r_max = 1, λ per channel from an
snnc conversion):

    a -> λ / T · clip(floor(T a / λ + 1/2), 0, T)

It is what the converted network computes with nothing lost in time. With signed spikes
(snnc --spikes signed) each neuron's net count after T steps is exactly floor(v(0) + summed
current) (docs/deep-networks.md), so a signed SNN reaches this accuracy as long as no neuron
needs more than one spike per step; a binary SNN falls short of it by what arrives out of
order. The gap between the ANN and this floor is the cost of λ and of T levels alone.

Run from the repository root (Debian's python3-torch):
    node bin/snnc convert models/cifar10-resnet32.onnx --data cifar10 --calibrate none \\
        --calib-timesteps 32 --v-init 0.5 --out /tmp/r32.snn.json
    /usr/bin/python3 training/quantised_floor.py \\
        ../shared/realmodels/torch-akamaster-resnet-cifar10/resnet32-d509ac18.th /tmp/r32.snn.json \\
        ~/.cache/snnc/cifar-10-batches-bin/test_batch.bin --timesteps 8,16,32
"""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F

from export_cifar10_resnet import MEAN, STD, load_checkpoint


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("conversion", help="an snnc .snn.json: λ per spiking layer and channel, in the order the ReLUs run")
    parser.add_argument("batch", help="a CIFAR-10 binary batch (1 label byte + 3072 CHW bytes per image)")
    parser.add_argument("--timesteps", default="32", help="comma-separated T")
    args = parser.parse_args()
    model, depth = load_checkpoint(args.checkpoint)
    lambdas = [torch.tensor(layer["lambda"]).view(1, -1, 1, 1) for layer in json.load(open(args.conversion))["calibration"]]
    data = np.fromfile(args.batch, dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(data[:, 0].astype(np.int64))
    x = data[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    x = torch.from_numpy((x - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None, None])
    relu = F.relu

    def predict(timesteps):
        layer = [0]

        def quantised(a):
            lam = lambdas[layer[0]]
            layer[0] += 1
            return lam / timesteps * torch.clamp(torch.floor(a * timesteps / lam + 0.5), 0, timesteps)

        out = []
        with torch.no_grad():
            for i in range(0, len(x), 500):
                layer[0] = 0
                # The model calls F.relu at run time: the quantiser stands in for it.
                F.relu = relu if timesteps is None else quantised
                try:
                    out.append(model(x[i : i + 500]).argmax(1))
                finally:
                    F.relu = relu
                if timesteps is not None and layer[0] != len(lambdas):
                    raise SystemExit(f"{args.conversion}: {len(lambdas)} spiking layers, the network ran {layer[0]} ReLUs")
        return torch.cat(out)

    ann = predict(None)
    print(f"ResNet-{depth}, {len(x)} images: ANN {100 * (ann == labels).float().mean():.2f}%")
    for t in [int(v) for v in args.timesteps.split(",")]:
        p = predict(t)
        print(f"  quantised to T = {t}: {100 * (p == labels).float().mean():.2f}% (agrees with the ANN on {100 * (p == ann).float().mean():.2f}%)")


if __name__ == "__main__":
    main()
