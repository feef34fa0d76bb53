"""Benchmark: lesson 10's LSTM classifier in NumPy (``course.nn``) against Keras' LSTM, epoch by epoch in one run.

Usage (from the project root)::

    .venv/bin/python benchmarks/lstm_vs_keras.py                         # 12 epochs on each side
    .venv/bin/python benchmarks/lstm_vs_keras.py --epochs 5 --keras installed,onednn,no-onednn
    .venv/bin/python benchmarks/lstm_vs_keras.py --quick                  # a smoke test: a few batches

Both sides train the same network on Fashion-MNIST images read as sequences of 28 rows of 28 pixels:
an LSTM with 128 units (``--units``), then a dense layer from its last hidden state to the 10 classes.
Keras stores an LSTM's kernel (D, 4H), recurrent kernel (H, 4H) and bias (4H,) with the gates in the
order i, f, c, o, exactly as ``course.nn.recurrent`` does, so the initial weights copy across as they
are. Batches of 128, Adam with a cosine learning rate. How the two sides are interleaved, what the
Keras variants are and which threads each side uses: ``benchmarks/interleaved.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from anywhere in the repo

from benchmarks.interleaved import Benchmark, main  # noqa: E402
from course.nn.model import lstm_classifier  # noqa: E402


def to_keras_weights(params):
    """course.nn LSTM-classifier parameters as Keras' set_weights list: the same arrays, in order."""
    return [params["Wx1"], params["Wh1"], params["b1"], params["W2"], params["b2"]]


def add_arguments(parser):
    parser.add_argument("--units", type=int, default=128, help="LSTM units on both sides (128)")


def flops(args):
    """Forward FLOPs of one sequence: 28 steps of the four gates' products (input and recurrent), then the head."""
    H = args.units
    return float(28 * 2 * (28 + H) * 4 * H + 2 * H * 10)


LSTM = Benchmark(name="lstm", numpy_side="NumPy (course.nn LSTM, float32)",
                 describe=lambda args: f"28 rows of 28 pixels, LSTM {args.units} units",
                 numpy_model=lambda args: lstm_classifier(np.random.default_rng(args.seed), num_hiddens=args.units,
                                                          dtype=np.float32),
                 keras_layers=lambda keras, args: [keras.layers.LSTM(args.units), keras.layers.Dense(10)],
                 keras_input_shape=(28, 28), to_keras_weights=to_keras_weights, add_arguments=add_arguments,
                 flops=flops, default_epochs=12)

if __name__ == "__main__":
    sys.exit(main(LSTM, __file__, __doc__))
