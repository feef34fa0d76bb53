"""Max pooling, 2 x 2 windows with stride 2 (lesson 09), in the (N, C, H, W) layout of ``course.nn.conv``.

Each output is the largest of the four values of its window; an odd last row or column is dropped,
as in TensorFlow's 'VALID' pooling. The gradient of a maximum goes to **exactly one** input of each
window, the first maximum in reading order (top left, top right, bottom left, bottom right), as
TensorFlow's ``MaxPoolGrad`` does. A mask ``x == max`` would send it to *every* tied value: in
Fashion-MNIST's flat black background all four values of a window are often equal, and such a mask
would multiply the gradient by up to four there.

The window is taken in two halves, columns first: the maximum of each pair of neighbouring columns
(two strided views, one ``np.maximum``), then the maximum of each pair of rows of that (two views
of whole rows). The forward pass keeps two boolean arrays, "the right column won" and "the bottom
row won" (strictly larger: a tie stays left and top, the reading order); the backward pass undoes the
two halves in the reverse order, rows then columns, each a multiplication by a mask and a subtraction.
No loop in Python, five whole-array operations each way. :func:`maxpool_forward_naive` is the
definition with loops, the reference the tests hold the fast version to.

A ``workspace`` (``course.nn.conv.Workspace``) reuses the output, the masks and the gradient from
one training step to the next: fresh arrays of a few megabytes cost page faults at every step (for
LeNet-5's first pooling they made the backward pass eight times slower). Arrays from a workspace
are valid until the next call with the same workspace.
"""

from __future__ import annotations

import numpy as np

__all__ = ["maxpool_forward", "maxpool_backward", "maxpool_forward_naive", "maxpool_backward_naive"]


def _new(workspace, name, shape, dtype):
    return np.empty(shape, dtype=dtype) if workspace is None else workspace.get(name, shape, dtype)


def _check(X, name):
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError(f"{name}: X must have shape (N, C, H, W) (4 dimensions), got shape {X.shape}")
    if X.shape[2] < 2 or X.shape[3] < 2:
        raise ValueError(f"{name}: a 2 x 2 window needs H, W >= 2, got an input of shape {X.shape}")
    return X


def maxpool_forward_naive(X):
    """2 x 2 max pooling by its definition, with loops: the reference of :func:`maxpool_forward`.

    Returns
    -------
    out : (N, C, H // 2, W // 2);  cache : (X, out)
    """
    X = _check(X, "maxpool_forward_naive")
    N, C, H, W = X.shape
    out = np.empty((N, C, H // 2, W // 2), dtype=X.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    out[n, c, i, j] = X[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
    return out, (X, out)


def maxpool_backward_naive(dout, cache):
    """Backward pass of :func:`maxpool_forward_naive`: each window's gradient to its first maximum.

    Returns
    -------
    dX : (N, C, H, W)
    """
    X, out = cache
    dX = np.zeros(X.shape, dtype=np.result_type(X, dout))
    N, C, OH, OW = out.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = X[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    r, s = divmod(int(np.argmax(window)), 2)    # argmax: the first maximum in reading order
                    dX[n, c, 2 * i + r, 2 * j + s] = dout[n, c, i, j]
    return dX


def maxpool_forward(X, workspace=None):
    """2 x 2 max pooling with stride 2.

    Parameters
    ----------
    X : (N, C, H, W), H and W >= 2 (an odd last row or column is dropped)
    workspace : optional ``course.nn.conv.Workspace`` for the output and the masks (training loops)

    Returns
    -------
    out : (N, C, H // 2, W // 2), the maximum of each window
    cache : (X.shape, right, bottom, workspace): ``right`` (N, C, 2 (H // 2), W // 2) is True where
        the right column of a pair is strictly larger, ``bottom`` (N, C, H // 2, W // 2) where the
        bottom row of the column maxima is

    Raises
    ------
    ValueError : X not 4-D, or smaller than 2 x 2
    """
    X = _check(X, "maxpool_forward")
    N, C, H, W = X.shape
    OH, OW = H // 2, W // 2
    left, right_values = X[:, :, :2 * OH, 0:2 * OW:2], X[:, :, :2 * OH, 1:2 * OW:2]
    columns = _new(workspace, "columns", (N, C, 2 * OH, OW), X.dtype)       # max of each column pair
    np.maximum(left, right_values, out=columns)
    right = _new(workspace, "right", columns.shape, bool)
    np.greater(right_values, left, out=right)                               # a tie stays left
    top, bottom_values = columns[:, :, 0::2], columns[:, :, 1::2]
    out = _new(workspace, "out", (N, C, OH, OW), X.dtype)
    np.maximum(top, bottom_values, out=out)
    bottom = _new(workspace, "bottom", out.shape, bool)
    np.greater(bottom_values, top, out=bottom)                              # a tie stays on top
    return out, (X.shape, right, bottom, workspace)


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
    X_shape, right, bottom, workspace = cache
    dout = np.asarray(dout)
    if dout.shape != bottom.shape:
        raise ValueError(f"maxpool_backward: dout must have the output's shape {bottom.shape}, got {dout.shape}")
    N, C, H, W = X_shape
    OH, OW = bottom.shape[2:]
    dcolumns = _new(workspace, "dcolumns", right.shape, dout.dtype)
    lower, upper = dcolumns[:, :, 1::2], dcolumns[:, :, 0::2]
    np.multiply(dout, bottom, out=lower)          # the bottom row gets dout where it won ...
    np.subtract(dout, lower, out=upper)           # ... and the top row the rest (exactly dout or 0)
    dX = _new(workspace, "dX", X_shape, dout.dtype)
    right_part, left_part = dX[:, :, :2 * OH, 1:2 * OW:2], dX[:, :, :2 * OH, 0:2 * OW:2]
    np.multiply(dcolumns, right, out=right_part)
    np.subtract(dcolumns, right_part, out=left_part)
    if H % 2:
        dX[:, :, -1] = 0                          # the dropped last row or column
    if W % 2:
        dX[:, :, :, -1] = 0
    return dX
