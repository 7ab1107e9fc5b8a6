"""Shared pieces of the snnc training scripts: IDX loading, the CNN builder,
a seeded training loop, evaluation and ONNX export."""

import argparse
import gzip
import os
import struct
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

# Element types of the IDX format (third byte of the magic number).
IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (plain or .gz) into a numpy array of its stored shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code not in IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=IDX_DTYPES[dtype_code], offset=4 + 4 * ndim).reshape(shape)


def load_split(images_path, labels_path):
    """Images as float32 NCHW in [0, 1] (pixel/255, no mean/std: this is exactly
    the snnc default input preprocessing) and labels as int64."""
    images = read_idx(images_path).astype(np.float32) / 255.0
    labels = read_idx(labels_path).astype(np.int64)
    return torch.from_numpy(images[:, None, :, :]), torch.from_numpy(labels)


class FlattenLinear(nn.Linear):
    """Flatten followed by Linear; exports (in eval mode) as ONNX Flatten + Gemm.

    In training mode the same product is computed as a convolution whose kernel
    covers the whole feature map. Debian's torch links the single-threaded
    reference BLAS, which made nn.Linear's matmuls over half of each training
    step, while convolutions run on oneDNN and are ~5x faster here. Both paths
    use the same weight, so the results agree up to float rounding."""

    def __init__(self, in_shape, out_features):
        channels, height, width = in_shape
        super().__init__(channels * height * width, out_features)
        self.in_shape = in_shape

    def forward(self, x):
        if self.training:
            kernel = self.weight.view(self.out_features, *self.in_shape)
            return F.conv2d(x, kernel, self.bias).flatten(1)
        return F.linear(x.flatten(1), self.weight, self.bias)


class FloorSTE(torch.autograd.Function):
    """floor() forward, identity backward (straight-through estimator)."""

    @staticmethod
    def forward(ctx, x):
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class QCFS(nn.Module):
    """Quantisation-clip-floor-shift activation (Bu et al. 2022) for low-latency conversion:

        training:  h(x) = lam * clip(floor(x L / lam + 1/2) / L, 0, 1)   (lam trainable)
        inference: h(x) = clip(x, 0, lam)                              (exported as Clip(0, lam))

    Training through L quantisation levels makes the network robust to the rate
    quantisation of an SNN run for about L timesteps, and the trained ceiling lam
    bounds the activations, so that lam maps to the highest firing rate without
    clipping anything. The exported model is a plain ReLU network with ceilings."""

    def __init__(self, levels, init=4.0):
        super().__init__()
        self.levels = levels
        self.lam = nn.Parameter(torch.tensor(float(init)))

    def forward(self, x):
        if not self.training:
            return torch.clamp(x, 0.0, float(self.lam))
        y = torch.clamp(x / self.lam, 0.0, 1.0)
        return FloorSTE.apply(y * self.levels + 0.5) / self.levels * self.lam


def build_cnn(conv_channels, hidden, pool="avg", dropout=0.3, num_classes=10, levels=0):
    """Conv(3x3, pad 1)-BatchNorm-ReLU-Pool2 per entry of conv_channels, then
    Flatten-Linear-ReLU-Dropout-Linear. Outputs raw logits (no softmax).

    Average pooling is the default since it is a linear op that maps directly
    to a spiking layer; max pooling is kept for comparison. levels > 0 replaces
    each ReLU by QCFS with that many quantisation levels."""
    act = (lambda: QCFS(levels)) if levels > 0 else nn.ReLU
    # count_include_pad=False changes nothing without padding, but stops the
    # exporter from emitting a no-op Pad node in front of every AveragePool.
    pool_layers = {"avg": lambda: nn.AvgPool2d(2, count_include_pad=False),
                   "max": lambda: nn.MaxPool2d(2)}
    layers, in_ch, size = [], 1, 28
    for out_ch in conv_channels:
        layers += [
            nn.Conv2d(in_ch, out_ch, 3, padding=1),
            nn.BatchNorm2d(out_ch),
            act(),
            pool_layers[pool](),
        ]
        in_ch, size = out_ch, size // 2
    layers += [
        FlattenLinear((in_ch, size, size), hidden),
        act(),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    ]
    return nn.Sequential(*layers)


def augment(x, max_shift, hflip):
    """Random integer translation of each image by up to ±max_shift pixels
    (zero fill), plus an optional random horizontal flip."""
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4)
    dy = torch.randint(0, 2 * max_shift + 1, (n,))
    dx = torch.randint(0, 2 * max_shift + 1, (n,))
    rows = (torch.arange(h) + dy[:, None])[:, :, None]
    cols = (torch.arange(w) + dx[:, None])[:, None, :]
    out = padded[torch.arange(n)[:, None, None], 0, rows, cols][:, None]
    if hflip:
        flip = torch.rand(n) < 0.5
        out[flip] = out[flip].flip(-1)
    return out


@torch.no_grad()
def evaluate(model, x, y, batch_size=1000):
    """Top-1 accuracy of the model in eval mode (BatchNorm running stats, no dropout)."""
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += (model(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum().item()
    return correct / len(x)


def train(model, train_set, test_set, epochs, lr, batch_size, max_shift, hflip):
    """Adam with a per-step cosine decay of the learning rate to zero.
    Randomness (shuffling, augmentation, dropout) all comes from the global torch
    RNG, so a fixed seed gives a reproducible run."""
    x, y = train_set
    steps_per_epoch = (len(x) + batch_size - 1) // batch_size
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    for epoch in range(1, epochs + 1):
        model.train()
        start, total_loss = time.time(), 0.0
        for idx in torch.randperm(len(x)).split(batch_size):
            loss = F.cross_entropy(model(augment(x[idx], max_shift, hflip)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(idx)
        acc = evaluate(model, *test_set)
        print(f"epoch {epoch:2d}  loss {total_loss / len(x):.4f}  test acc {acc:.4f}  "
              f"({time.time() - start:.0f}s)", flush=True)


def export_onnx(model, path):
    """Export in inference mode with BatchNormalization kept as separate nodes.

    TrainingMode.PRESERVE (with the model already in eval mode) is needed on top
    of do_constant_folding=False: with the default TrainingMode.EVAL the exporter
    runs an eval peephole pass that fuses BatchNorm into the preceding Conv."""
    model.eval()
    out_dir = os.path.dirname(path)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    torch.onnx.export(
        model,
        torch.zeros(1, 1, 28, 28),
        path,
        opset_version=13,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        do_constant_folding=False,
        training=torch.onnx.TrainingMode.PRESERVE,
    )
    onnx.checker.check_model(onnx.load(path))


def main(description, load_data, conv_channels, hidden, epochs, out, lr=2e-3, hflip=False, levels=8):
    """Command-line entry point shared by the per-dataset scripts; the
    arguments after load_data are the dataset's defaults."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", choices=["avg", "max"], default="avg")
    parser.add_argument("--levels", type=int, default=levels,
                        help="QCFS quantisation levels L during training (0: plain ReLU)")
    parser.add_argument("--out", default=out)
    args = parser.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)

    train_set, test_set = load_data()
    model = build_cnn(conv_channels, hidden, args.pool, levels=args.levels)
    start = time.time()
    train(model, train_set, test_set, args.epochs, lr, batch_size=128, max_shift=2, hflip=hflip)
    train_time = time.time() - start

    acc = evaluate(model, *test_set)
    export_onnx(model, args.out)
    print(f"test accuracy (torch, eval mode): {acc:.4f}")
    ceilings = [f"{m.lam.item():.3f}" for m in model.modules() if isinstance(m, QCFS)]
    if ceilings:
        print(f"trained activation ceilings: {', '.join(ceilings)}")
    print(f"training time: {train_time:.0f}s")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
