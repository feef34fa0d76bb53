"""Max pooling, 2 x 2 windows with stride 2 (lesson 09), in the (N, C, H, W) layout of ``course.nn.conv``.

Each output is the largest of the four values of its window; an odd last row or column is dropped,
as in TensorFlow's 'VALID' pooling. The gradient of a maximum goes to **exactly one** input of each
window, the first maximum in reading order (top left, top right, bottom left, bottom right), as
TensorFlow's ``MaxPoolGrad`` does. A mask ``x == max`` would send it to *every* tied value: in
Fashion-MNIST's flat black background all four values of a window are often equal, and such a mask
would multiply the gradient by up to four there.

The four values of a window are read as four strided views (even/odd rows times even/odd columns),
so the forward pass is a handful of whole-array comparisons and the backward pass four multiplications
by a 0/1 mask, each writing one quarter of the gradient: no loop in Python at all. (``np.copyto`` with
``where=`` does the same five times slower.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["maxpool_forward", "maxpool_backward"]


def _corners(X):
    """The four values of every 2 x 2 window, in reading order: four (N, C, H // 2, W // 2) views."""
    H, W = 2 * (X.shape[2] // 2), 2 * (X.shape[3] // 2)
    return [X[:, :, r:H:2, c:W:2] for r in (0, 1) for c in (0, 1)]


def maxpool_forward(X):
    """2 x 2 max pooling with stride 2.

    Parameters
    ----------
    X : (N, C, H, W), H and W >= 2 (an odd last row or column is dropped)

    Returns
    -------
    out : (N, C, H // 2, W // 2), the maximum of each window
    cache : (X.shape, winners): ``winners`` holds four boolean arrays of the output's shape, one per
        window position in reading order, True where that position is the window's first maximum

    Raises
    ------
    ValueError : X not 4-D, or smaller than 2 x 2
    """
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError(f"maxpool_forward: X must have shape (N, C, H, W) (4 dimensions), got shape {X.shape}")
    if X.shape[2] < 2 or X.shape[3] < 2:
        raise ValueError(f"maxpool_forward: a 2 x 2 window needs H, W >= 2, got an input of shape {X.shape}")
    a, b, c, d = _corners(X)
    top, bottom = np.maximum(a, b), np.maximum(c, d)
    out = np.maximum(top, bottom)
    # Ties go to the earlier position: left unless the right is strictly larger, top unless the bottom is.
    upper = top >= bottom
    lower = ~upper
    first = upper & (a >= b)
    third = lower & (c >= d)
    winners = (first, upper ^ first, third, lower ^ third)    # exactly one True per window
    return out, (X.shape, winners)


def maxpool_backward(dout, cache):
    """Backward pass of :func:`maxpool_forward`: each window's gradient goes to its one maximum.

    Parameters
    ----------
    dout : (N, C, H // 2, W // 2) gradient with respect to the output
    cache : from :func:`maxpool_forward`

    Returns
    -------
    dX : (N, C, H, W); zero everywhere except at the first maximum of each window
    """
    X_shape, winners = cache
    dout = np.asarray(dout)
    if dout.shape != winners[0].shape:
        raise ValueError(f"maxpool_backward: dout must have the output's shape {winners[0].shape}, got {dout.shape}")
    odd = X_shape[2] % 2 or X_shape[3] % 2
    dX = (np.zeros if odd else np.empty)(X_shape, dtype=dout.dtype)   # an odd last row/column gets 0
    for view, winner in zip(_corners(dX), winners):
        np.multiply(dout, winner, out=view)      # each view is one quarter of dX: all of it is written
    return dX
