"""Export a pretrained CIFAR-10 ResNet (He et al. 2016, the CIFAR variant with "option A"
shortcuts) from its PyTorch checkpoint to ONNX, the way a user of torch.onnx.export would.

The checkpoints are the BSD-2-Clause ResNet-20/32/44/56 of github.com/akamaster/pytorch_resnet_cifar10
(a dict whose 'state_dict' keys carry the 'module.' prefix of nn.DataParallel). The network is
defined here from its description (see below), with the parameter names of those checkpoints,
so that load_state_dict(strict=True) checks that every tensor lands where it belongs.

Architecture, for n blocks per stage (ResNet-(6n+2)):
    conv3x3(3->16) BN ReLU
    3 stages of n basic blocks, 16 / 32 / 64 channels, the first block of stages 2 and 3 with stride 2:
        out = ReLU(BN(conv3x3(ReLU(BN(conv3x3(x))))) + shortcut(x))
        shortcut(x) = x, or where the shape changes ("option A", no parameters):
                      x[:, :, ::2, ::2] zero-padded with planes/4 channels on each side
    global 8x8 average pool, Linear(64 -> 10)

The exported graph keeps what the exporter writes for the shortcut (a Slice with steps and a Pad
whose pads are computed by ConstantOfShape / Concat / Reshape / Slice / Transpose / Cast): snnc
must read it unchanged. Input: `input` [N, 3, 32, 32], RGB, x = (p/255 - mean) / std with the
ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), written into the model's
metadata (input_mean, input_std), where snnc takes them as its default preprocessing; output
`logits` [N, 10].

Run from the repository root (Debian's python3-torch and python3-onnx):
    /usr/bin/python3 training/export_cifar10_resnet.py \
        ../shared/realmodels/torch-akamaster-resnet-cifar10/resnet20-12fca82f.th models/cifar10-resnet20.onnx
Optionally --check <dir with test_batch.bin> evaluates the PyTorch model on the CIFAR-10 test set.
"""
import argparse
import os
import re

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class Block(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad_channels = (planes - in_planes) // 2 if stride != 1 or in_planes != planes else None

    def shortcut(self, x):
        if self.pad_channels is None:
            return x
        # Option A: subsample by 2 and add zero channels on both sides.
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad_channels, self.pad_channels), "constant", 0)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, blocks_per_stage, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        planes_in = 16
        for stage, (planes, stride) in enumerate([(16, 1), (32, 2), (64, 2)], start=1):
            blocks = []
            for b in range(blocks_per_stage):
                blocks.append(Block(planes_in, planes, stride if b == 0 else 1))
                planes_in = planes
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        # An int kernel size: torch 1.13 would trace out.size()[3] as a tensor.
        out = F.avg_pool2d(out, int(out.size()[3]))
        return self.linear(out.view(out.size(0), -1))


def load_checkpoint(path):
    raw = torch.load(path, map_location="cpu")
    state = raw.get("state_dict", raw)
    state = {re.sub(r"^module\.", "", k): v for k, v in state.items()}
    blocks = len({k.split(".")[1] for k in state if k.startswith("layer1.")})
    model = CifarResNet(blocks)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, 6 * blocks + 2


def check_accuracy(model, folder):
    """Accuracy on the official test_batch.bin (1 label byte + 3072 CHW bytes per image)."""
    data = np.fromfile(os.path.join(folder, "test_batch.bin"), dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(data[:, 0].astype(np.int64))
    x = data[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    x = (x - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None, None]
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 500):
            correct += (model(torch.from_numpy(x[i : i + 500])).argmax(1) == labels[i : i + 500]).sum().item()
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("out")
    parser.add_argument("--check", metavar="DIR", help="folder with CIFAR-10's test_batch.bin: print the PyTorch test accuracy")
    args = parser.parse_args()
    model, depth = load_checkpoint(args.checkpoint)
    if args.check:
        print(f"ResNet-{depth}: PyTorch test accuracy {100 * check_accuracy(model, args.check):.2f}%")
    torch.onnx.export(
        model,
        torch.zeros(1, 3, 32, 32),
        args.out,
        opset_version=13,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
    )
    # The input normalisation, where snnc reads it as its default preprocessing (flags override it).
    exported = onnx.load(args.out)
    onnx.helper.set_model_props(exported, {"input_mean": ",".join(map(str, MEAN)), "input_std": ",".join(map(str, STD))})
    onnx.save(exported, args.out)
    onnx.checker.check_model(onnx.load(args.out))
    ops = sorted({n.op_type for n in onnx.load(args.out).graph.node})
    print(f"ResNet-{depth} -> {args.out}: {os.path.getsize(args.out)} bytes, ops {', '.join(ops)}")


if __name__ == "__main__":
    main()
