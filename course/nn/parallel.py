"""Data parallelism: one training batch split across processes, the gradients averaged.

This is how a network trains on several cores (or GPUs): every worker holds the same model, computes
the loss and the gradients of its share of the batch, and the shares are combined. The mean loss of
a batch of N samples is the size-weighted mean of its shares' mean losses, and so is its gradient::

    loss = sum_k (N_k / N) loss_k          grads = sum_k (N_k / N) grads_k

(an L2 penalty, added once to every share, comes out once: the weights N_k / N sum to 1). So a
:class:`DataParallel` model is trained by ``course.nn.fit`` like any other model, and its gradients
are the whole batch's, up to rounding.

Why processes and not threads: NumPy releases Python's lock (the GIL) inside large operations, but a
convolutional network is also hundreds of small ones per step, and two threads fighting over the lock
ran LeNet-5's step only 1.36 times faster, some operations slower than on one thread. Each worker
process has its own interpreter. The workers are started by ``fork`` (Linux, macOS): they begin as
copies of this process, model included, and then only exchange numbers through shared memory (the
parameters, their share of the batch, their gradients) and a pipe (a few bytes per step).

What must hold: the model's ``loss(X, y)`` of a share depends only on the parameters and that share.
Batch normalization breaks it (its statistics would be those of each share, not of the batch), so a
model with BatchNorm layers is refused. Random layers (dropout, augmentation) get a generator of
their own in each worker, seeded from ``seed``: a run is reproducible, but not identical to the same
run on one process.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import time
import traceback

import numpy as np

from course.nn.model import BatchNorm, Classifier

__all__ = ["DataParallel"]


def _models(model):
    """The model and the models it wraps (``Augmented(model)`` and the like keep theirs in ``.model``)."""
    while model is not None:
        yield model
        model = getattr(model, "model", None)


def _check_model(model):
    if not hasattr(model, "params") or not callable(getattr(model, "loss", None)):
        raise TypeError("DataParallel needs a course.nn model (with .params and .loss(X, y)), got "
                        f"{type(model).__name__}")
    for inner in _models(model):
        if any(isinstance(layer, BatchNorm) for layer in getattr(inner, "layers", ())):
            raise ValueError("DataParallel: this model has BatchNorm layers, whose statistics would be those of "
                             "each worker's share instead of the batch's; train it without DataParallel "
                             "(or with workers=1)")


class _Shared:
    """Named arrays in one anonymous shared mapping, created before the fork so both sides see them."""

    def __init__(self, specs):
        offsets, total = {}, 0
        for name, (shape, dtype) in specs.items():
            total = -(-total // 64) * 64                      # 64-byte aligned, like NumPy's own arrays
            offsets[name] = total
            total += int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        self.buffer = mmap.mmap(-1, max(total, 1))            # MAP_SHARED | MAP_ANONYMOUS
        self.arrays = {name: np.ndarray(shape, dtype=dtype, buffer=self.buffer, offset=offsets[name])
                       for name, (shape, dtype) in specs.items()}

    def __getitem__(self, name):
        return self.arrays[name]


def _serve(model, shared, conn, seed):
    """A worker's loop: wait for a share, compute its loss and gradients, write them back."""
    for depth, inner in enumerate(_models(model)):
        if isinstance(getattr(inner, "rng", None), np.random.Generator):
            inner.rng = np.random.default_rng([seed, depth])
    names = list(model.params)
    for name in names:                      # the parameters are the shared arrays the parent writes
        model.params[name] = shared[f"param:{name}"]
    while True:
        try:
            message = conn.recv()
        except EOFError:                    # the parent is gone
            return
        if message is None:
            return
        n = message
        try:
            loss, grads = model.loss(shared["X"][:n], shared["y"][:n])
            for name in names:
                np.copyto(shared[f"grad:{name}"], grads[name])
            conn.send((float(loss), time.process_time()))
        except Exception as error:          # noqa: BLE001 - every error goes back to the parent
            conn.send(("error", f"{type(error).__name__}: {error}", traceback.format_exc()))


class DataParallel(Classifier):
    """A model whose training batches are split across ``workers`` processes (this one included).

    Parameters
    ----------
    model : a course.nn model (``Sequential``, ``Augmented(...)``, a preset such as ``lenet5``); its
        ``params`` stay its own dict, so training the DataParallel trains the model
    workers : processes sharing a batch, this one included (2 on a two-core machine); 1 runs the
        model as it is
    seed : seeds the random layers of the other workers (worker k: ``default_rng([seed + k, depth])``)

    ``loss(X)`` (test time) runs in this process only. ``loss(X, y)`` with N samples cuts the batch
    into ``workers`` shares of N // workers or one more samples: the first for this process, one for
    each other worker (a batch of fewer than ``workers`` samples stays here). Give
    each process one BLAS thread (``threadpoolctl.threadpool_limits(1, "blas")``, before the first
    training call: the workers keep the limit they are forked with), else the workers' BLAS threads
    compete for the same cores. ``close()`` (or a ``with`` block) stops the workers; so does the end
    of this process.
    """

    def __init__(self, model, workers=2, seed=0):
        _check_model(model)
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
            raise RuntimeError("DataParallel starts its workers with fork, which this system does not have; "
                               "use workers=1")
        self.model, self.workers, self.seed = model, int(workers), int(seed)
        self._procs, self._conns, self._shared, self._capacity, self._layout = [], [], [], 0, None
        self.worker_cpu_seconds = 0.0       # CPU time of the other workers, for fit's "cpu_seconds"
        self._worker_cpu = []

    @property
    def params(self):
        return self.model.params

    def _start(self, capacity, X, y):
        """Start the other workers with room for ``capacity`` samples of X's and y's sample shape."""
        self.close()
        ctx = multiprocessing.get_context("fork")
        specs = {"X": ((capacity,) + X.shape[1:], X.dtype), "y": ((capacity,) + y.shape[1:], y.dtype)}
        for name, value in self.params.items():
            specs[f"param:{name}"] = (np.shape(value), np.asarray(value).dtype)
            specs[f"grad:{name}"] = (np.shape(value), np.asarray(value).dtype)
        for k in range(1, self.workers):
            shared = _Shared(specs)
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(self.model, shared, child, self.seed + k), daemon=True,
                               name=f"DataParallel worker {k}")
            proc.start()
            child.close()
            self._procs.append(proc)
            self._conns.append(parent)
            self._shared.append(shared)
            self._worker_cpu.append(0.0)
        self._capacity, self._pid = capacity, os.getpid()

    def loss(self, X, y=None):
        """Scores (N, C) without ``y`` (this process); ``(loss, grads)`` with ``y``, the batch split."""
        if y is None or self.workers == 1:
            return self.model.loss(X, y)
        X, y = np.asarray(X), np.asarray(y)
        N = len(X)
        if len(y) != N:
            raise ValueError(f"X has {N} samples but y has {len(y)}")
        if N < self.workers:                        # too small to split: this process does it all
            return self.model.loss(X, y)
        bounds = [k * N // self.workers for k in range(self.workers + 1)]   # sizes differ by at most one
        share = max(hi - lo for lo, hi in zip(bounds, bounds[1:]))
        layout = (X.shape[1:], X.dtype, y.shape[1:], y.dtype,
                  tuple((name, np.shape(value), np.asarray(value).dtype) for name, value in self.params.items()))
        if share > self._capacity or getattr(self, "_pid", None) != os.getpid() or layout != self._layout:
            self._start(share, X, y)
            self._layout = layout
        try:
            return self._step(X, y, bounds)
        except BaseException:
            # An error or an interrupt (Jupyter's stop button) in the middle of a step: a worker may still
            # owe its reply, which the next step would read as its own. Stop them; the next step restarts.
            self.close()
            raise

    def _step(self, X, y, bounds):
        N = len(X)
        for k, (conn, shared) in enumerate(zip(self._conns, self._shared), start=1):
            lo, hi = bounds[k], bounds[k + 1]
            for name, value in self.params.items():
                np.copyto(shared[f"param:{name}"], value)
            np.copyto(shared["X"][:hi - lo], X[lo:hi])
            np.copyto(shared["y"][:hi - lo], y[lo:hi])
            try:
                conn.send(hi - lo)
            except OSError:                         # a broken pipe: the worker is gone
                self._stopped(k)
        loss, grads = self.model.loss(X[:bounds[1]], y[:bounds[1]])   # this process's share, meanwhile
        weight = bounds[1] / N
        loss = weight * float(loss)
        grads = {name: grads[name] * weight for name in self.params}
        errors = []
        for k, (conn, shared) in enumerate(zip(self._conns, self._shared), start=1):
            reply = self._receive(k, conn)
            if reply[0] == "error":
                errors.append(reply)
                continue
            weight = (bounds[k + 1] - bounds[k]) / N
            loss += weight * reply[0]
            self.worker_cpu_seconds += reply[1] - self._worker_cpu[k - 1]
            self._worker_cpu[k - 1] = reply[1]
            for name in grads:
                grads[name] += weight * shared[f"grad:{name}"]
        if errors:
            _, message, trace = errors[0]
            raise RuntimeError(f"a DataParallel worker failed on its share of the batch: {message}\n{trace}")
        return loss, grads

    def _receive(self, k, conn):
        try:
            return conn.recv()
        except (EOFError, OSError):
            self._stopped(k)

    def _stopped(self, k):
        proc = self._procs[k - 1]
        proc.join(timeout=1)
        code = proc.exitcode
        self.close()
        raise RuntimeError(f"DataParallel worker {k} stopped (exit code {code}) during this step; the next "
                           "training call starts the workers again")

    def close(self):
        """Stop the other workers (the next training call starts them again)."""
        for conn in self._conns:
            try:
                conn.send(None)
                conn.close()
            except OSError:
                pass
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        self._procs, self._conns, self._shared, self._worker_cpu, self._capacity = [], [], [], [], 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if getattr(self, "_pid", None) == os.getpid():
                self.close()
        except Exception:                           # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self):
        return f"DataParallel({self.model!r}, workers={self.workers})"
