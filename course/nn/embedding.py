"""Word (or character) embeddings (lesson 10): a lookup table whose rows are learned.

``embedding_forward(tokens, W)`` replaces every integer token of a (N, T) batch by its row of the
table ``W`` (V, D): the same as multiplying one-hot vectors by ``W``, without building them. The
gradient of the table is the sum of the gradients of every position that used a row, so a token that
appears twice gets both contributions: ``np.add.at`` accumulates where ``dW[tokens] += dout`` would
keep only one of them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["embedding_forward", "embedding_backward"]


def embedding_forward(tokens, W):
    """Look up the rows of ``W`` for every token.

    Parameters
    ----------
    tokens : (N, T) integer tokens in 0..V-1 (any integer array shape works)
    W : (V, D) the table, one row per token

    Returns
    -------
    out : (N, T, D) = W[tokens];  cache : (tokens, V)

    Raises
    ------
    ValueError : tokens that are not integers, or outside 0..V-1
    """
    tokens, W = np.asarray(tokens), np.asarray(W)
    if not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"embedding_forward: tokens must be integers, got dtype {tokens.dtype}")
    if W.ndim != 2:
        raise ValueError(f"embedding_forward: W must have shape (V, D), got {W.shape}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= W.shape[0]):
        raise ValueError(f"embedding_forward: tokens must lie in 0..{W.shape[0] - 1} (the table has "
                         f"{W.shape[0]} rows), got values from {tokens.min()} to {tokens.max()}")
    return W[tokens], (tokens, W.shape[0])


def embedding_backward(dout, cache):
    """Gradient of the table: ``dW[v] = sum of dout over the positions whose token is v``.

    Parameters
    ----------
    dout : (N, T, D);  cache : from embedding_forward

    Returns
    -------
    dW : (V, D)
    """
    tokens, V = cache
    dW = np.zeros((V, dout.shape[-1]), dtype=dout.dtype)
    np.add.at(dW, tokens.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dW
