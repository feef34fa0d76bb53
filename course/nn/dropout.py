"""Inverted dropout (lesson 08) as a layer: ``out, mask = dropout_forward(x, p, train, rng)``."""

from __future__ import annotations

import numpy as np

__all__ = ["check_rate", "dropout_forward", "dropout_backward"]


def check_rate(p):
    """ValueError unless ``p`` is a number with 0 <= p < 1 (a bool is not a rate)."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0 <= p < 1:
        raise ValueError(f"the dropout rate p must be a number with 0 <= p < 1, got {p!r}")


def dropout_forward(x, p, train, rng=None):
    """Inverted dropout: at training time zero each entry with probability p and scale the rest.

    At training time (and p > 0) one uniform number is drawn per entry, ``u = rng.random(x.shape)``;
    entries with ``u < p`` are dropped and the others multiplied by ``1 / (1 - p)``, so the expected
    output equals the input and nothing changes at test time, where no random number is drawn.

    Parameters
    ----------
    x : array of any shape, e.g. (N, M) activations
    p : probability of dropping an entry, 0 <= p < 1
    train : True at training time, False at test time
    rng : numpy Generator, needed at training time when p > 0

    Returns
    -------
    out : array of the shape of x
    mask : None when nothing was dropped, else an array of the shape (and float dtype) of x holding 0
        for dropped entries and 1 / (1 - p) for kept ones (``out = x * mask``)
    """
    check_rate(p)
    if not train or p == 0:
        return x, None
    if rng is None:
        raise ValueError("dropout at training time needs a random generator: pass rng=...")
    x = np.asarray(x)
    # float32 activations get float32 uniforms and a float32 mask; float64 draws the same stream as
    # rng.random(x.shape)
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    keep = rng.random(x.shape, dtype=dtype) >= p
    mask = keep * dtype.type(1.0 / (1.0 - p))
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout: the upstream gradient through the same mask (``dout`` if mask is None)."""
    return dout if mask is None else dout * mask
