"""The two-layer network of lessons 04-07 as functions of a params dict, on top of ``course.nn``.

A preset, not a second implementation: every function builds ``course.nn.model.two_layer_net``
around the given parameters (no copy of the arrays is drawn) and asks it. The network, for inputs
``X`` of shape (N, D)::

    H = max(0, X @ W1 + b1)          # (N, num_hiddens)  hidden layer, ReLU
    S = H @ W2 + b2                  # (N, num_outputs)  class scores (logits)
    P = softmax(S)                   # (N, num_outputs)  class probabilities, rows sum to 1

``params`` holds "W1" (D, M), "b1" (M,), "W2" (M, C) and "b2" (C,).
"""

from __future__ import annotations

import numpy as np

from course.nn.functional import softmax
from course.nn.model import two_layer_net

__all__ = ["init_two_layer", "two_layer_scores", "two_layer_forward", "two_layer_predict",
           "two_layer_loss_and_gradients"]


def _net(params, reg=0.0):
    if "W1" not in params or "W2" not in params:
        raise KeyError(f"params must hold 'W1', 'b1', 'W2', 'b2'; its keys are {sorted(params)}")
    num_inputs, num_hiddens = np.shape(params["W1"])
    # The caller's arrays themselves: nothing is copied, and loss() never changes them.
    return two_layer_net(num_inputs, num_hiddens, np.shape(params["W2"])[1], rng=None, reg=reg,
                         params=params, copy=False)


def init_two_layer(num_inputs, num_hiddens, num_outputs, rng, scale=None, dtype=np.float64):
    """Random weights (He, or std ``scale``) and zero biases: dict "W1" (D, M), "b1", "W2" (M, C), "b2"."""
    return two_layer_net(num_inputs, num_hiddens, num_outputs, rng, scale=scale, dtype=dtype).params


def two_layer_scores(X, params):
    """Class scores (N, C) of the network, before the softmax."""
    return _net(params).loss(X)


def two_layer_forward(X, params):
    """Class probabilities (N, C): ReLU hidden layer, then a stable softmax."""
    return softmax(two_layer_scores(X, params), axis=1)


def two_layer_predict(X, params):
    """The most probable class of each input: (N,) int64."""
    return np.argmax(two_layer_scores(X, params), axis=1).astype(np.int64)


def two_layer_loss_and_gradients(X, y, params, reg=0.0):
    """Mean cross-entropy plus ``0.5 * reg * (sum(W1**2) + sum(W2**2))`` and its gradients.

    Parameters
    ----------
    X : (N, D) inputs;  y : (N,) integer labels, or (N, C) one-hot targets
    params : dict "W1", "b1", "W2", "b2";  reg : L2 strength (weights only)

    Returns
    -------
    loss : float;  grads : dict with the keys and shapes of params
    """
    net, y = _net(params, reg), np.asarray(y)
    if y.ndim == 2:
        expected = (len(X), np.shape(params["W2"])[1])
        if y.shape != expected:
            raise ValueError(f"one-hot targets Y must have shape {expected}, got {y.shape}")
        y = np.argmax(y, axis=1)
    return net.loss(X, y)
