"""Benchmark: train a course model on the full Fashion-MNIST and report test accuracy and speed.

Usage (from the project root)::

    .venv/bin/python benchmarks/train_fashion_mnist.py                  # lesson 07's model
    .venv/bin/python benchmarks/train_fashion_mnist.py --model two_layer --epochs 10 --seed 1
    .venv/bin/python benchmarks/train_fashion_mnist.py --model deep     # lesson 08's deep network
    .venv/bin/python benchmarks/train_fashion_mnist.py --model lenet5   # lesson 09's LeNet-5
    .venv/bin/python benchmarks/train_fashion_mnist.py --model lstm     # lesson 10's LSTM on image rows
    .venv/bin/python benchmarks/train_fashion_mnist.py --list           # the models available

The data: the 60,000 training images are split into 55,000 for training and 5,000 for validation
(the per-epoch validation accuracy; ``course.nn.train.split_validation``, seed 0, as in the lessons),
and the 10,000 test images are used once, at the end. Nothing is
asserted: the script prints the test accuracy and the seconds per epoch, so that runs on different
machines can be compared.

Everything comes from the course's network library ``course.nn`` (the model presets, the one
validation split ``split_validation`` and the one training loop ``fit``), never from a notebook. To
add a model, write a function ``build_<name>(args, data, rng)`` returning a :class:`Model` and
register it in ``MODELS``; the data loading, the training loop, the timing and the report are shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from anywhere in the repo

from course.data import load_fashion_mnist  # noqa: E402
from course.nn.augment import flip_images  # noqa: E402
from course.nn.model import Augmented, lenet5, lstm_classifier, mlp, two_layer_net  # noqa: E402
from course.nn.optim import UPDATE_RULES  # noqa: E402
from course.nn.schedules import CosineDecay, ExponentialDecay  # noqa: E402
from course.nn.train import fit, split_validation  # noqa: E402

NUM_VAL = 5_000


@dataclass
class Model:
    """What the shared training code needs to know about a model.

    net : a ``course.nn`` model (``params``, ``loss(X, y=None)``, ``evaluate``)
    optimizer : update rule name in ``course.nn.optim.UPDATE_RULES``
    lr : learning rate, a number or a ``course.nn.schedules`` schedule
    batch_size : samples per step
    description : one line for the report
    """

    net: object
    optimizer: str
    lr: object
    batch_size: int = 64
    description: str = ""


def _dtype(args):
    return np.float64 if args.float64 else np.float32


def build_two_layer(args, data, rng):
    """Lesson 07: dense(784 -> 50) -> ReLU -> dense(50 -> 10) -> softmax, He init, Adam lr 1e-3."""
    num_inputs, num_classes = data.X_train.shape[1], len(data.class_names)
    net = two_layer_net(num_inputs, args.num_hiddens, num_classes, rng, dtype=_dtype(args))
    return Model(net, args.optimizer or "adam", 1e-3 if args.lr is None else args.lr, args.batch_size or 64,
                 f"two-layer network {num_inputs}-{args.num_hiddens}-{num_classes} (lesson 07)")


def build_deep(args, data, rng):
    """Lesson 08: 784-256-128-64-10, ReLU, He init, dropout 0.2, L2 1e-5, Adam 1e-3 x0.9 per epoch, batch 128."""
    sizes = (data.X_train.shape[1], 256, 128, 64, len(data.class_names))
    net = mlp(sizes, rng, activation="relu", dropout=0.2, reg=1e-5, dtype=_dtype(args))
    lr = ExponentialDecay(1e-3 if args.lr is None else args.lr, 0.9)
    return Model(net, args.optimizer or "adam", lr, args.batch_size or 128,
                 f"deep network {'-'.join(map(str, sizes))}, dropout 0.2, L2 1e-5 (lesson 08)")


def build_lenet5(args, data, rng):
    """Lesson 09: LeNet-5 (6@5x5 'same', pool, 16@5x5, pool, 120, 84, 10), mirrored batches, Adam cosine, batch 128."""
    epochs = 2 if args.quick else (args.epochs or DEFAULT_EPOCHS["lenet5"])
    # Half of each training batch mirrored left-right (the images come as rows of 784 pixels here).
    net = Augmented(lenet5(rng, dtype=_dtype(args)), lambda X, g: flip_images(X, g, image_shape=(28, 28)),
                    rng=np.random.default_rng(args.seed + 1))
    lr = CosineDecay(2e-3 if args.lr is None else args.lr, epochs, lr_min=2e-5)
    return Model(net, args.optimizer or "adam", lr, args.batch_size or 128,
                 "LeNet-5 (6@5x5 same, pool, 16@5x5, pool, 120, 84, 10), ReLU, He, flips (lesson 09)")


LSTM_UNITS = 128
LSTM_LR = (2e-3, 2e-5)   # Adam's learning rate: half a cosine from the first to the second


def build_lstm(args, data, rng):
    """Lesson 10: an LSTM (128 units) over the 28 rows of 28 pixels, dense on the last state, Adam cosine, batch 128."""
    epochs = 2 if args.quick else (args.epochs or DEFAULT_EPOCHS["lstm"])
    net = lstm_classifier(rng, num_inputs=28, num_hiddens=LSTM_UNITS, num_classes=len(data.class_names),
                          input_shape=(28, 28), dtype=_dtype(args))
    lr = CosineDecay(LSTM_LR[0] if args.lr is None else args.lr, epochs, lr_min=LSTM_LR[1])
    return Model(net, args.optimizer or "adam", lr, args.batch_size or 128,
                 f"LSTM ({LSTM_UNITS} units) over 28 rows of 28 pixels, dense on the last state (lesson 10)")


MODELS = {"two_layer": build_two_layer, "deep": build_deep, "lenet5": build_lenet5, "lstm": build_lstm}
DEFAULT_EPOCHS = {"deep": 20, "lenet5": 20, "lstm": 12}   # the others: 10


def limit_blas_threads(num_threads):
    """Use ``num_threads`` BLAS threads; returns a description, or None if threadpoolctl is missing.

    The matrices of a minibatch step are small (64 x 784 times 784 x 50): splitting each product
    over several threads costs more in synchronization than it saves, and on a shared machine it can
    be many times slower. One thread is the fast and reproducible default.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    threadpool_limits(limits=num_threads, user_api="blas")
    return f"{num_threads} BLAS thread{'s' if num_threads != 1 else ''}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="two_layer", choices=sorted(MODELS),
                        help="which model to train (default: two_layer, lesson 07)")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the training data (default: 10 for two_layer, 20 for deep and lenet5, "
                             "12 for lstm)")
    parser.add_argument("--num-hiddens", type=int, default=50, help="hidden units (50)")
    parser.add_argument("--optimizer", choices=sorted(UPDATE_RULES), default=None,
                        help="update rule (default: the model's own, adam for two_layer)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (model's default)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (model's default)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initialization and shuffling")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default 1: fastest for these small matrices)")
    parser.add_argument("--float64", action="store_true",
                        help="train in float64 (default float32: half the memory traffic, the same accuracy)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 2 epochs on 5,000 images")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, build in MODELS.items():
            print(f"{name:12s} {build.__doc__.splitlines()[0]}")
        return 0
    threads = limit_blas_threads(args.threads)

    start = time.perf_counter()
    data = load_fashion_mnist(flatten=True)
    load_seconds = time.perf_counter() - start
    split = split_validation(data.X_train, data.y_train, NUM_VAL)
    epochs = args.epochs or DEFAULT_EPOCHS.get(args.model, 10)
    if args.quick:
        split.X_train, split.y_train, epochs = split.X_train[:5_000], split.y_train[:5_000], 2

    rng = np.random.default_rng(args.seed)
    model = MODELS[args.model](args, data, rng)
    print(f"model:     {model.description}")
    print(f"optimizer: {model.optimizer}, lr {model.lr}, batch size {model.batch_size}, {epochs} epochs, "
          f"seed {args.seed}, {'float64' if args.float64 else 'float32'}")
    print(f"data:      {data.name} from {data.source} (loaded in {load_seconds:.1f} s): "
          f"train {len(split.X_train):,}, validation {len(split.X_val):,}, test {len(data.X_test):,}")
    print(f"machine:   NumPy {np.__version__}, {os.cpu_count()} CPUs, {threads or 'default BLAS threads'}, "
          f"load average {os.getloadavg()[0]:.2f}")

    start = time.perf_counter()
    history = fit(model.net, split, num_epochs=epochs, batch_size=model.batch_size, optimizer=model.optimizer,
                  lr=model.lr, rng=rng, progress=args.progress)
    wall = time.perf_counter() - start
    test_loss, test_acc = model.net.evaluate(data.X_test, data.y_test)

    print("\nepoch   loss   train acc   val acc   seconds")
    for epoch, row in enumerate(zip(history["loss"], history["train_acc"], history["val_acc"],
                                    history["seconds"]), start=1):
        print(f"{epoch:5d}  {row[0]:.4f}   {row[1]:8.2%}  {row[2]:8.2%}   {row[3]:7.2f}")
    seconds = np.array(history["seconds"])
    print(f"\ntest accuracy: {test_acc:.2%} (test loss {test_loss:.4f}, {len(data.X_test):,} test images)")
    print(f"seconds per epoch: min {seconds.min():.2f}, median {np.median(seconds):.2f} (training steps only); "
          f"{wall / epochs:.2f} with the per-epoch evaluation ({-(-len(split.X_train) // model.batch_size)} "
          f"steps per epoch); load average now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
