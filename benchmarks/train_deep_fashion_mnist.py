"""Benchmark: lesson 08's deep network (784-256-128-64-10) trained from scratch in NumPy on Fashion-MNIST.

Trains the reference implementation in ``course.deepnet`` (the same maths students write in lesson 08)
with the lesson's full-mode settings, then prints the test accuracy and the seconds per epoch:

    ReLU, He initialization, dropout 0.2 after every hidden layer, L2 weight decay 1e-5 (weights only),
    Adam (learning rate 1e-3, multiplied by 0.9 after each epoch), batch 128, 20 epochs,
    55,000 training images, 5,000 held out for validation, the 10,000 test images for the final score.

The lesson's target is at least 88% test accuracy. Usage::

    python benchmarks/train_deep_fashion_mnist.py               # full run (a few minutes)
    python benchmarks/train_deep_fashion_mnist.py --quick       # a smoke test: 2 epochs on 5,000 images

The exit status is 0 when the target is reached (or in --quick mode), 1 otherwise.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from course.data import load_fashion_mnist  # noqa: E402
from course.deepnet import evaluate, fit, init_deep  # noqa: E402

LAYER_SIZES = (784, 256, 128, 64, 10)
TARGET = 0.88


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-decay", type=float, default=0.9)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--reg", type=float, default=1e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="2 epochs on 5,000 images (smoke test)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    data = load_fashion_mnist(flatten=True)
    print(f"data: {data.name} from {data.source}: {len(data.X_train):,} train, {len(data.X_test):,} test "
          f"({time.perf_counter() - start:.1f} s to load)")
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(data.X_train))
    val, train = order[:5_000], order[5_000:]
    X_train, y_train = data.X_train[train], data.y_train[train]
    X_val, y_val = data.X_train[val], data.y_train[val]
    epochs = args.epochs
    if args.quick:
        X_train, y_train, epochs = X_train[:5_000], y_train[:5_000], 2

    print(f"model: {'-'.join(map(str, LAYER_SIZES))}, ReLU, He init, dropout {args.dropout}, "
          f"L2 {args.reg:g}, Adam lr {args.lr:g} (x{args.lr_decay} per epoch), batch {args.batch_size}, "
          f"{epochs} epochs on {len(X_train):,} images")
    print(f"machine: {platform.processor() or platform.machine()}, NumPy {np.__version__}, float64")
    params = init_deep(LAYER_SIZES, rng, method="he_normal")
    params, history = fit(params, X_train, y_train, X_val, y_val, num_epochs=epochs,
                          batch_size=args.batch_size, lr=args.lr, lr_decay=args.lr_decay,
                          reg=args.reg, dropout=args.dropout, rng=rng)
    test_loss, test_acc = evaluate(data.X_test, data.y_test, params)
    seconds = np.array(history["seconds"])
    print(f"best validation accuracy: {max(history['val_acc']):.4f} (epoch "
          f"{int(np.argmax(history['val_acc'])) + 1})")
    print(f"test accuracy: {test_acc:.4f} (test loss {test_loss:.4f}) on {len(data.X_test):,} images")
    print(f"seconds per epoch: {seconds.mean():.2f} (min {seconds.min():.2f}, max {seconds.max():.2f}; "
          f"training steps only)")
    print(f"total time: {time.perf_counter() - start:.1f} s")
    if args.quick:
        return 0
    reached = test_acc >= TARGET
    print(f"target {TARGET:.0%}: {'reached' if reached else 'NOT reached'}")
    return 0 if reached else 1


if __name__ == "__main__":
    raise SystemExit(main())
