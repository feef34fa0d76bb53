"""Update rules (lesson 07), all with one interface (CS231n's)::

    next_w, config = update(w, dw, config=None)

- ``w`` is a parameter array of any shape and ``dw`` the gradient of the loss with respect to it;
- ``config`` holds the hyperparameters (``lr``, ``momentum``, ``beta1``, ...), filled in with
  ``config.setdefault``, and the optimizer's *state* (``velocity``; ``m``, ``v``, ``t``), created on
  the first call and updated in place afterwards (the state belongs to the config);
- ``w`` and ``dw`` are never modified: ``next_w`` is a new array of the dtype of ``w``.

Each parameter array needs its own ``config``; :func:`course.nn.train.fit` keeps one per name.
The learning rate is called ``lr`` everywhere in the course.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sgd", "sgd_momentum", "adam", "UPDATE_RULES", "get_update_rule"]


def _state_dtype(w, dw):
    dtype = np.result_type(w, dw)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: ``w - lr * dw``.

    Parameters
    ----------
    w : array of any shape, the current parameter
    dw : array of the shape of ``w``
    config : dict or None; uses ``"lr"`` (default 1e-2)

    Returns
    -------
    next_w : new array of the shape of ``w``
    config : the same dict, with the defaults filled in
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    return w - config["lr"] * dw, config


def sgd_momentum(w, dw, config=None):
    """SGD with (heavy-ball) momentum: ``v = momentum * v - lr * dw``, then ``next_w = w + v``.

    Parameters
    ----------
    w : array of any shape
    dw : array of the shape of ``w``
    config : dict or None; uses ``"lr"`` (default 1e-2), ``"momentum"`` (default 0.9) and the state
        ``"velocity"`` (zeros of the shape of ``w`` at first)

    Returns
    -------
    next_w : new array of the shape of ``w``
    config : the same dict, with ``"velocity"`` updated
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    if v is None:
        v = np.zeros(np.shape(w), dtype=_state_dtype(w, dw))
    elif not (isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating) and v.flags.writeable):
        v = np.array(v, dtype=_state_dtype(w, dw))      # a velocity given as a list, ints or read-only
    # In place, like Adam's moments: the velocity is the optimizer's own array.
    v *= config["momentum"]
    v -= config["lr"] * dw
    config["velocity"] = v
    return w + v, config


def adam(w, dw, config=None):
    """Adam: momentum on the gradient and a per-coordinate step size from its running second moment.

    With ``t`` counting steps from 1::

        m = beta1 * m + (1 - beta1) * dw            m_hat = m / (1 - beta1**t)
        v = beta2 * v + (1 - beta2) * dw**2         v_hat = v / (1 - beta2**t)
        next_w = w - lr * m_hat / (sqrt(v_hat) + epsilon)

    Parameters
    ----------
    w : array of any shape
    dw : array of the shape of ``w``
    config : dict or None; uses ``"lr"`` (1e-3), ``"beta1"`` (0.9), ``"beta2"`` (0.999),
        ``"epsilon"`` (1e-8) and the state ``"m"``, ``"v"`` (zeros at first) and ``"t"`` (0 at first)

    Returns
    -------
    next_w : new array of the shape of ``w``
    config : the same dict, with ``"m"``, ``"v"`` (uncorrected) and ``"t"`` updated
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    m, v = config.get("m"), config.get("v")
    if m is None or v is None:
        dtype = _state_dtype(w, dw)
        m, v = np.zeros(np.shape(w), dtype=dtype), np.zeros(np.shape(w), dtype=dtype)
    t = config.get("t", 0) + 1
    # The moments are updated in place: they are the optimizer's own arrays, and a step of a large
    # network should not allocate new ones. One scratch array carries every temporary and becomes
    # next_w; the bias corrections are scalars folded into the step: sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2**t).
    scratch = np.empty(np.shape(w), dtype=np.result_type(m, w))
    np.multiply(dw, 1 - beta1, out=scratch)
    m *= beta1
    m += scratch
    np.multiply(dw, dw, out=scratch)
    scratch *= 1 - beta2
    v *= beta2
    v += scratch
    np.sqrt(v, out=scratch)
    scratch *= 1 / np.sqrt(1 - beta2 ** t)
    scratch += config["epsilon"]                     # sqrt(v_hat) + epsilon
    np.divide(m, scratch, out=scratch)
    scratch *= config["lr"] / (1 - beta1 ** t)       # lr m_hat / (sqrt(v_hat) + epsilon)
    config["m"], config["v"], config["t"] = m, v, t
    return np.subtract(w, scratch, out=scratch), config


UPDATE_RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "adam": adam}


def get_update_rule(optimizer):
    """An update rule from its name in UPDATE_RULES, or the callable itself."""
    if callable(optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer in UPDATE_RULES:
        return UPDATE_RULES[optimizer]
    raise ValueError(f"unknown optimizer {optimizer!r}; use one of {', '.join(UPDATE_RULES)} or an update "
                     "rule update(w, dw, config) -> (next_w, config)")
