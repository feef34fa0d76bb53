"""A reference two-layer network (dense -> ReLU -> dense -> softmax) with its gradients and a trainer.

Lessons use it before students build their own: lesson 05 trains it to study the loss and the
predictions, and lesson 06 derives, line by line, the gradients that
:func:`two_layer_loss_and_gradients` computes here.

The network, for inputs ``X`` of shape (N, D)::

    H = max(0, X @ W1 + b1)          # (N, num_hiddens)  hidden layer, ReLU
    S = H @ W2 + b2                  # (N, num_outputs)  class scores (logits)
    P = softmax(S)                   # (N, num_outputs)  class probabilities, rows sum to 1

Parameters live in a dict ``params`` with keys ``"W1"`` (D, M), ``"b1"`` (M,), ``"W2"`` (M, C) and
``"b2"`` (C,), where M = num_hiddens and C = num_outputs. Everything is vectorized NumPy in float64.
"""

from __future__ import annotations

import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def init_two_layer(num_inputs, num_hiddens, num_outputs, rng, scale=None):
    """Random weights and zero biases for a two-layer network.

    Parameters
    ----------
    num_inputs : D, the number of input features
    num_hiddens : M, the number of hidden ReLU units
    num_outputs : C, the number of classes
    rng : numpy Generator used to draw the weights
    scale : standard deviation of every weight; ``None`` (default) uses He initialization,
        ``sqrt(2 / fan_in)`` per layer, which keeps the size of the activations steady through ReLUs

    Returns
    -------
    params : dict with "W1" (D, M), "b1" (M,), "W2" (M, C), "b2" (C,), all float64
    """
    std1 = np.sqrt(2.0 / num_inputs) if scale is None else float(scale)
    std2 = np.sqrt(2.0 / num_hiddens) if scale is None else float(scale)
    return {
        "W1": std1 * rng.standard_normal((num_inputs, num_hiddens)),
        "b1": np.zeros(num_hiddens),
        "W2": std2 * rng.standard_normal((num_hiddens, num_outputs)),
        "b2": np.zeros(num_outputs),
    }


def _check_params(X, params):
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise KeyError(f"params is missing {missing}; expected keys {list(PARAM_NAMES)}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"X must have shape (N, {params['W1'].shape[0]}) to match W1 of shape "
                         f"{params['W1'].shape}, got {X.shape}")
    return X


def _forward(X, params):
    """Scores and the intermediate values the backward pass needs."""
    A = X @ params["W1"] + params["b1"]          # (N, M) pre-activations
    H = np.maximum(A, 0.0)                       # (N, M)
    S = H @ params["W2"] + params["b2"]          # (N, C)
    return S, (A, H)


def _log_softmax(S):
    """log softmax(S) row by row, computed stably: S - max - log(sum(exp(S - max)))."""
    shifted = S - S.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def two_layer_scores(X, params):
    """Class scores (logits) of the network.

    Parameters
    ----------
    X : (N, D) inputs
    params : dict from :func:`init_two_layer`

    Returns
    -------
    S : (N, C) scores, before the softmax
    """
    X = _check_params(X, params)
    return _forward(X, params)[0]


def two_layer_forward(X, params):
    """Class probabilities of the network: ReLU hidden layer, then a stable softmax.

    Parameters
    ----------
    X : (N, D) inputs
    params : dict from :func:`init_two_layer`

    Returns
    -------
    P : (N, C) probabilities; every row is non-negative and sums to 1
    """
    return np.exp(_log_softmax(two_layer_scores(X, params)))


def two_layer_predict(X, params):
    """The most probable class of each input.

    Parameters
    ----------
    X : (N, D) inputs
    params : dict from :func:`init_two_layer`

    Returns
    -------
    y_pred : (N,) int64 class indices
    """
    return np.argmax(two_layer_scores(X, params), axis=1).astype(np.int64)


def _as_labels(Y, num_samples, num_classes):
    """Integer labels (N,) from one-hot targets (N, C) or from labels (N,)."""
    Y = np.asarray(Y)
    if Y.ndim == 2:
        if Y.shape != (num_samples, num_classes):
            raise ValueError(f"one-hot targets Y must have shape {(num_samples, num_classes)}, "
                             f"got {Y.shape}")
        return np.argmax(Y, axis=1)
    if Y.shape != (num_samples,):
        raise ValueError(f"labels y must have shape ({num_samples},), got {Y.shape}")
    if not np.issubdtype(Y.dtype, np.integer):
        raise ValueError(f"labels y must be integers, got dtype {Y.dtype}")
    if Y.size and (Y.min() < 0 or Y.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {Y.min()}..{Y.max()}")
    return Y


def two_layer_loss_and_gradients(X, Y, params, reg=0.0):
    """Mean cross-entropy loss of the network and its gradient with respect to every parameter.

    The loss is ``-mean_n log P[n, y_n] + 0.5 * reg * (sum(W1**2) + sum(W2**2))``, computed from the
    scores with a stable log-softmax (no probability is ever rounded to 0 and then logged).

    Parameters
    ----------
    X : (N, D) inputs
    Y : (N, C) one-hot targets, or (N,) integer labels in 0..C-1
    params : dict from :func:`init_two_layer`
    reg : strength of the L2 penalty on the weights (not on the biases)

    Returns
    -------
    loss : float
    grads : dict with "W1" (D, M), "b1" (M,), "W2" (M, C), "b2" (C,), the gradients of ``loss``
    """
    X = _check_params(X, params)
    num_samples, num_classes = X.shape[0], params["W2"].shape[1]
    y = _as_labels(Y, num_samples, num_classes)
    rows = np.arange(num_samples)

    S, (A, H) = _forward(X, params)
    log_P = _log_softmax(S)                                  # (N, C)
    loss = -log_P[rows, y].mean()
    loss += 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))

    # Backward pass (derived in lesson 06). Softmax followed by cross-entropy has the simple
    # gradient P - Y with respect to the scores; the 1/N comes from the mean.
    dS = np.exp(log_P)
    dS[rows, y] -= 1.0
    dS /= num_samples                                        # (N, C)
    dW2 = H.T @ dS + reg * params["W2"]                      # (M, C)
    db2 = dS.sum(axis=0)                                     # (C,)
    dH = dS @ params["W2"].T                                 # (N, M)
    dA = dH * (A > 0)                                        # ReLU passes the gradient where it was active
    dW1 = X.T @ dA + reg * params["W1"]                      # (D, M)
    db1 = dA.sum(axis=0)                                     # (M,)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def train_two_layer(X, y, num_hiddens, num_classes, lr, num_epochs, rng, callback=None,
                    batch_size=None, reg=0.0, params=None, scale=None):
    """Train the two-layer network by (minibatch) gradient descent on the cross-entropy loss.

    Parameters
    ----------
    X : (N, D) inputs
    y : (N,) integer labels in 0..num_classes-1 (or (N, C) one-hot targets)
    num_hiddens : M, the number of hidden units
    num_classes : C
    lr : learning rate (step size)
    num_epochs : passes over the data; with ``batch_size=None`` one epoch is one full-batch step
    rng : numpy Generator for the initial weights and the order of the minibatches
    callback : optional ``callback(step, params, loss)`` called after every step with the step
        number (1, 2, ...), the updated parameters and the loss of the batch *before* the update.
        Each step makes new arrays, so a callback may keep ``params`` (e.g. as a snapshot) without
        copying it.
    batch_size : samples per step; ``None`` means full batch
    reg : L2 penalty strength, see :func:`two_layer_loss_and_gradients`
    params : starting parameters (not modified); default: :func:`init_two_layer` with ``rng``
    scale : weight scale for :func:`init_two_layer` when ``params`` is not given

    Returns
    -------
    params : dict of the trained parameters
    history : dict with "loss", a list of the batch loss at every step (before its update)
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    num_samples = X.shape[0]
    if y.shape[0] != num_samples:
        raise ValueError(f"X has {num_samples} samples but y has {y.shape[0]}")
    if params is None:
        params = init_two_layer(X.shape[1], num_hiddens, num_classes, rng, scale=scale)
    params = {name: np.array(params[name], dtype=np.float64) for name in PARAM_NAMES}
    batch_size = num_samples if batch_size is None else int(batch_size)

    history = {"loss": []}
    step = 0
    for _ in range(num_epochs):
        order = np.arange(num_samples) if batch_size >= num_samples else rng.permutation(num_samples)
        for start in range(0, num_samples, batch_size):
            batch = order[start:start + batch_size]
            loss, grads = two_layer_loss_and_gradients(X[batch], y[batch], params, reg=reg)
            # New arrays each step (not in-place updates): snapshots kept by a callback stay valid.
            params = {name: params[name] - lr * grads[name] for name in PARAM_NAMES}
            history["loss"].append(loss)
            step += 1
            if callback is not None:
                callback(step, params, loss)
    return params, history
