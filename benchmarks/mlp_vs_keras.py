"""Benchmark: the course's MLPs in NumPy (``course.nn``) against the same MLPs in Keras, epoch by epoch in one run.

Usage (from the project root)::

    .venv/bin/python benchmarks/mlp_vs_keras.py --model deep             # 20 epochs on each side
    .venv/bin/python benchmarks/mlp_vs_keras.py --model two_layer --epochs 5 --keras installed,onednn,no-onednn
    .venv/bin/python benchmarks/mlp_vs_keras.py --model deep --quick      # a smoke test: a few batches

The models:

- ``two_layer``: lesson 07's network, dense 784 -> 50 -> ReLU -> dense 10;
- ``deep``: lesson 08's network, 784-256-128-64-10, ReLU, dropout 0.2 after every hidden layer.

Both start from the same He-normal weights (Keras' Dense kernel is (in, out) like course.nn's, so they
copy across as they are), in float32, batches of 128, Adam with a cosine learning rate; no L2 on
either side (the penalty is defined differently in Keras). How the two sides are interleaved, what the
Keras variants are and which threads each side uses: ``benchmarks/interleaved.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from anywhere in the repo

from benchmarks.interleaved import Benchmark, main  # noqa: E402
from course.nn.model import mlp  # noqa: E402

MODELS = {   # name -> (layer sizes, dropout rate, description)
    "two_layer": ((784, 50, 10), 0.0, "two-layer MLP 784-50-10 (lesson 07)"),
    "deep": ((784, 256, 128, 64, 10), 0.2, "deep MLP 784-256-128-64-10, dropout 0.2 (lesson 08)"),
}


def to_keras_weights(params):
    """course.nn MLP parameters as Keras' set_weights list: W1, b1, W2, b2, ... as they are."""
    count = len(params) // 2
    return [params[f"{kind}{l}"] for l in range(1, count + 1) for kind in "Wb"]


def keras_layers(keras, args):
    sizes, rate, _ = MODELS[args.model]
    layers = []
    for size in sizes[1:-1]:
        layers.append(keras.layers.Dense(size, activation="relu"))
        if rate:
            layers.append(keras.layers.Dropout(rate, seed=args.seed))
    return layers + [keras.layers.Dense(sizes[-1])]


def flops(args):
    sizes = MODELS[args.model][0]
    return float(sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:])))


def add_arguments(parser):
    parser.add_argument("--model", choices=sorted(MODELS), default="deep", help="which MLP (default deep)")


def benchmark(name):
    sizes, rate, description = MODELS[name]
    return Benchmark(name=f"mlp_{name}", numpy_side=f"NumPy (course.nn.mlp {name}, float32)",
                     describe=lambda args: description,
                     numpy_model=lambda args: mlp(sizes, np.random.default_rng(args.seed), dropout=rate,
                                                  dtype=np.float32),
                     keras_layers=keras_layers, keras_input_shape=(784,), numpy_input_shape=(784,),
                     to_keras_weights=to_keras_weights, add_arguments=add_arguments, flops=flops,
                     default_epochs=20)


def model_of(argv):
    """The value of --model in ``argv`` (the default when absent; argparse reports a bad one)."""
    for i, arg in enumerate(argv):
        if arg == "--model" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--model="):
            return arg.split("=", 1)[1]
    return "deep"


if __name__ == "__main__":
    argv = sys.argv[1:]
    sys.exit(main(benchmark(model_of(argv) if model_of(argv) in MODELS else "deep"), __file__, __doc__, argv))
