"""Benchmark: lesson 10's LSTM classifier in NumPy (``course.nn``) against Keras' LSTM, epoch by epoch in one run.

Usage (from the project root)::

    .venv/bin/python benchmarks/lstm_vs_keras.py                         # 12 epochs on each side
    .venv/bin/python benchmarks/lstm_vs_keras.py --epochs 5 --keras installed,onednn,no-onednn
    .venv/bin/python benchmarks/lstm_vs_keras.py --quick                  # a smoke test: a few batches

Both sides train the same network on the same 55,000 Fashion-MNIST training images (the course's
validation split, ``split_validation``, seed 0), each image read as a sequence of 28 rows of 28
pixels: an LSTM with 128 units (``--units``), then a dense layer from its last hidden state to the 10
classes, from the **same initial weights** (the NumPy model's, copied into Keras: Keras stores an
LSTM's kernel (D, 4H), recurrent kernel (H, 4H) and bias (4H,) with the gates in the order i, f, c, o,
exactly as ``course.nn.recurrent`` does), in float32, batches of 128, Adam (beta1 0.9, beta2 0.999,
epsilon 1e-8) with a learning rate following half a cosine from 2e-3 to 2e-5 (set once per epoch).
The test accuracy is measured once at the end, on the 10,000 test images.

The design is ``lenet5_vs_keras.py``'s, and so are its pieces (imported from it): the Keras variants
(``installed``, ``onednn``: ``TF_ENABLE_ONEDNN_OPTS=1``, ``no-onednn``) run in worker subprocesses
that wait for their turn at the start of every epoch, so that every NumPy epoch is followed by one
epoch of each Keras variant under the same load; the table reports the min and median seconds per
epoch, the ratio of the medians, the thread settings and the load average. NumPy runs with one BLAS
thread (``--threads``), TensorFlow with its defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))                     # run from anywhere in the repo
sys.path.insert(0, str(ROOT / "benchmarks"))

import lenet5_vs_keras as shared  # noqa: E402 - the interleaving machinery of lesson 09's benchmark
from lenet5_vs_keras import VARIANTS, blas_settings, keras_settings, print_table, send, summary_rows  # noqa: E402

from course.data import load_fashion_mnist  # noqa: E402
from course.nn.model import lstm_classifier  # noqa: E402
from course.nn.schedules import CosineDecay  # noqa: E402
from course.nn.train import fit, split_validation  # noqa: E402

NUM_VAL = 5_000
ADAM = {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}   # lr: the start of the cosine
LR_MIN = 2e-5
QUICK = {"batches": 5, "epochs": 3, "num_test": 1_000, "num_val": 500}
NUMPY_SIDE = "NumPy (course.nn LSTM, float32)"


def load_split(quick, batch_size):
    """The training split both sides use, and the test set, as (N, 28, 28) sequences of rows."""
    data = load_fashion_mnist()
    split = split_validation(data.X_train, data.y_train, NUM_VAL)
    X_test, y_test = data.X_test, data.y_test
    if quick:
        n = QUICK["batches"] * batch_size
        split.X_train, split.y_train = split.X_train[:n], split.y_train[:n]
        split.X_val, split.y_val = split.X_val[:QUICK["num_val"]], split.y_val[:QUICK["num_val"]]
        X_test, y_test = X_test[:QUICK["num_test"]], y_test[:QUICK["num_test"]]
    return data, split, X_test, y_test


def schedule(epochs):
    return CosineDecay(ADAM["lr"], epochs, lr_min=LR_MIN)


def to_keras_weights(params):
    """course.nn LSTM-classifier parameters as Keras' set_weights list: the same arrays, in order."""
    return [params["Wx1"], params["Wh1"], params["b1"], params["W2"], params["b2"]]


def keras_worker(args):
    """Train Keras' LSTM classifier one epoch per "go" line on stdin; report each epoch, then the test accuracy."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from course.frameworks import load_keras

    keras = load_keras()
    import tensorflow as tf

    try:   # private, but the only way to ask TensorFlow whether oneDNN is on
        from tensorflow.python.util import _pywrap_util_port
        onednn = bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        onednn = None
    data, split, X_test, y_test = load_split(args.quick, args.batch_size)
    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.LSTM(args.units), keras.layers.Dense(10)])
    with np.load(args.weights) as weights:
        model.set_weights(to_keras_weights(dict(weights)))
    model.compile(optimizer=keras.optimizers.Adam(ADAM["lr"], beta_1=ADAM["beta1"], beta_2=ADAM["beta2"],
                                                  epsilon=ADAM["epsilon"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    info = {"tensorflow": tf.__version__, "keras": keras.__version__, "onednn": onednn,
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(), "cpus": os.cpu_count()}

    class Turns(keras.callbacks.Callback):
        """Wait for the main process before each epoch; report the epoch's time after it."""

        def on_epoch_begin(self, epoch, logs=None):
            send({"ready": True, **info} if epoch == 0 else {"waiting": epoch})
            if sys.stdin.readline().strip() != "go":
                raise SystemExit(0)
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            send({"seconds": time.perf_counter() - self.start, "loss": float(logs["loss"])})

    rate = schedule(args.epochs)
    model.fit(split.X_train, split.y_train, batch_size=args.batch_size, epochs=args.epochs, shuffle=True,
              verbose=0, callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: rate(epoch)), Turns()])
    send({"test_acc": float(model.evaluate(X_test, y_test, verbose=0, batch_size=1_000)[1])})
    return 0


class Worker(shared.Worker):
    """lenet5_vs_keras's worker (the same protocol), started on this script's Keras model."""

    def __init__(self, name, args, weights):
        self.name, (self.description, flag) = name, VARIANTS[name]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        if flag is not None:
            env["TF_ENABLE_ONEDNN_OPTS"] = flag
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--weights", str(weights),
                   "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--seed", str(args.seed),
                   "--units", str(args.units)] + (["--quick"] if args.quick else [])
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=str(ROOT))
        self.info, self.seconds, self.losses, self.test_acc = {}, [], [], None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=12, help="epochs on each side (default 12; at least 3)")
    parser.add_argument("--units", type=int, default=128, help="LSTM units on both sides (128)")
    parser.add_argument("--batch-size", type=int, default=128, help="samples per step (128)")
    parser.add_argument("--keras", default="installed,onednn",
                        help=f"comma-separated Keras variants: {', '.join(VARIANTS)} (default installed,onednn)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads of the NumPy side (1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the batch order")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke test: {QUICK['epochs']} epochs of {QUICK['batches']} batches")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    parser.add_argument("--progress", action="store_true", help="a progress bar for the NumPy side")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--weights", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = QUICK["epochs"]
    variants = [v for v in args.keras.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown or not variants:
        parser.error(f"unknown Keras variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    if args.epochs < 3 and not args.worker:
        parser.error("--epochs must be at least 3 (the table reports min and median)")
    args.variants = variants
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return keras_worker(args)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=args.threads, user_api="blas")

    data, split, X_test, y_test = load_split(args.quick, args.batch_size)
    model = lstm_classifier(np.random.default_rng(args.seed), num_hiddens=args.units, dtype=np.float32)
    weights = Path(os.environ.get("TMPDIR", "/tmp")) / f"lstm_vs_keras_{os.getpid()}.npz"
    np.savez(weights, **model.params)          # the initial weights, for every side
    loads = [os.getloadavg()[0]]
    print(f"data:    {data.name}: train {len(split.X_train):,}, test {len(X_test):,} (28 rows of 28 pixels); "
          f"LSTM {args.units} units, batch size {args.batch_size}, {args.epochs} epochs, "
          f"Adam {ADAM} to {LR_MIN} (cosine)")
    print(f"machine: {os.cpu_count()} CPUs, NumPy {np.__version__}, load average {loads[0]:.2f}")
    workers = [Worker(name, args, weights) for name in args.variants]
    try:
        for w in workers:
            w.wait_ready()
        print(f"workers: {', '.join(f'{w.name} ({keras_settings(w.info)})' for w in workers)}")
        print("\nepoch   NumPy s  " + "  ".join(f"{w.name:>10s} s" for w in workers) + "   load")

        def keras_turns(epoch, net, history):
            for w in workers:
                w.epoch()
            loads.append(os.getloadavg()[0])
            print(f"{epoch:5d}  {history['seconds'][-1]:8.2f}  " + "  ".join(f"{w.seconds[-1]:12.2f}" for w in workers)
                  + f"   {loads[-1]:.2f}", flush=True)

        history = fit(model, split, num_epochs=args.epochs, batch_size=args.batch_size, optimizer="adam",
                      lr=schedule(args.epochs), optim_config={k: v for k, v in ADAM.items() if k != "lr"},
                      rng=np.random.default_rng(args.seed), callbacks=[keras_turns], progress=args.progress)
        for w in workers:
            w.finish()
    finally:
        for w in workers:
            w.stop()
        weights.unlink(missing_ok=True)
    numpy_acc = model.evaluate(X_test, y_test)[1]
    rows = summary_rows(history["seconds"], numpy_acc, workers, blas_settings())
    rows[0]["side"] = NUMPY_SIDE
    print_table(rows)
    print(f"\nload average (1 min) during the run: min {min(loads):.2f}, max {max(loads):.2f}, "
          f"mean {np.mean(loads):.2f} on {os.cpu_count()} CPUs")
    print("NumPy/this: the NumPy median epoch divided by this side's median epoch (below 1: NumPy is faster)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "loads": loads, "epochs": args.epochs, "units": args.units,
                                         "batch_size": args.batch_size, "quick": args.quick}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
