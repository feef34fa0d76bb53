"""NumPy against Keras, epoch by epoch in one run: the machinery shared by the ``*_vs_keras.py`` benchmarks.

A benchmark script describes its model in a :class:`Benchmark` (how to build the NumPy model, the
same network in Keras, how the NumPy weights map onto Keras' ``set_weights`` list) and calls
:func:`main`. What happens then is the same for every model:

**Interleaved.** The machine may be shared: if the NumPy epochs ran first and Keras' afterwards, a
change in the load would decide the comparison. Here every NumPy epoch is followed by one epoch of
each Keras variant, so all of them see the same conditions; the table reports the first epoch of each
apart (warm-up), the min and the median seconds of the other epochs, the ratio of the medians, and
the load average during the run.

**The Keras variants** run in subprocesses (the script itself, with ``--worker``), because TensorFlow
reads ``TF_ENABLE_ONEDNN_OPTS`` once, when it is imported: ``installed`` (the environment as it is),
``onednn`` (``TF_ENABLE_ONEDNN_OPTS=1``) and ``no-onednn`` (``=0``). Whether oneDNN is on by default
depends on the CPU: TensorFlow turns it on for CPUs with AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX;
the table says what each variant got. Each worker waits for its turn at the start of every epoch (a
Keras callback), so that TensorFlow's threads are idle while another side trains; its epoch time is
measured from the start to the end of the epoch inside Keras' ``fit``, like
``course.nn.train.fit``'s ``seconds`` (training steps only).

**The same training on both sides:** the same 55,000 Fashion-MNIST training images (the course's
validation split, ``split_validation``, seed 0), the same initial weights (the NumPy model's, saved
to a temporary ``.npz`` and copied into Keras), float32, Adam (beta1 0.9, beta2 0.999, epsilon 1e-8)
with a learning rate following half a cosine from 2e-3 to 2e-5 over the epochs (set once per
epoch). The test accuracy is measured once at the end, on the 10,000 test images.

**Threads and processes.** NumPy runs with one BLAS thread (``--threads``): for these small
matrices, and on a shared machine, more threads wait for each other more than they compute. To use
several cores, as TensorFlow does, the NumPy side splits every batch across ``--workers`` processes
(``course.nn.parallel.DataParallel``: each computes the gradients of its share, one BLAS thread
each); its CPU seconds then count every process. TensorFlow keeps its own defaults (intra-op and
inter-op parallelism 0: one thread per core) unless a variant names a thread count: ``installed:1``
is Keras as installed with intra-op and inter-op parallelism 1, the same number of threads as
NumPy's one BLAS thread in one process (``installed:2`` with ``--threads 2`` or ``--workers 2``). That is the
comparison at equal threads; the default one gives TensorFlow every core, and on a loaded machine
two threads also get twice the scheduler's share. The table prints the settings of every side,
NumPy's BLAS with its kernel type: ``OPENBLAS_CORETYPE``, when the environment sets it, decides
whether OpenBLAS uses its AVX2 ("Haswell") or its AVX-512 ("SkylakeX") kernels, and
``--blas-coretype`` sets it for one run (``auto``: OpenBLAS's own choice for the CPU). TensorFlow's
oneDNN picks AVX-512 by itself where the CPU has it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))   # the scripts run from anywhere in the repo

from course.data import load_fashion_mnist  # noqa: E402
from course.nn.parallel import DataParallel  # noqa: E402
from course.nn.schedules import CosineDecay  # noqa: E402
from course.nn.train import fit, split_validation  # noqa: E402

NUM_VAL = 5_000
ADAM = {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}   # lr: the start of the cosine
LR_MIN = 2e-5
VARIANTS = {   # name -> (description, value of TF_ENABLE_ONEDNN_OPTS or None to leave it as it is)
    "installed": ("Keras as installed", None),
    "onednn": ("Keras, TF_ENABLE_ONEDNN_OPTS=1", "1"),
    "no-onednn": ("Keras, TF_ENABLE_ONEDNN_OPTS=0", "0"),
}
MESSAGE = "@@bench@@ "   # prefix of the worker's protocol lines on its stdout
QUICK = {"batches": 5, "epochs": 3, "num_test": 1_000, "num_val": 500}


@dataclass
class Benchmark:
    """One model's benchmark: what differs between the ``*_vs_keras.py`` scripts.

    name : short name, used for the temporary weights file
    numpy_side : the NumPy row's label in the table
    describe : ``describe(args) -> str``, the network and its recipe, for the "data:" line
    numpy_model : ``numpy_model(args) -> model``, a course.nn model (``params``, ``loss``, ``evaluate``)
    keras_layers : ``keras_layers(keras, args) -> list``, the Keras network after ``keras.Input``
    keras_input_shape : the shape of one Keras input sample, e.g. (28, 28, 1)
    to_keras_weights : ``to_keras_weights(params) -> list``, the NumPy parameters as ``set_weights`` takes them
    add_arguments : ``add_arguments(parser)``, the script's own options (they reach the workers too)
    default_epochs : epochs on each side when ``--epochs`` is not given
    numpy_input_shape : the shape of one NumPy input sample, or None to keep the images (28, 28)
    flops : ``flops(args) -> float``, multiply-adds times 2 of one sample's forward pass (the report
        counts a training step as three forward passes: forward, and the two products of the backward)
    """

    name: str
    numpy_side: str
    describe: Callable
    numpy_model: Callable
    keras_layers: Callable
    keras_input_shape: tuple
    to_keras_weights: Callable
    add_arguments: Callable = field(default=lambda parser: None)
    default_epochs: int = 20
    numpy_input_shape: tuple | None = None
    flops: Callable | None = None


def load_split(quick, batch_size):
    """The training split both sides use, and the test set; quick mode keeps a few batches.

    Returns (data, split, X_test, y_test): images (N, 28, 28) float32 in [0, 1], labels (N,).
    """
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
    """The learning rate of each epoch (from 0), the same on both sides."""
    return CosineDecay(ADAM["lr"], epochs, lr_min=LR_MIN)


# --- the Keras side, in a worker process ---------------------------------------------------------

def send(message):
    print(MESSAGE + json.dumps(message), flush=True)


def keras_worker(bench, args):
    """Train the Keras network one epoch per "go" line on stdin; report each epoch, then the test accuracy."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from course.frameworks import load_keras

    keras = load_keras()
    import tensorflow as tf

    if args.worker_threads:        # before TensorFlow runs its first operation
        tf.config.threading.set_intra_op_parallelism_threads(args.worker_threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.worker_threads)

    try:   # private, but the only way to ask TensorFlow whether oneDNN is on
        from tensorflow.python.util import _pywrap_util_port
        onednn = bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        onednn = None
    data, split, X_test, y_test = load_split(args.quick, args.batch_size)
    shape = tuple(bench.keras_input_shape)
    X_train, X_test = split.X_train.reshape(-1, *shape), X_test.reshape(-1, *shape)
    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential([keras.Input(shape), *bench.keras_layers(keras, args)])
    with np.load(args.weights) as weights:
        model.set_weights(bench.to_keras_weights(dict(weights)))
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
            self.start, self.cpu_start = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            send({"seconds": time.perf_counter() - self.start, "cpu_seconds": time.process_time() - self.cpu_start,
                  "loss": float(logs["loss"])})

    rate = schedule(args.epochs)
    model.fit(X_train, split.y_train, batch_size=args.batch_size, epochs=args.epochs, shuffle=True, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: rate(epoch)), Turns()])
    send({"test_acc": float(model.evaluate(X_test, y_test, verbose=0, batch_size=1_000)[1])})
    return 0


def split_variant(variant):
    """``"installed:1"`` -> ("installed", 1): a variant's name and its TensorFlow threads (0: TF's default)."""
    name, _, threads = variant.partition(":")
    if name not in VARIANTS or (threads and not (threads.isdigit() and int(threads) > 0)):
        raise ValueError(f"unknown Keras variant {variant!r}: a name ({', '.join(VARIANTS)}), optionally "
                         "followed by :N for N TensorFlow threads (intra-op and inter-op), e.g. installed:1")
    return name, int(threads or 0)


class Worker:
    """A Keras variant in a subprocess: ``wait_ready()``, then ``epoch()`` once per epoch, then ``finish()``.

    The subprocess is ``script --worker --weights FILE`` with the options the benchmark was given.
    """

    def __init__(self, variant, script, argv, weights):
        self.name = variant
        base, threads = split_variant(variant)
        self.description, flag = VARIANTS[base]
        if threads:
            self.description += f", {threads} thread{'s' if threads != 1 else ''}"
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        if flag is not None:
            env["TF_ENABLE_ONEDNN_OPTS"] = flag
        command = [sys.executable, str(script), *argv, "--worker", "--weights", str(weights),
                   "--worker-threads", str(threads)]
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=str(ROOT))
        self.info, self.seconds, self.cpu_seconds, self.losses, self.test_acc = {}, [], [], [], None

    def receive(self):
        for line in self.process.stdout:
            if line.startswith(MESSAGE):
                return json.loads(line[len(MESSAGE):])
        raise RuntimeError(f"the {self.name} Keras worker stopped (exit code {self.process.wait()}); "
                           "its error is printed above")

    def wait_ready(self):
        self.info = self.receive()

    def epoch(self):
        if self.seconds:
            self.receive()                        # "waiting": it is at the start of the next epoch
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        result = self.receive()
        self.seconds.append(result["seconds"])
        self.cpu_seconds.append(result["cpu_seconds"])
        self.losses.append(result["loss"])

    def finish(self):
        self.test_acc = self.receive()["test_acc"]
        self.process.stdin.close()
        self.process.wait(timeout=60)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# --- the report ------------------------------------------------------------------------------------

def blas_settings():
    """The BLAS libraries NumPy uses, their thread counts and kernel types (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    def describe(i):
        text = f"{i['internal_api']} {i.get('version') or ''} {i['num_threads']} thread" \
               f"{'s' if i['num_threads'] != 1 else ''}".replace("  ", " ")
        if i.get("architecture"):
            text += f", {i['architecture']} kernels"
            if i["internal_api"] == "openblas" and os.environ.get("OPENBLAS_CORETYPE"):
                text += f" (OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']})"
        return text
    return "; ".join(describe(i) for i in threadpool_info() if i["user_api"] == "blas") or "no BLAS found"


def keras_settings(info):
    onednn = {True: "oneDNN on", False: "oneDNN off", None: "oneDNN unknown"}[info.get("onednn")]
    def threads(n):
        return f"{n}" if n else f"0 (= {info.get('cpus')} cores)"
    return (f"TF {info.get('tensorflow')}, {onednn}, intra-op {threads(info.get('intra_op'))}, "
            f"inter-op {threads(info.get('inter_op'))}")


def epoch_figures(seconds):
    """The first epoch apart (it pays for warm-up: caches, TensorFlow's tracing), min and median of the rest."""
    rest = seconds[1:]
    return {"epochs": len(seconds), "first": float(seconds[0]), "min": float(np.min(rest)),
            "median": float(np.median(rest))}


def summary_rows(numpy_side, numpy_seconds, numpy_acc, workers, blas, numpy_cpu=None):
    """One row per side: name, epochs, first epoch, min and median s/epoch of the others, test accuracy,
    NumPy/Keras ratio of the medians, threads; and the median CPU seconds per epoch (the process's, all
    its threads; the first epoch left out) with the NumPy/Keras ratio of those."""
    numpy = epoch_figures(numpy_seconds)
    numpy_cpu_median = float(np.median(numpy_cpu[1:])) if numpy_cpu else None
    rows = [{"side": numpy_side, **numpy, "test_acc": numpy_acc, "ratio": None, "threads": blas,
             "cpu": numpy_cpu_median, "cpu_ratio": None}]
    for w in workers:
        keras = epoch_figures(w.seconds)
        cpu = float(np.median(w.cpu_seconds[1:])) if w.cpu_seconds else None
        rows.append({"side": w.description, **keras, "test_acc": w.test_acc,
                     "ratio": numpy["median"] / keras["median"], "threads": keras_settings(w.info), "cpu": cpu,
                     "cpu_ratio": numpy_cpu_median / cpu if numpy_cpu_median and cpu else None})
    return rows


def print_table(rows):
    width = max(38, *(len(r["side"]) for r in rows))
    print(f"\n{'':{width}s} {'epochs':>6s} {'first s':>8s} {'min s':>7s} {'median s':>9s} {'test acc':>9s} "
          f"{'NumPy/this':>11s} {'CPU s':>7s} {'CPU NumPy/this':>15s}  threads")
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        cpu = "" if r.get("cpu") is None else f"{r['cpu']:.2f}"
        cpu_ratio = "" if r.get("cpu_ratio") is None else f"{r['cpu_ratio']:.2f}"
        print(f"{r['side']:{width}s} {r['epochs']:6d} {r['first']:8.2f} {r['min']:7.2f} {r['median']:9.2f} "
              f"{r['test_acc']:9.2%} {ratio:>11s} {cpu:>7s} {cpu_ratio:>15s}  {r['threads']}")


# --- the command line and the run -----------------------------------------------------------------

def parse_args(bench, doc, argv):
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=bench.default_epochs,
                        help=f"epochs on each side (default {bench.default_epochs}; at least 3)")
    parser.add_argument("--batch-size", type=int, default=128, help="samples per step (128)")
    parser.add_argument("--keras", default="installed,onednn",
                        help=f"comma-separated Keras variants: {', '.join(VARIANTS)}, each optionally with :N, "
                             "N TensorFlow threads, e.g. installed:1 (default installed,onednn)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads of each NumPy process (1)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes of the NumPy side, each with its share of every batch "
                             "(course.nn.parallel.DataParallel; default 1)")
    parser.add_argument("--blas-coretype", default=None,
                        help="OpenBLAS kernels of the NumPy side: a core type (Haswell: AVX2, SkylakeX: AVX-512) "
                             "or auto (OpenBLAS detects the CPU); default: OPENBLAS_CORETYPE as the environment has it")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the batch order")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke test: {QUICK['epochs']} epochs of {QUICK['batches']} batches")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    parser.add_argument("--progress", action="store_true", help="a progress bar for the NumPy side")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--weights", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, default=0, help=argparse.SUPPRESS)
    bench.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = QUICK["epochs"]
    variants = [v for v in args.keras.split(",") if v]
    for variant in variants:
        try:
            split_variant(variant)
        except ValueError as error:
            parser.error(str(error))
    if not variants:
        parser.error(f"no Keras variant; choose from {', '.join(VARIANTS)}")
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    if args.epochs < 3 and not args.worker:
        parser.error("--epochs must be at least 3 (the first epoch is reported apart, min and median of the rest)")
    args.variants = variants
    return args


def use_blas_kernels(coretype, script, argv):
    """Run ``script argv`` again with ``OPENBLAS_CORETYPE=coretype`` ("auto": unset, OpenBLAS's own choice)
    unless the environment already says so: OpenBLAS reads the variable once, when NumPy is imported."""
    current = os.environ.get("OPENBLAS_CORETYPE")
    if coretype is None or current == (None if coretype == "auto" else coretype):
        return
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    if coretype != "auto":
        env["OPENBLAS_CORETYPE"] = coretype
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, str(script), *argv], env)


def main(bench, script, doc, argv=None):
    """Run ``bench`` from the command line ``argv`` (default ``sys.argv[1:]``); ``script`` is the caller's file."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(bench, doc, argv)
    if args.worker:
        return keras_worker(bench, args)
    use_blas_kernels(args.blas_coretype, script, argv)
    # A `kill` should stop the workers too: turn SIGTERM into an exception, so that `finally` runs.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=args.threads, user_api="blas")

    data, split, X_test, y_test = load_split(args.quick, args.batch_size)
    if bench.numpy_input_shape is not None:
        shape = tuple(bench.numpy_input_shape)
        split.X_train, split.X_val, X_test = (X.reshape(-1, *shape) for X in (split.X_train, split.X_val, X_test))
    model = bench.numpy_model(args)
    if args.workers > 1:               # the batch split across processes; the model's params stay its own
        model = DataParallel(model, workers=args.workers, seed=args.seed)
    weights = Path(os.environ.get("TMPDIR", "/tmp")) / f"{bench.name}_vs_keras_{os.getpid()}.npz"
    np.savez(weights, **model.params)          # the initial weights, for every side
    loads = [os.getloadavg()[0]]
    print(f"data:    {data.name}: train {len(split.X_train):,}, test {len(X_test):,}; {bench.describe(args)}; "
          f"batch size {args.batch_size}, {args.epochs} epochs, Adam {ADAM} to {LR_MIN} (cosine)")
    print(f"machine: {os.cpu_count()} CPUs, NumPy {np.__version__}, load average {loads[0]:.2f}")
    worker_argv = [a for a in argv if a not in ("--progress",)]
    workers = [Worker(name, script, worker_argv, weights) for name in args.variants]
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
        if isinstance(model, DataParallel):
            model.close()
        weights.unlink(missing_ok=True)
    numpy_acc = model.evaluate(X_test, y_test)[1]
    numpy_side = bench.numpy_side + (f", {args.workers} processes" if args.workers > 1 else "")
    numpy_threads = blas_settings() + (f" in each of {args.workers} processes" if args.workers > 1 else "")
    rows = summary_rows(numpy_side, history["seconds"], numpy_acc, workers, numpy_threads, history["cpu_seconds"])
    print_table(rows)
    print(f"\nload average (1 min) during the run: min {min(loads):.2f}, max {max(loads):.2f}, "
          f"mean {np.mean(loads):.2f} on {os.cpu_count()} CPUs")
    print("NumPy/this: the NumPy median epoch divided by this side's median epoch (below 1: NumPy is faster)")
    if args.json:
        report = {"benchmark": bench.name, "rows": rows, "loads": loads, "epochs": args.epochs,
                  "batch_size": args.batch_size, "quick": args.quick, "num_train": len(split.X_train),
                  "flops_per_sample": bench.flops(args) if bench.flops else None}
        report.update({k: v for k, v in vars(args).items() if k not in report and isinstance(v, (int, float))
                       and not isinstance(v, bool)})
        args.json.write_text(json.dumps(report, indent=2))
    return 0
