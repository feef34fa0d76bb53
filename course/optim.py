"""Reference optimizers, a minibatch iterator and a training loop (lesson 07).

Lesson 07 has students write these themselves; this module is the reference that later lessons and
the benchmarks (``benchmarks/``) import, so that they never depend on a notebook.

Every update rule has the same interface (as in CS231n)::

    next_w, config = update(w, dw, config=None)

- ``w`` is a parameter array of any shape and ``dw`` the gradient of the loss with respect to it, of
  the same shape;
- ``config`` is a dict of hyperparameters (``learning_rate``, ``momentum``, ...) and of the
  optimizer's *state* (``velocity``; ``m``, ``v``, ``t``); missing hyperparameters get their defaults
  with ``config.setdefault``, and the state is created on the first call;
- ``w`` and ``dw`` are never modified in place: ``next_w`` is a new array.

Each parameter array of a model needs its own ``config`` (its own velocity, its own moments):
:func:`train` keeps one dict per parameter name.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

__all__ = ["sgd", "sgd_momentum", "adam", "minibatches", "evaluate_accuracy", "train", "UPDATE_RULES"]


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: ``w - learning_rate * dw``.

    Parameters
    ----------
    w : array of any shape, the current parameter
    dw : array of the shape of ``w``, the gradient of the loss with respect to ``w``
    config : dict or None; uses ``"learning_rate"`` (default 1e-2)

    Returns
    -------
    next_w : new array of the shape of ``w``
    config : the same dict, with the defaults filled in
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with (heavy-ball) momentum.

    ``v = momentum * v - learning_rate * dw`` then ``next_w = w + v``; the velocity ``v`` starts at 0.

    Parameters
    ----------
    w : array of any shape
    dw : array of the shape of ``w``
    config : dict or None; uses ``"learning_rate"`` (default 1e-2), ``"momentum"`` (default 0.9)
        and the state ``"velocity"`` (an array of the shape of ``w``, zeros at first)

    Returns
    -------
    next_w : new array of the shape of ``w``
    config : the same dict, with ``"velocity"`` updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    v = np.zeros_like(w, dtype=np.result_type(w, dw, float)) if v is None else v
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def adam(w, dw, config=None):
    """Adam: momentum on the gradient, a per-coordinate step size from its running second moment.

    With ``t`` counting steps from 1::

        m = beta1 * m + (1 - beta1) * dw            m_hat = m / (1 - beta1**t)
        v = beta2 * v + (1 - beta2) * dw**2         v_hat = v / (1 - beta2**t)
        next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    The bias corrections undo the pull of the zero initial ``m`` and ``v`` towards 0 in early steps.

    Parameters
    ----------
    w : array of any shape
    dw : array of the shape of ``w``
    config : dict or None; uses ``"learning_rate"`` (default 1e-3), ``"beta1"`` (0.9), ``"beta2"``
        (0.999), ``"epsilon"`` (1e-8) and the state ``"m"``, ``"v"`` (arrays of the shape of ``w``,
        zeros at first) and ``"t"`` (the number of steps taken, 0 at first)

    Returns
    -------
    next_w : new array of the shape of ``w``
    config : the same dict, with ``"m"``, ``"v"`` (uncorrected) and ``"t"`` updated
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    dtype = np.result_type(w, dw, float)
    m = config.get("m")
    v = config.get("v")
    m = np.zeros_like(w, dtype=dtype) if m is None else m
    v = np.zeros_like(w, dtype=dtype) if v is None else v
    t = config.get("t", 0) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * (dw * dw)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


UPDATE_RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "adam": adam}


def minibatches(X, y, batch_size, rng):
    """Yield the samples in a fresh random order, ``batch_size`` at a time: one epoch.

    Every sample appears exactly once; the last batch is smaller when ``batch_size`` does not divide
    N. The order is ``rng.permutation(N)``, drawn when the iteration starts, so each call (each epoch)
    gets a new order and the same seed gives the same order.

    Parameters
    ----------
    X : (N, ...) inputs
    y : (N,) labels (or (N, C) one-hot targets)
    batch_size : positive integer
    rng : numpy Generator

    Yields
    ------
    X_batch : (B, ...) with B = batch_size, except possibly the last batch
    y_batch : (B,) (or (B, C))

    Raises
    ------
    ValueError : batch_size is not a positive integer, or X and y differ in length
    """
    # Checked here, not at the first next(): a generator body only runs when iterated.
    _check_batch_args(X, y, batch_size)
    return _minibatches(X, y, int(batch_size), rng)


def _check_batch_args(X, y, batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")


def _minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def evaluate_accuracy(predict, params, X, y, chunk_size=10_000):
    """Fraction of the rows of ``X`` whose predicted class equals ``y``.

    Predicts ``chunk_size`` rows at a time, so that a large float32 data set is never copied whole
    into float64.

    Parameters
    ----------
    predict : callable ``predict(X, params) -> (N,) int classes``
    params : the model's parameters
    X : (N, D) inputs
    y : (N,) integer labels

    Returns
    -------
    acc : float in [0, 1]
    """
    if len(X) == 0:
        raise ValueError("accuracy of an empty data set")
    correct = sum(int(np.sum(predict(X[i:i + chunk_size], params) == y[i:i + chunk_size]))
                  for i in range(0, len(X), chunk_size))
    return correct / len(X)


def train(params, X_train, y_train, X_val, y_val, loss_and_grads, predict, optimizer,
          optim_config=None, num_epochs=10, batch_size=100, rng=None, progress=True):
    """Train a model by minibatch gradient descent with any update rule.

    Parameters
    ----------
    params : dict name -> array, the starting parameters (not modified)
    X_train : (N, D) training inputs;  y_train : (N,) integer labels
    X_val : (N_val, D) validation inputs;  y_val : (N_val,) integer labels
    loss_and_grads : callable ``loss_and_grads(X_batch, y_batch, params) -> (loss, grads)`` with
        ``grads`` a dict of arrays shaped like ``params``
        (e.g. :func:`course.twolayer.two_layer_loss_and_gradients`)
    predict : callable ``predict(X, params) -> (N,) int classes``
        (e.g. :func:`course.twolayer.two_layer_predict`)
    optimizer : update rule ``update(w, dw, config) -> (next_w, config)``, or its name
        ("sgd", "sgd_momentum", "adam")
    optim_config : dict of hyperparameters shared by all parameters, e.g. ``{"learning_rate": 1e-3}``;
        each parameter gets its own copy, which then also holds its own optimizer state
    num_epochs : passes over the training data
    batch_size : samples per step (the last batch of an epoch may be smaller)
    rng : numpy Generator that shuffles the batches (default: seeded with 0)
    progress : show a progress bar (tqdm) over the steps

    Returns
    -------
    params : dict of the trained parameters (new arrays)
    history : dict of lists. Per epoch: "loss" (mean batch loss over the epoch), "train_acc",
        "val_acc", "seconds" (time spent on the updates of that epoch, without the evaluation).
        Per step: "batch_loss", the loss of every batch before its update.
    """
    update = UPDATE_RULES[optimizer] if isinstance(optimizer, str) else optimizer
    rng = np.random.default_rng(0) if rng is None else rng
    _check_batch_args(X_train, y_train, batch_size)
    params = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    configs = {name: dict(optim_config or {}) for name in params}
    history = {"loss": [], "train_acc": [], "val_acc": [], "seconds": [], "batch_loss": []}

    steps_per_epoch = -(-len(X_train) // batch_size)
    with tqdm(total=num_epochs * steps_per_epoch, disable=not progress, unit="step") as bar:
        for epoch in range(num_epochs):
            start, losses = time.perf_counter(), []
            for X_batch, y_batch in minibatches(X_train, y_train, batch_size, rng):
                loss, grads = loss_and_grads(X_batch, y_batch, params)
                for name in params:
                    params[name], configs[name] = update(params[name], grads[name], configs[name])
                losses.append(float(loss))
                bar.update(1)
            history["seconds"].append(time.perf_counter() - start)
            history["batch_loss"].extend(losses)
            history["loss"].append(float(np.mean(losses)))
            history["train_acc"].append(evaluate_accuracy(predict, params, X_train, y_train))
            history["val_acc"].append(evaluate_accuracy(predict, params, X_val, y_val))
            bar.set_postfix(epoch=epoch + 1, loss=f"{history['loss'][-1]:.3f}",
                            val_acc=f"{history['val_acc'][-1]:.3f}")
    return params, history
