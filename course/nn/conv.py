"""Convolution layers (lesson 09): a naive version with loops, and the fast one as one matrix product.

Layout: **(N, C, H, W)** everywhere in ``course.nn`` (samples, channels, rows, columns), the layout
of CS231n, PyTorch and Keras' ``channels_first``. Why: the pixels of one image row are contiguous, so
every copy that builds the patch matrix (im2col), every add that scatters its gradient back (col2im)
and the pooling work along rows of an image, 28 or 14 values long. In (N, H, W, C) the innermost
run is one pixel's channels, 1 to 16 values, and each of those copies and adds becomes a strided
walk over 6-value pieces.

A convolution with F filters of shape (C, KH, KW) slides a dot product over the padded input::

    out[n, f, oh, ow] = b[f] + sum_{c, i, j} W[f, c, i, j] * Xp[n, c, oh * stride + i, ow * stride + j]

with ``Xp`` the input with ``pad`` zeros on every side, and ``OH = (H + 2 pad - KH) // stride + 1``
(the same for the width). :func:`conv_forward_naive` computes exactly this with loops.

The fast :func:`conv_forward` copies every input patch into a column of one matrix (im2col, a loop
over the KH * KW kernel offsets, never over samples or pixels) and does a single matrix product
``(F, C KH KW) @ (C KH KW, N OH OW)``: one call into BLAS instead of N F OH OW dot products. It uses
a *row-shift* im2col: in a padded image stored row after row, the patch offset (i, j) is a shift of
``i * Wp + j`` positions, so the patch matrix for offset (i, j) is one contiguous slice of the
flattened images. The price is ``KW - 1`` extra columns per output row, computed and dropped (14%
more products for LeNet-5's first layer); the gain is that im2col and col2im copy and add long
contiguous runs (896 values) instead of short image rows.

Speed tricks kept here, all measured on LeNet-5 (see ``benchmarks/lenet5_vs_keras.py``):

- float32 stays float32;
- the batch goes through in chunks of a few images whose patch matrix is multiplied while it is
  still in the cache: about ``CHUNK_BYTES`` (a whole batch's is 10 MB for LeNet-5, and the products
  on it ran at half speed) and at most ``CHUNK_COLUMNS`` columns (products with few filters slow
  down on wide matrices); the backward pass builds the chunks again from the small padded input;
- a chunk's patch matrix is one copy from one strided view of the whole batch;
- the weight gradient's product is computed in the form OpenBLAS runs fastest (see conv_backward);
  with the column cap and the one-copy im2col, LeNet-5's step went from 19 to 12.5 ms;
- a ``workspace`` (a :class:`Workspace`) reuses the temporary arrays, the output and the input
  gradient from one training step to the next instead of asking the system for fresh pages (every
  fresh array of a few megabytes costs page faults: the layers of LeNet-5 lost a fifth of their time
  to them);
- ``need_dX=False`` skips the input gradient of the first layer (nobody needs the gradient of the data).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["conv_output_size", "conv_forward_naive", "conv_backward_naive", "im2col", "col2im",
           "conv_forward", "conv_backward", "Workspace", "same_padding"]


def _check_int(value, name, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def conv_output_size(size, kernel, stride=1, pad=0):
    """Output length of a convolution along one axis: ``(size + 2 pad - kernel) // stride + 1``.

    Raises
    ------
    ValueError : the kernel does not fit in the padded input (``kernel > size + 2 pad``), or a
        stride below 1 or a negative padding
    """
    stride, pad = _check_int(stride, "stride", 1), _check_int(pad, "pad", 0)
    if kernel > size + 2 * pad:
        raise ValueError(f"the kernel ({kernel}) is larger than the padded input ({size} + 2 * {pad} = "
                         f"{size + 2 * pad}): use a smaller kernel or more padding")
    return (size + 2 * pad - kernel) // stride + 1


def same_padding(kernel_size):
    """The padding that keeps the size at stride 1 ('same'): ``(K - 1) // 2`` for an odd kernel size K."""
    if kernel_size % 2 == 0:
        raise ValueError(f"'same' padding needs an odd kernel size, got {kernel_size}")
    return (kernel_size - 1) // 2


def _check(X, W, b, stride, pad, name):
    """Arrays of a convolution and its output size, or a ValueError that names what does not fit."""
    X, W, b = np.asarray(X), np.asarray(W), np.asarray(b)
    if X.ndim != 4:
        raise ValueError(f"{name}: X must have shape (N, C, H, W) (4 dimensions), got shape {X.shape}; "
                         "a batch of grey images (N, H, W) becomes X[:, None]")
    if W.ndim != 4:
        raise ValueError(f"{name}: W must have shape (F, C, KH, KW) (4 dimensions), got shape {W.shape}")
    if W.shape[1] != X.shape[1]:
        raise ValueError(f"{name}: X has {X.shape[1]} channels but the filters W {W.shape} expect {W.shape[1]}")
    if b.shape != (W.shape[0],):
        raise ValueError(f"{name}: b must have shape ({W.shape[0]},), one bias per filter, got {b.shape}")
    OH = conv_output_size(X.shape[2], W.shape[2], stride, pad)
    OW = conv_output_size(X.shape[3], W.shape[3], stride, pad)
    dtype = np.result_type(X, W, b)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return X, W, b, OH, OW, dtype


def conv_forward_naive(X, W, b, stride=1, pad=0):
    """Convolution by its definition, with loops: the reference the fast version is tested against.

    Parameters
    ----------
    X : (N, C, H, W) inputs;  W : (F, C, KH, KW) filters;  b : (F,) biases
    stride : step between two windows;  pad : zeros added on every side

    Returns
    -------
    out : (N, F, OH, OW) with OH = (H + 2 pad - KH) // stride + 1, OW likewise
    cache : (X, W, b, stride, pad)
    """
    X, W, b, OH, OW, dtype = _check(X, W, b, stride, pad, "conv_forward_naive")
    N, F, KH, KW = X.shape[0], W.shape[0], W.shape[2], W.shape[3]
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, OH, OW), dtype=dtype)
    for n in range(N):
        for f in range(F):
            for oh in range(OH):
                for ow in range(OW):
                    window = Xp[n, :, oh * stride:oh * stride + KH, ow * stride:ow * stride + KW]
                    out[n, f, oh, ow] = np.sum(window * W[f]) + b[f]
    return out, (X, W, b, stride, pad)


def conv_backward_naive(dout, cache):
    """Backward pass of :func:`conv_forward_naive`, with loops: each window sends ``dout`` back.

    Returns
    -------
    dX : (N, C, H, W);  dW : (F, C, KH, KW);  db : (F,)
    """
    X, W, b, stride, pad = cache
    N, F, OH, OW = dout.shape
    KH, KW = W.shape[2:]
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))).astype(np.result_type(X, W, dout))
    dXp, dW = np.zeros_like(Xp), np.zeros(W.shape, dtype=Xp.dtype)
    for n in range(N):
        for f in range(F):
            for oh in range(OH):
                for ow in range(OW):
                    rows, cols = slice(oh * stride, oh * stride + KH), slice(ow * stride, ow * stride + KW)
                    dW[f] += dout[n, f, oh, ow] * Xp[n, :, rows, cols]
                    dXp[n, :, rows, cols] += dout[n, f, oh, ow] * W[f]
    dX = dXp[:, :, pad:pad + X.shape[2], pad:pad + X.shape[3]]
    return dX, dW, dout.sum(axis=(0, 2, 3))


# --- im2col and col2im, the textbook way ---------------------------------------------------------

def im2col(X, kernel_size, stride=1, pad=0):
    """Every (C, KH, KW) patch of X as one column of a matrix.

    Parameters
    ----------
    X : (N, C, H, W);  kernel_size : (KH, KW);  stride, pad : as in :func:`conv_forward_naive`

    Returns
    -------
    cols : (C * KH * KW, N * OH * OW); row (c, i, j) holds ``Xp[n, c, oh * stride + i, ow * stride + j]``
        for every (n, oh, ow), so ``W.reshape(F, -1) @ cols`` is the convolution, filter by filter
    """
    X = np.asarray(X)
    N, C, H, Wd = X.shape
    KH, KW = kernel_size
    OH, OW = conv_output_size(H, KH, stride, pad), conv_output_size(Wd, KW, stride, pad)
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad))).transpose(1, 0, 2, 3)   # (C, N, Hp, Wp)
    cols = np.empty((C, KH, KW, N, OH, OW), dtype=X.dtype)
    for i in range(KH):            # a loop over the kernel offsets only: each copies a whole batch
        for j in range(KW):
            cols[:, i, j] = Xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
    return cols.reshape(C * KH * KW, N * OH * OW)


def col2im(cols, X_shape, kernel_size, stride=1, pad=0):
    """The adjoint of :func:`im2col`: add every column back onto the pixels of its patch.

    Parameters
    ----------
    cols : (C * KH * KW, N * OH * OW), e.g. the gradient with respect to im2col's output
    X_shape : (N, C, H, W);  kernel_size : (KH, KW);  stride, pad : as for im2col

    Returns
    -------
    dX : (N, C, H, W); a pixel that lies in several patches receives the sum of their entries
    """
    N, C, H, Wd = X_shape
    KH, KW = kernel_size
    OH, OW = conv_output_size(H, KH, stride, pad), conv_output_size(Wd, KW, stride, pad)
    cols = cols.reshape(C, KH, KW, N, OH, OW)
    dXp = np.zeros((C, N, H + 2 * pad, Wd + 2 * pad), dtype=cols.dtype)
    for i in range(KH):            # within one offset no two columns touch the same pixel: a plain add
        for j in range(KW):
            dXp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += cols[:, i, j]
    return dXp[:, :, pad:pad + H, pad:pad + Wd].transpose(1, 0, 2, 3).copy()


# --- the fast path --------------------------------------------------------------------------------

class Workspace:
    """Reusable temporary arrays, one per (name, shape, dtype): a training step reuses the last step's.

    A fresh array of several megabytes costs page faults every time it is first written; a layer
    that keeps its own workspace pays them once. The cache, the output and the gradient returned by
    a call with a workspace are valid until the next call with the same workspace (a ``Sequential``
    runs forward and backward of one batch before the next forward, so that always holds there).
    """

    def __init__(self, max_arrays=32):
        self.arrays, self.max_arrays = {}, max_arrays

    def get(self, name, shape, dtype, zero=False):
        """An array of this shape and dtype; ``zero=True`` zeroes it when it is new (callers keep
        the parts they never write, such as padding, at zero)."""
        key = (name, tuple(shape), np.dtype(dtype))
        array = self.arrays.get(key)
        if array is None:
            if len(self.arrays) >= self.max_arrays:      # batch sizes changed: start over
                self.arrays.clear()
            array = (np.zeros if zero else np.empty)(shape, dtype=dtype)
            self.arrays[key] = array
        return array


CHUNK_BYTES = 2 << 20   # patch-matrix bytes per chunk of images (see conv_forward)
# Columns per chunk: OpenBLAS's products with few rows (LeNet-5's first layer: (6, 25) filters) ran
# three to five times slower once the patch matrix had more than about 5,000 columns (float32, one
# thread, measured at 6 x 25 x 896 n for n = 2 ... 24 images); 4,096 keeps that layer at 4 images per
# chunk and leaves the second one (140 columns per image) to CHUNK_BYTES.
CHUNK_COLUMNS = 4096


def _chunks(N, chunk):
    """(n0, n1) of every chunk of ``chunk`` images of a batch of N (the last one may be shorter)."""
    return [(n0, min(N, n0 + chunk)) for n0 in range(0, N, chunk)]


def _new(workspace, name, shape, dtype, zero=False):
    if workspace is None:
        return (np.zeros if zero else np.empty)(shape, dtype=dtype)
    return workspace.get(name, shape, dtype, zero)


def _geometry(X_shape, W_shape, stride, pad):
    """Sizes of the patch layout: at stride 1 the row-shift layout (``Ww = Wp`` outputs per row, the
    last KW - 1 of them dropped); at a larger stride one column per output (``Ww = OW``)."""
    N, C, H, Wd = X_shape
    KH, KW = W_shape[2:]
    OH, OW = conv_output_size(H, KH, stride, pad), conv_output_size(Wd, KW, stride, pad)
    Hp, Wp = H + 2 * pad, Wd + 2 * pad
    Ww = Wp if stride == 1 else OW
    length = Hp * Wp + (KW - 1 if stride == 1 else 0)   # room for the last shift of the last row
    return N, C, H, Wd, KH, KW, OH, OW, Hp, Wp, Ww, length


def _image_view(flat, Hp, Wp):
    """(C, N, Hp, Wp) view of the first Hp * Wp values of each flattened image of ``flat`` (C, N, length)."""
    s0, s1, s2 = flat.strides
    return as_strided(flat, shape=flat.shape[:2] + (Hp, Wp), strides=(s0, s1, Wp * s2, s2), writeable=True)


def _patch_views(flat, image, i, j, stride, OH, OW, Wp, Q):
    """What offset (i, j) of the kernel reads: a shifted run of ``flat`` at stride 1 (q = oh Wp + ow
    reads ``flat[q + i Wp + j]``), else the strided (C, N, OH, OW) window of ``image``."""
    if stride == 1:
        start = i * Wp + j
        return flat[:, :, start:start + Q]
    return image[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]


def _chunk_size(N, rows, Q, itemsize):
    """Images per chunk: enough that a chunk's patch matrix (``rows`` x ``chunk Q``) is about
    CHUNK_BYTES, so that it is still in the cache when the product reads it, and at most about
    CHUNK_COLUMNS columns."""
    by_bytes = CHUNK_BYTES // max(1, rows * Q * itemsize)
    return max(1, min(N, by_bytes, CHUNK_COLUMNS // max(1, Q)))


def _patch_source(flat, geometry, stride):
    """At stride 1, one (C, KH, KW, N, Q) view of ``flat`` that holds every patch matrix: entry
    (c, i, j, n, q) is ``flat[c, n, i Wp + j + q]``. Built once per call (``as_strided`` costs a few
    microseconds of Python, which a loop over chunks and kernel rows would pay a hundred times); None
    at a larger stride."""
    if stride != 1:
        return None
    N, C, H, Wd, KH, KW, OH, OW, Hp, Wp, Ww, length = geometry
    s0, s1, s2 = flat.strides
    return as_strided(flat, shape=(C, KH, KW, N, OH * Ww), strides=(s0, Wp * s2, s2, s1, s2))


def _im2col_chunk(flat, image, source, n0, n1, geometry, stride, workspace, dtype):
    """The patch matrix (C KH KW, (n1 - n0) Q) of images n0:n1: one copy at stride 1 (from
    :func:`_patch_source`), else a loop over the kernel offsets."""
    N, C, H, Wd, KH, KW, OH, OW, Hp, Wp, Ww, length = geometry
    Q = OH * Ww
    cols = _new(workspace, "cols", (C, KH, KW, n1 - n0, Q), dtype)
    if source is not None:
        np.copyto(cols, source[:, :, :, n0:n1])
    else:
        part, image_part = flat[:, n0:n1], image[:, n0:n1]
        for i in range(KH):
            for j in range(KW):
                cols[:, i, j].reshape(C, n1 - n0, OH, Ww)[...] = (
                    _patch_views(part, image_part, i, j, stride, OH, OW, Wp, Q))
    return cols.reshape(C * KH * KW, (n1 - n0) * Q)


def conv_forward(X, W, b, stride=1, pad=0, workspace=None):
    """Fast convolution: im2col (a loop over the kernel offsets) and one matrix product per chunk.

    Parameters
    ----------
    X : (N, C, H, W) inputs;  W : (F, C, KH, KW) filters;  b : (F,) biases
    stride : step between two windows (>= 1);  pad : zeros added on every side (>= 0)
    workspace : optional :class:`Workspace` whose arrays the temporaries reuse (training loops)

    Returns
    -------
    out : (N, F, OH, OW), OH = (H + 2 pad - KH) // stride + 1, OW likewise; float32 stays float32.
        With a workspace it is the workspace's array, overwritten by the next call
    cache : what :func:`conv_backward` needs (the padded input, the filters and the sizes)

    Raises
    ------
    ValueError : X or W not 4-D, channels or biases that do not fit, a kernel larger than the padded
        input, a bad stride or padding

    The batch is cut into chunks of a few images, and each chunk's patch matrix is multiplied as soon
    as it is built: it is then read from the cache, not from memory (a whole batch's patch matrix is
    10 MB for LeNet-5, and the products on it ran at half speed). The backward pass builds the patch
    matrices again from the padded input, which is small, instead of keeping them.
    """
    X, W, b, OH, OW, dtype = _check(X, W, b, stride, pad, "conv_forward")
    geometry = _geometry(X.shape, W.shape, stride, pad)
    N, C, H, Wd, KH, KW, OH, OW, Hp, Wp, Ww, length = geometry
    F, Q = W.shape[0], OH * Ww
    # The padded images, channel first (C, N, ...): the padding and the tail are zeroed once, when
    # the array is created, and never written afterwards.
    flat = _new(workspace, "flat", (C, N, length), dtype, zero=True)
    image = _image_view(flat, Hp, Wp)
    image[:, :, pad:pad + H, pad:pad + Wd] = X.transpose(1, 0, 2, 3)
    W2d = W.reshape(F, C * KH * KW).astype(dtype, copy=False)
    bias = b.astype(dtype, copy=False)[:, None, None]
    # The output array is C-contiguous: `np.add(transposed_view, b)` without `out=` would keep the
    # view's memory order, and every later layer would work on a (F, N, ...) layout in disguise
    # (pooling was 3x slower on it).
    out = _new(workspace, "out", (N, F, OH, OW), dtype)
    chunk = _chunk_size(N, C * KH * KW, Q, np.dtype(dtype).itemsize)
    source = _patch_source(flat, geometry, stride)
    for n0, n1 in _chunks(N, chunk):
        cols2d = _im2col_chunk(flat, image, source, n0, n1, geometry, stride, workspace, dtype)
        wide = _new(workspace, "wide", (F, (n1 - n0) * Q), dtype)
        np.matmul(W2d, cols2d, out=wide)
        # the OW valid columns of each output row, back to (n, F, OH, OW), adding the bias on the way
        valid = wide.reshape(F, n1 - n0, OH, Ww)[:, :, :, :OW].transpose(1, 0, 2, 3)
        np.add(valid, bias, out=out[n0:n1])
    cache = (geometry, W2d, W.shape, stride, pad, flat, image, workspace, chunk)
    return out, cache


def conv_backward(dout, cache, need_dX=True):
    """Backward pass of :func:`conv_forward`: two matrix products and col2im, chunk by chunk.

    Parameters
    ----------
    dout : (N, F, OH, OW) gradient of the loss with respect to the output
    cache : from :func:`conv_forward`
    need_dX : False skips the input gradient (the first layer of a network: the data needs none)

    Returns
    -------
    dX : (N, C, H, W), or None when ``need_dX`` is False (with a workspace: the workspace's array)
    dW : (F, C, KH, KW)
    db : (F,)
    """
    geometry, W2d, W_shape, stride, pad, flat, image, workspace, chunk = cache
    N, C, H, Wd, KH, KW, OH, OW, Hp, Wp, Ww, length = geometry
    F, dtype, Q = W_shape[0], W2d.dtype, OH * Ww
    dout = np.asarray(dout)
    if dout.shape != (N, F, OH, OW):
        raise ValueError(f"conv_backward: dout must have the output's shape {(N, F, OH, OW)}, got {dout.shape}")
    dout = dout.astype(dtype, copy=False)
    db = dout.sum(axis=(0, 2, 3))
    if need_dX:
        dflat = _new(workspace, "dflat", (C, N, length), dtype)
        dflat.fill(0)
        dimage = _image_view(dflat, Hp, Wp)

    dW = np.zeros((F, C * KH * KW), dtype=dtype)
    source = _patch_source(flat, geometry, stride)
    for n0, n1 in _chunks(N, chunk):
        cols2d = _im2col_chunk(flat, image, source, n0, n1, geometry, stride, workspace, dtype)
        # dout in the layout of the product, zeros in the dropped columns: they then add nothing to
        # dW and nothing to dX. Those columns are zeroed when the array is created, never written.
        dwide = _new(workspace, "dwide", (F, n1 - n0, OH, Ww), dtype, zero=True)
        dwide[:, :, :, :OW] = dout[n0:n1].transpose(1, 0, 2, 3)
        dwide2d = dwide.reshape(F, (n1 - n0) * Q)
        # (cols dout^T)^T rather than dout cols^T: the same product, but OpenBLAS ran this form of it
        # 1.6-1.8 times faster for both layers of LeNet-5 (float32, one thread)
        dW += (cols2d @ dwide2d.T).T
        if not need_dX:
            continue
        dcols = _new(workspace, "dcols", (C * KH * KW, (n1 - n0) * Q), dtype)
        np.matmul(W2d.T, dwide2d, out=dcols)
        dcols = dcols.reshape(C, KH, KW, n1 - n0, Q)
        # col2im: within one offset no two columns touch the same pixel, so each is a plain add (of
        # long contiguous runs at stride 1)
        part, image_part = dflat[:, n0:n1], dimage[:, n0:n1]
        for i in range(KH):
            for j in range(KW):
                target = _patch_views(part, image_part, i, j, stride, OH, OW, Wp, Q)
                target += dcols[:, i, j].reshape(target.shape)
    dW = dW.reshape(W_shape)
    if not need_dX:
        return None, dW, db
    dX = _new(workspace, "dX", (N, C, H, Wd), dtype)
    np.copyto(dX, dimage[:, :, pad:pad + H, pad:pad + Wd].transpose(1, 0, 2, 3))
    return dX, dW, db
