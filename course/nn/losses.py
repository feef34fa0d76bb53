"""Losses: cross-entropy of probabilities (lesson 05), softmax cross-entropy from scores with its
gradient (lesson 06), the L2 weight penalty (lesson 08), and the mean squared error of regression
(lesson 11).

Classifiers in ``course.nn`` end in scores (logits); :func:`softmax_cross_entropy` turns them into
the loss and its gradient in one fused, stable step, so no probability is rounded to 0 and logged.
"""

from __future__ import annotations

import numpy as np

from course.nn.functional import log_softmax

__all__ = ["cross_entropy", "softmax_cross_entropy", "mean_squared_error", "l2_penalty", "check_labels"]


def check_labels(y, num_samples, num_classes, name="y"):
    """``y`` as an integer array of shape (num_samples,) with values in 0..num_classes-1, or ValueError."""
    y = np.asarray(y)
    if y.shape != (num_samples,):
        raise ValueError(f"{name} must hold one integer label per row of scores, shape ({num_samples},), "
                         f"got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels {name} must be integers, got dtype {y.dtype}")
    if num_samples and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got values from {y.min()} to {y.max()}")
    return y


def cross_entropy(P, Y, eps=1e-12):
    """Mean cross-entropy between predicted probabilities and targets, with clipping.

    Parameters
    ----------
    P : (N, K) predicted probabilities
    Y : (N, K) targets (one-hot or soft rows), or (N,) integer labels in 0..K-1
    eps : probabilities are clipped to [eps, 1] before the log

    Returns
    -------
    loss : float, the mean over the N examples of -sum_k Y[n, k] log P[n, k]
    """
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y)
    if P.ndim != 2:
        raise ValueError(f"P must be a 2-D array of shape (N, K), got shape {P.shape}")
    num_samples, num_classes = P.shape
    if Y.ndim == 1:
        Y = np.eye(num_classes)[check_labels(Y, num_samples, num_classes)]
    elif Y.shape != P.shape:
        raise ValueError(f"P has shape {P.shape} but Y has shape {Y.shape}: they must match")
    return float(0.0 - np.sum(Y * np.log(np.clip(P, eps, 1.0))) / num_samples)


def softmax_cross_entropy(scores, y):
    """Mean cross-entropy of the softmax of ``scores`` against integer labels, and its gradient.

    Parameters
    ----------
    scores : (N, C) class scores (logits); float32 stays float32
    y : (N,) integer labels in 0..C-1

    Returns
    -------
    loss : float, ``-mean_n log softmax(scores)[n, y_n]``
    dscores : (N, C) gradient of ``loss`` with respect to ``scores``: ``(P - Y) / N``

    Raises
    ------
    ValueError : scores not 2-D, or labels of the wrong shape, type or range
    """
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-D array of shape (N, C), got shape {scores.shape}")
    num_samples, num_classes = scores.shape
    y = check_labels(y, num_samples, num_classes)
    rows = np.arange(num_samples)
    log_probs = log_softmax(scores, axis=1)               # (N, C)
    loss = -log_probs[rows, y].mean(dtype=np.float64)
    dscores = np.exp(log_probs, out=log_probs)            # P, reusing the buffer
    dscores[rows, y] -= 1                                 # P - Y
    dscores /= num_samples                                # the mean over the batch
    return float(loss), dscores


def mean_squared_error(pred, y):
    """Mean squared error of predictions against real targets, and its gradient (Keras' "mse").

    Parameters
    ----------
    pred : (N, K) predictions (a regression network's linear outputs); float32 stays float32
    y : (N, K) targets, or (N,) targets when K == 1

    Returns
    -------
    loss : float, ``mean((pred - y) ** 2)`` over all N K entries
    dpred : (N, K) gradient of ``loss`` with respect to ``pred``: ``2 (pred - y) / (N K)``

    Raises
    ------
    ValueError : pred not 2-D, or y of another shape
    """
    pred = np.asarray(pred)
    if not np.issubdtype(pred.dtype, np.floating):
        pred = pred.astype(np.float64)
    if pred.ndim != 2:
        raise ValueError(f"pred must be a 2-D array of shape (N, K), got shape {pred.shape}")
    y = np.asarray(y)
    if y.shape == pred.shape[:1] and pred.shape[1] == 1:
        y = y[:, None]                                    # (N,) targets of a one-output network
    if y.shape != pred.shape:
        raise ValueError(f"targets y must have the shape of pred {pred.shape} (or ({pred.shape[0]},) for "
                         f"one output), got shape {y.shape}")
    diff = pred - y.astype(pred.dtype)                    # (N, K)
    loss = np.mean(diff * diff, dtype=np.float64)
    return float(loss), diff * (2 / diff.size)


def l2_penalty(params, reg):
    """The L2 penalty ``0.5 * reg * sum_l sum(W_l ** 2)`` over the weights "W1", "W2", ...; biases excluded.

    Parameters
    ----------
    params : dict "W1", "b1", ..., "WL", "bL" (other keys starting with "W" count as weights too)
    reg : penalty strength, >= 0

    Returns
    -------
    penalty : float
    """
    if reg == 0:
        return 0.0
    return float(0.5 * reg * sum(np.sum(w * w, dtype=np.float64) for name, w in params.items()
                                 if name.startswith("W")))
