"""Elementwise and row-wise functions every later lesson reuses: softmax, log-softmax, sigmoid.

Lesson 01 derives the stable softmax and lesson 02 the stable sigmoid; this is the one place in the
course package where they are written. Every function keeps the floating dtype of its input
(float32 in, float32 out) and promotes integers to float64.
"""

from __future__ import annotations

import numpy as np

__all__ = ["softmax", "log_softmax", "sigmoid"]


def _as_float(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def log_softmax(Z, axis=-1):
    """log softmax(Z) along ``axis``, computed stably: Z - max - log(sum(exp(Z - max))).

    Parameters
    ----------
    Z : array of scores, e.g. (N, C); integer input is promoted to float64
    axis : the axis whose entries form one distribution (the classes)

    Returns
    -------
    log_P : array of the shape of Z, every entry <= 0; it never holds -inf for finite Z
    """
    Z = _as_float(Z)
    shifted = Z - Z.max(axis=axis, keepdims=True)    # the largest score becomes 0: exp cannot overflow
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(Z, axis=-1):
    """Stable softmax along ``axis``: exp(Z - max) / sum(exp(Z - max)).

    Parameters
    ----------
    Z : array of scores, e.g. (N, C) or (C,); integer input is promoted to float64
    axis : the axis whose entries form one distribution (the classes)

    Returns
    -------
    P : array of the shape of Z, non-negative, summing to 1 along ``axis``
    """
    Z = _as_float(Z)
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def sigmoid(x):
    """Stable logistic sigmoid 1 / (1 + exp(-x)), elementwise.

    ``exp`` is only ever taken of ``-|x|``, which lies in (-inf, 0]: it never overflows, for
    x = -1000 as for x = 1000.

    Parameters
    ----------
    x : array of any shape (or a scalar); integer input is promoted to float64

    Returns
    -------
    s : array of the shape of x, values in [0, 1]
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))                     # in (0, 1]
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
