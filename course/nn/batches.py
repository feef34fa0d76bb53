"""Minibatches (lesson 07): one epoch of the data in a fresh random order, ``batch_size`` at a time."""

from __future__ import annotations

import numpy as np

__all__ = ["minibatches", "check_batch_size", "num_batches"]


def check_batch_size(batch_size):
    """ValueError unless ``batch_size`` is a positive integer (a bool is not a size)."""
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def num_batches(num_samples, batch_size):
    """The number of steps of one epoch: ceil(num_samples / batch_size)."""
    return -(-num_samples // batch_size)


def minibatches(X, y, batch_size, rng):
    """Yield the samples in a fresh random order, ``batch_size`` at a time: one epoch.

    Every sample appears exactly once; the last batch is smaller when ``batch_size`` does not divide
    N. The order is ``rng.permutation(N)``, drawn when this function is called, so each epoch gets a
    new order and the same seed gives the same order.

    Parameters
    ----------
    X : (N, ...) inputs
    y : (N,) labels (or (N, C) one-hot targets)
    batch_size : positive integer
    rng : numpy Generator

    Yields
    ------
    X_batch : (B, ...) with B = batch_size, except possibly the last batch
    y_batch : (B,) (or (B, C))

    Raises
    ------
    ValueError : batch_size is not a positive integer, or X and y differ in length (raised at the
        call, not at the first ``next``)
    """
    check_batch_size(batch_size)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    return _batches(X, y, rng.permutation(len(X)), int(batch_size))


def _batches(X, y, order, batch_size):
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
