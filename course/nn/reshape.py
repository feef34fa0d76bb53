"""Reshaping layers (lesson 09): flatten feature maps into rows for the dense layers, and back.

Nothing is computed, so the backward pass only gives the gradient the shape of the input back.
Both keep the first axis (the samples) and reshape the rest, in C order: a (N, C, H, W) feature map
becomes rows of C * H * W values, channel by channel, row by row.
"""

from __future__ import annotations

import numpy as np

__all__ = ["flatten_forward", "flatten_backward", "reshape_forward", "reshape_backward"]


def flatten_forward(X):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...): each sample becomes one row (a view when X is contiguous).

    Returns
    -------
    out : (N, D) with D the product of the other dimensions
    cache : X.shape
    """
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"flatten_forward: X needs a sample axis and at least one more, got shape {X.shape}")
    return X.reshape(X.shape[0], -1), X.shape


def flatten_backward(dout, cache):
    """Backward pass of :func:`flatten_forward`: ``dout`` (N, D) reshaped to the input's shape."""
    return np.asarray(dout).reshape(cache)


def reshape_forward(X, shape):
    """(N, ...) -> (N, *shape), e.g. rows of 784 pixels -> (N, 1, 28, 28) images.

    Returns
    -------
    out : (N, *shape);  cache : X.shape

    Raises
    ------
    ValueError : the sizes do not match
    """
    X = np.asarray(X)
    shape = tuple(int(s) for s in shape)
    if X.ndim < 1 or int(np.prod(X.shape[1:])) != int(np.prod(shape)):
        raise ValueError(f"reshape_forward: cannot read samples of shape {X.shape[1:]} as {shape}")
    return X.reshape((X.shape[0],) + shape), X.shape


def reshape_backward(dout, cache):
    """Backward pass of :func:`reshape_forward`: ``dout`` reshaped to the input's shape."""
    return np.asarray(dout).reshape(cache)
