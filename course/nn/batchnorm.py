"""Batch normalization (lesson 09; Ioffe and Szegedy, 2015), for dense and convolutional layers.

At training time each feature is normalized with the mean and variance of the batch, then scaled
and shifted by learned ``gamma`` and ``beta``::

    xhat = (x - mean_batch) / sqrt(var_batch + eps),     out = gamma * xhat + beta

A dense layer's input (N, D) has D features, normalized over the N samples; a convolution's (N, C,
H, W) has C features (channels), normalized over the N * H * W values of each channel, so that every
position of a feature map is treated alike (the 'spatial' batch norm).

At test time there is no batch to average over (or a batch of one image): the layer uses running
averages of the batch statistics, kept in ``bn_param`` during training::

    running_mean = momentum * running_mean + (1 - momentum) * mean_batch     (the same for var)

``bn_param`` is a dict: ``"mode"`` ("train" or "test"), ``"eps"`` (1e-5), ``"momentum"`` (0.9), and
the state ``"running_mean"`` and ``"running_var"`` (zeros and ones at first), updated in place.
The variance is the biased one (divided by the number of values), in training and in the running
average, as in CS231n and Keras.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batchnorm_forward", "batchnorm_backward", "batchnorm_axes"]


def batchnorm_axes(x):
    """The axes the statistics are taken over: (0,) for (N, D), (0, 2, 3) for (N, C, H, W)."""
    if x.ndim == 2:
        return (0,)
    if x.ndim == 4:
        return (0, 2, 3)
    raise ValueError(f"batch norm expects (N, D) or (N, C, H, W) inputs, got shape {x.shape}")


def _per_feature(v, x):
    """A (D,) or (C,) vector shaped to broadcast against x."""
    return v if x.ndim == 2 else v[:, None, None]


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization, training or test mode.

    Parameters
    ----------
    x : (N, D) or (N, C, H, W)
    gamma, beta : (D,) or (C,) scale and shift
    bn_param : dict with "mode" ("train" or "test"); optional "eps" (1e-5), "momentum" (0.9),
        "running_mean", "running_var" (created as zeros and ones, updated in place in training)

    Returns
    -------
    out : the shape of x
    cache : what :func:`batchnorm_backward` needs

    Raises
    ------
    ValueError : a mode other than "train" or "test", parameters of the wrong shape
    """
    x = np.asarray(x)
    axes = batchnorm_axes(x)
    num_features = x.shape[1]
    gamma, beta = np.asarray(gamma), np.asarray(beta)
    if gamma.shape != (num_features,) or beta.shape != (num_features,):
        raise ValueError(f"gamma and beta must have shape ({num_features},), got {gamma.shape} and {beta.shape}")
    mode = bn_param.get("mode", "train")
    eps, momentum = bn_param.setdefault("eps", 1e-5), bn_param.setdefault("momentum", 0.9)
    dtype = np.result_type(x, gamma, np.float32)
    running_mean = bn_param.setdefault("running_mean", np.zeros(num_features, dtype=dtype))
    running_var = bn_param.setdefault("running_var", np.ones(num_features, dtype=dtype))
    if mode == "train":
        mean = x.mean(axis=axes)
        centred = x - _per_feature(mean, x)
        var = np.mean(centred * centred, axis=axes)
        inv_std = 1.0 / np.sqrt(var + eps)
        xhat = centred * _per_feature(inv_std.astype(centred.dtype, copy=False), x)
        running_mean *= momentum
        running_mean += (1 - momentum) * mean
        running_var *= momentum
        running_var += (1 - momentum) * var
    elif mode == "test":
        inv_std = 1.0 / np.sqrt(running_var + eps)
        xhat = (x - _per_feature(running_mean, x)) * _per_feature(inv_std, x)
    else:
        raise ValueError(f'bn_param["mode"] must be "train" or "test", got {mode!r}')
    out = xhat * _per_feature(gamma, x) + _per_feature(beta, x)
    return out, (mode, xhat, gamma, inv_std, axes)


def batchnorm_backward(dout, cache):
    """Backward pass of :func:`batchnorm_forward`.

    In training mode the batch statistics depend on every input, so with m values per feature,
    ``dxhat = dout * gamma`` and::

        dx = inv_std / m * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))

    (sums over the m values of each feature). In test mode the layer is a fixed affine map and
    ``dx = dout * gamma * inv_std``.

    Returns
    -------
    dx : the shape of x;  dgamma, dbeta : (D,) or (C,)
    """
    mode, xhat, gamma, inv_std, axes = cache
    dout = np.asarray(dout)
    dbeta = dout.sum(axis=axes)
    dgamma = np.sum(dout * xhat, axis=axes)
    scale = _per_feature(gamma * inv_std, dout)
    if mode == "test":
        return dout * scale, dgamma, dbeta
    m = dout.size // dbeta.size
    # With dxhat = dout * gamma: sum(dxhat) = gamma * dbeta, sum(dxhat * xhat) = gamma * dgamma.
    dx = scale * (dout - _per_feature(dbeta / m, dout) - xhat * _per_feature(dgamma / m, dout))
    return dx.astype(dout.dtype, copy=False), dgamma, dbeta
