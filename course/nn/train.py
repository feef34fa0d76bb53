"""The one training loop of the course: ``fit(model, data, ...)``, with evaluation and a history.

``model`` is anything with ``params`` and ``loss(X, y=None)`` (see ``course.nn.model``); ``data`` is
a :class:`Split` (from :func:`split_validation`, the one place where a validation set is held out) or
a tuple ``(X_train, y_train, X_val, y_val)``. Every step::

    X_batch, y_batch  <- minibatches(X_train, y_train, batch_size, rng)   # a new order each epoch
    loss, grads       <- model.loss(X_batch, y_batch)
    params[name], config[name] <- update(params[name], grads[name], config[name])   # one config each

After each epoch the model is evaluated with dropout off on a fixed subset of the training set and on
the validation set, and one row of the history is written. The learning rate is ``lr``: a number or
a schedule from ``course.nn.schedules``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from course.nn.batches import check_batch_size, minibatches, num_batches
from course.nn.model import params_dtype
from course.nn.optim import get_update_rule
from course.nn.schedules import as_schedule

__all__ = ["Split", "split_validation", "fit", "HISTORY_KEYS"]

HISTORY_KEYS = ("loss", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "cpu_seconds")


@dataclass
class Split:
    """Training and validation arrays: X_train (N, ...), y_train (N,), X_val (N_val, ...), y_val (N_val,)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None

    def __iter__(self):
        """Unpacks as ``X_train, y_train, X_val, y_val = split``."""
        return iter((self.X_train, self.y_train, self.X_val, self.y_val))

    def __repr__(self):
        val = "no validation set" if self.X_val is None else f"validation {self.X_val.shape}"
        return f"Split(train {self.X_train.shape}, {val})"


def split_validation(X, y, num_val=5_000, seed=0):
    """Hold out ``num_val`` random training examples for validation; every lesson and benchmark uses this.

    Parameters
    ----------
    X : (N, ...) training inputs;  y : (N,) labels
    num_val : size of the validation set, 0 <= num_val < N
    seed : the split is ``default_rng(seed).permutation(N)``: the same seed, the same split everywhere

    Returns
    -------
    split : Split with X_train (N - num_val, ...), y_train, X_val (num_val, ...), y_val
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if isinstance(num_val, bool) or not isinstance(num_val, (int, np.integer)) or not 0 <= num_val < len(X):
        raise ValueError(f"num_val must be an integer in 0..{len(X) - 1}, got {num_val!r}")
    order = np.random.default_rng(seed).permutation(len(X))
    val, train = order[:num_val], order[num_val:]
    if num_val == 0:
        return Split(X[train], y[train])
    return Split(X[train], y[train], X[val], y[val])


def _as_split(data):
    if isinstance(data, Split):
        return data
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        return Split(*data)
    raise TypeError("data must be a Split (see split_validation) or a tuple (X_train, y_train[, X_val, y_val]), "
                    f"got {type(data).__name__}")


def _cpu_seconds(model):
    """CPU time of this process, all its threads, plus that of a model's other worker processes
    (``course.nn.parallel.DataParallel`` counts theirs in ``worker_cpu_seconds``)."""
    return time.process_time() + getattr(model, "worker_cpu_seconds", 0.0)


def fit(model, data, num_epochs=10, batch_size=128, optimizer="adam", lr=1e-3, optim_config=None, rng=None,
        eval_size=10_000, callbacks=(), progress=True, label=None):
    """Train ``model`` in place by minibatch gradient descent; return the history.

    Parameters
    ----------
    model : has ``params`` (dict name -> array), ``loss(X, y=None)`` and ``evaluate(X, y)`` (every
        ``course.nn.model.Classifier``: Sequential, FunctionModel)
    data : Split, or (X_train, y_train[, X_val, y_val]); inputs (N, ...) and integer labels (N,)
    num_epochs : passes over the training set
    batch_size : samples per step (None: the whole training set, one step per epoch)
    optimizer : "sgd", "sgd_momentum", "adam", or an update rule ``update(w, dw, config)``
    lr : learning rate, a number or a schedule ``lr(epoch) -> rate`` (course.nn.schedules)
    optim_config : other hyperparameters of the update rule, e.g. {"momentum": 0.9}; each parameter
        gets its own copy, which also keeps its state (velocity, moments) from step to step
    rng : numpy Generator for the order of the batches (default: seeded with 0); dropout masks come
        from the model's own rng
    eval_size : the training curves are measured on a fixed subset of this many training samples
        (all when N is smaller, None for all), to keep evaluation cheap; 0 skips them (no
        "train_loss"/"train_acc" keys)
    callbacks : callables ``callback(epoch, model, history)`` run after each epoch (epoch from 1);
        one that returns True stops the training
    progress : show a tqdm bar over the steps
    label : the bar's description

    Returns
    -------
    history : dict of per-epoch lists "loss" (mean batch loss), "train_loss", "train_acc", "val_loss",
        "val_acc" (mean cross-entropy without penalty and accuracy, dropout off; the val keys only with
        a validation set), "lr", "seconds" (time of the updates only), "cpu_seconds" (the process's CPU
        time during the updates, all its threads, and a DataParallel model's other processes too: on a
        loaded machine it moves less than "seconds"),
        and per step "batch_loss"
    """
    split = _as_split(data)
    X_train, y_train = split.X_train, split.y_train
    if len(X_train) != len(y_train):
        raise ValueError(f"X_train has {len(X_train)} samples but y_train has {len(y_train)}")
    if split.X_val is not None and (split.y_val is None or len(split.X_val) != len(split.y_val)):
        raise ValueError(f"X_val has {len(split.X_val)} samples but y_val has "
                         f"{'none' if split.y_val is None else len(split.y_val)}")
    if optim_config and "lr" in optim_config:   # it would be overwritten by lr without a word
        raise ValueError("pass the learning rate as fit(..., lr=...), not in optim_config")
    batch_size = len(X_train) if batch_size is None else batch_size
    check_batch_size(batch_size)
    update, schedule = get_update_rule(optimizer), as_schedule(lr)
    rng = np.random.default_rng(0) if rng is None else rng
    dtype = params_dtype(model.params)
    configs = {name: dict(optim_config or {}) for name in model.params}
    # A fixed subset for the training curves, drawn from its own generator so that it does not change
    # the batch order.
    pick = (slice(None) if eval_size is None or eval_size >= len(X_train)
            else np.sort(np.random.default_rng(0).permutation(len(X_train))[:eval_size]))
    X_eval, y_eval = X_train[pick], y_train[pick]
    has_val = split.X_val is not None and len(split.X_val) > 0
    has_eval = eval_size is None or eval_size > 0
    history = {key: [] for key in HISTORY_KEYS
               if (has_val or not key.startswith("val")) and (has_eval or not key.startswith("train"))}
    history["batch_loss"] = []

    steps = num_batches(len(X_train), batch_size)
    with tqdm(total=num_epochs * steps, disable=not progress, unit="step", desc=label) as bar:
        for epoch in range(num_epochs):
            rate = schedule(epoch)
            for config in configs.values():
                config["lr"] = rate
            start, cpu_start, losses = time.perf_counter(), _cpu_seconds(model), []
            for X_batch, y_batch in minibatches(X_train, y_train, batch_size, rng):
                loss, grads = model.loss(np.asarray(X_batch, dtype=dtype), y_batch)
                for name in model.params:
                    model.params[name], configs[name] = update(model.params[name], grads[name], configs[name])
                losses.append(float(loss))
                bar.update()
            history["seconds"].append(time.perf_counter() - start)
            history["cpu_seconds"].append(_cpu_seconds(model) - cpu_start)
            history["batch_loss"].extend(losses)
            history["loss"].append(float(np.mean(losses)))
            history["lr"].append(rate)
            if has_eval:
                for key, value in zip(("train_loss", "train_acc"), model.evaluate(X_eval, y_eval)):
                    history[key].append(value)
            if has_val:
                for key, value in zip(("val_loss", "val_acc"), model.evaluate(split.X_val, split.y_val)):
                    history[key].append(value)
            bar.set_postfix({key: f"{history[key][-1]:.3f}" for key in ("loss", "val_acc") if key in history})
            if any([callback(epoch + 1, model, history) for callback in callbacks]):
                break
    return history
