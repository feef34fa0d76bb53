"""Benchmark: LeNet-5 in NumPy (``course.nn``) against the same LeNet-5 in Keras, epoch by epoch in one run.

Usage (from the project root)::

    .venv/bin/python benchmarks/lenet5_vs_keras.py                       # 20 epochs on each side
    .venv/bin/python benchmarks/lenet5_vs_keras.py --epochs 5 --keras installed,onednn,no-onednn
    .venv/bin/python benchmarks/lenet5_vs_keras.py --quick                # a smoke test: a few batches

Both sides train the same network, conv 6@5x5 'same' -> max pool -> conv 16@5x5 -> max pool -> dense
120 -> dense 84 -> dense 10, ReLU, with lesson 09's recipe: batches of 128, Adam with a cosine learning
rate, and half of each training batch mirrored left-right (``flip_images``; Keras' ``RandomFlip
("horizontal")`` layer). How the two sides are interleaved, what the Keras variants are and which
threads each side uses: ``benchmarks/interleaved.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from anywhere in the repo

from benchmarks.interleaved import Benchmark, main  # noqa: E402
from course.keras_cnn import lenet5_weights_to_keras as to_keras_weights  # noqa: E402 - channels-last kernels
from course.nn.augment import flip_images  # noqa: E402
from course.nn.model import Augmented, lenet5  # noqa: E402


def numpy_model(args):
    """course.nn's LeNet-5 in float32, training on mirrored batches."""
    return Augmented(lenet5(np.random.default_rng(args.seed), dtype=np.float32),
                     lambda X, g: flip_images(X, g, image_shape=(28, 28)), rng=np.random.default_rng(args.seed + 1))


def keras_layers(keras, args):
    layers = keras.layers
    return [layers.RandomFlip("horizontal", seed=args.seed),
            layers.Conv2D(6, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dense(120, activation="relu"), layers.Dense(84, activation="relu"), layers.Dense(10)]


def flops(args):
    """Forward FLOPs of one image: the two convolutions (a dot product of C*5*5 per output pixel), the dense layers."""
    conv = 2 * (28 * 28 * 6 * 1 * 25 + 10 * 10 * 16 * 6 * 25)
    return float(conv + 2 * (400 * 120 + 120 * 84 + 84 * 10))


LENET5 = Benchmark(name="lenet5", numpy_side="NumPy (course.nn.lenet5, float32)",
                   describe=lambda args: "LeNet-5, mirrored batches", numpy_model=numpy_model,
                   keras_layers=keras_layers, keras_input_shape=(28, 28, 1), to_keras_weights=to_keras_weights,
                   flops=flops, default_epochs=20)

if __name__ == "__main__":
    sys.exit(main(LENET5, __file__, __doc__))
