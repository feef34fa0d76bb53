"""Benchmark: train a course model on the full Fashion-MNIST and report test accuracy and speed.

Usage (from the project root)::

    .venv/bin/python benchmarks/train_fashion_mnist.py                  # lesson 07's model
    .venv/bin/python benchmarks/train_fashion_mnist.py --model two_layer --epochs 10 --seed 1
    .venv/bin/python benchmarks/train_fashion_mnist.py --list           # the models available

The data: the 60,000 training images are split into 55,000 for training and 5,000 for validation
(the per-epoch validation accuracy), and the 10,000 test images are used once, at the end. Nothing is
asserted: the script prints the test accuracy and the seconds per epoch, so that runs on different
machines can be compared.

Everything comes from the ``course`` package (``course.twolayer``, ``course.optim``), never from a
notebook. To add a model (for example lesson 08's), write a function ``build_<name>(args, data, rng)``
returning a :class:`Model` and register it in ``MODELS``; the data loading, the training loop, the
timing and the report are shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # run from anywhere in the repo

from course.data import load_fashion_mnist  # noqa: E402
from course.optim import UPDATE_RULES, evaluate_accuracy, train  # noqa: E402
from course.twolayer import (init_two_layer, two_layer_loss_and_gradients,  # noqa: E402
                             two_layer_predict)

NUM_VAL = 5_000


@dataclass
class Model:
    """What the shared training code needs to know about a model.

    params : dict name -> array, the initial parameters
    loss_and_grads : ``loss_and_grads(X_batch, y_batch, params) -> (loss, grads)``
    predict : ``predict(X, params) -> (N,) classes``
    optimizer : update rule name in ``course.optim.UPDATE_RULES``
    optim_config : its hyperparameters, e.g. ``{"learning_rate": 1e-3}``
    batch_size : samples per step
    description : one line for the report
    """

    params: dict
    loss_and_grads: callable
    predict: callable
    optimizer: str
    optim_config: dict = field(default_factory=dict)
    batch_size: int = 64
    description: str = ""


def build_two_layer(args, data, rng):
    """Lesson 07: dense(784 -> 50) -> ReLU -> dense(50 -> 10) -> softmax, He init, Adam lr 1e-3."""
    num_inputs = data.X_train.shape[1]
    params = init_two_layer(num_inputs, args.num_hiddens, len(data.class_names), rng)
    lr = 1e-3 if args.lr is None else args.lr
    return Model(params, two_layer_loss_and_gradients, two_layer_predict, args.optimizer or "adam",
                 {"learning_rate": lr}, args.batch_size or 64,
                 f"two-layer network {num_inputs}-{args.num_hiddens}-{len(data.class_names)} (lesson 07)")


MODELS = {"two_layer": build_two_layer}


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
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training data (10)")
    parser.add_argument("--num-hiddens", type=int, default=50, help="hidden units (50)")
    parser.add_argument("--optimizer", choices=sorted(UPDATE_RULES), default=None,
                        help="update rule (default: the model's own, adam for two_layer)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (model's default)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (model's default)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initialization and shuffling")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default 1: fastest for these small matrices)")
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
    X_train, y_train = data.X_train[:-NUM_VAL], data.y_train[:-NUM_VAL]
    X_val, y_val = data.X_train[-NUM_VAL:], data.y_train[-NUM_VAL:]

    rng = np.random.default_rng(args.seed)
    model = MODELS[args.model](args, data, rng)
    print(f"model:     {model.description}")
    print(f"optimizer: {model.optimizer} {model.optim_config}, batch size {model.batch_size}, "
          f"{args.epochs} epochs, seed {args.seed}")
    print(f"data:      {data.name} from {data.source} (loaded in {load_seconds:.1f} s): "
          f"train {len(X_train):,}, validation {len(X_val):,}, test {len(data.X_test):,}")
    print(f"machine:   NumPy {np.__version__}, {os.cpu_count()} CPUs, {threads or 'default BLAS threads'}")

    start = time.perf_counter()
    params, history = train(model.params, X_train, y_train, X_val, y_val, model.loss_and_grads,
                            model.predict, model.optimizer, model.optim_config,
                            num_epochs=args.epochs, batch_size=model.batch_size, rng=rng,
                            progress=args.progress)
    wall = time.perf_counter() - start
    test_acc = evaluate_accuracy(model.predict, params, data.X_test, data.y_test)

    print("\nepoch   loss   train acc   val acc   seconds")
    for epoch, row in enumerate(zip(history["loss"], history["train_acc"], history["val_acc"],
                                    history["seconds"]), start=1):
        print(f"{epoch:5d}  {row[0]:.4f}   {row[1]:8.2%}  {row[2]:8.2%}   {row[3]:7.2f}")
    print(f"\ntest accuracy: {test_acc:.2%} ({len(data.X_test):,} test images)")
    print(f"seconds per epoch: {np.mean(history['seconds']):.2f} training steps only, "
          f"{wall / args.epochs:.2f} with the per-epoch evaluation "
          f"({-(-len(X_train) // model.batch_size)} steps per epoch)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
