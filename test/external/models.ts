/**
 * The third-party models in ../shared/realmodels (override: SNNC_REALMODELS), each with what
 * its SOURCE.txt says about input and preprocessing. They stay outside the repository.
 */
import fs from 'node:fs';
import path from 'node:path';

export const REALMODELS = path.resolve(process.env.SNNC_REALMODELS ?? path.join('..', 'shared', 'realmodels'));

export interface RealModel {
  /** Path under REALMODELS. */
  file: string;
  format: 'onnx' | 'tfjs';
  /** Input [C, H, W] as snnc reads it (NCHW). */
  shape: number[];
  /** What the original ends in, which snnc drops (the comparison re-applies it). */
  ending?: 'softmax' | 'logsoftmax';
  /** Preprocessing x = (p * scale - mean) / std, as snnc flags. */
  flags: string[];
  scale: number;
  mean: number[];
  std: number[];
  /** MNIST: ANN accuracy expected on the first test images (from SOURCE.txt and measured). */
  mnist?: { minAnnAccuracy: number };
}

const MNIST_NORM = { flags: ['--input-mean', '0.1307', '--input-std', '0.3081'], scale: 1 / 255, mean: [0.1307], std: [0.3081] };
const OVAL_NORM = {
  flags: ['--input-mean', '0.485,0.456,0.406', '--input-std', '0.225'],
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.225],
};

export const MODELS: RealModel[] = [
  { file: 'onnx-burn-mnist/mnist.onnx', format: 'onnx', shape: [1, 28, 28], ending: 'logsoftmax', ...MNIST_NORM, mnist: { minAnnAccuracy: 0.97 } },
  {
    file: 'onnx-mnist8-zoo/model.onnx',
    format: 'onnx',
    shape: [1, 28, 28],
    flags: ['--input-scale', '1'],
    scale: 1,
    mean: [0],
    std: [1],
    mnist: { minAnnAccuracy: 0.97 },
  },
  { file: 'onnx-onnxmlir-mnist-mlp/mnist.onnx', format: 'onnx', shape: [1, 28, 28], ending: 'softmax', ...MNIST_NORM, mnist: { minAnnAccuracy: 0.92 } },
  {
    file: 'tfjs-mnist-cnn-aslamplr/model.json',
    format: 'tfjs',
    shape: [1, 28, 28],
    ending: 'softmax',
    flags: [],
    scale: 1 / 255,
    mean: [0],
    std: [1],
    mnist: { minAnnAccuracy: 0.97 },
  },
  ...['base', 'deep', 'wide'].flatMap((net) =>
    ['', '_simp'].map((variant): RealModel => ({ file: `onnx-oval21-cifar10/cifar_${net}_kw${variant}.onnx`, format: 'onnx', shape: [3, 32, 32], ...OVAL_NORM })),
  ),
  {
    file: 'onnx-winml-cifar10/ImageClassifier.onnx',
    format: 'onnx',
    shape: [3, 32, 32],
    flags: ['--input-mean', '0.5', '--input-std', '0.5'],
    scale: 1 / 255,
    mean: [0.5],
    std: [0.5],
  },
];

/** The DoodleNet TF.js model: refused, its hidden layer is tanh. */
export const DOODLENET = 'tfjs-doodlenet-quickdraw/model.json';

export const modelPath = (file: string): string => path.join(REALMODELS, file);

export const available = (): boolean => fs.existsSync(REALMODELS);
