"""The dense (fully connected) layer: ``out = X @ W + b`` (lesson 02), and its backward pass (lesson 06).

The contract every layer of ``course.nn`` follows (CS231n's)::

    out, cache = layer_forward(inputs..., params...)
    dinputs..., dparams... = layer_backward(dout, cache)

``cache`` holds what the backward pass needs and nothing else; ``dout`` has the shape of ``out``,
and each gradient the shape of what it is the gradient of.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dense_forward", "dense_backward"]


def dense_forward(X, W, b):
    """Forward pass of a dense layer, out = X @ W + b, and the cache its backward pass needs.

    Parameters
    ----------
    X : (N, D) inputs, one row per example
    W : (D, M) weights
    b : (M,) biases

    Returns
    -------
    out : (N, M)
    cache : the tuple (X, W, b)

    Raises
    ------
    ValueError : shapes that do not fit, naming all three
    """
    X, W, b = np.asarray(X), np.asarray(W), np.asarray(b)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError(f"dense_forward: shapes do not fit: X {X.shape}, W {W.shape}, b {b.shape}; "
                         "expected (N, D), (D, M) and (M,)")
    out = X @ W
    if np.can_cast(b.dtype, out.dtype, "same_kind"):
        out += b                               # in place: one (N, M) array, not two
    else:
        out = out + b                          # integer X and W with float biases: a float result
    return out, (X, W, b)


def dense_backward(dout, cache):
    """Backward pass of a dense layer.

    Parameters
    ----------
    dout : (N, M) gradient of the loss with respect to the layer's output
    cache : (X, W, b) from :func:`dense_forward`

    Returns
    -------
    dX : (N, D) = dout @ W.T
    dW : (D, M) = X.T @ dout     (summed over the batch: each example adds its outer product)
    db : (M,)   = dout summed over the batch
    """
    X, W, _ = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)
