"""Train the Fashion-MNIST CNN shipped as models/fashion-cnn.onnx."""

from common import load_split, main

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def load_fashion():
    def split(prefix):
        return load_split(f"{DATA_DIR}/{prefix}-images-idx3-ubyte.gz",
                          f"{DATA_DIR}/{prefix}-labels-idx1-ubyte.gz")
    return split("train"), split("t10k")


if __name__ == "__main__":
    # The MNIST architecture with a wider first conv and dense layer; horizontal
    # flips are label-preserving for clothing.
    main("Train the snnc Fashion-MNIST CNN and export it to ONNX.", load_fashion,
         conv_channels=[48, 64], hidden=256, epochs=8, out="models/fashion-cnn.onnx",
         hflip=True)
