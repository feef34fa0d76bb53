"""Weight initializers (lesson 03): ``W = init(fan_in, fan_out, rng)``, a (fan_in, fan_out) array.

The scale decides whether a deep network learns at all: He keeps the size of the activations steady
through ReLUs, Xavier (Glorot) and LeCun through tanh-like units. :func:`init_params` builds the
parameter dict of a fully connected network, weights in layer order from one ``rng``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["zeros_init", "constant_init", "normal_init", "xavier_uniform", "xavier_normal", "he_normal",
           "lecun_normal", "INIT_METHODS", "INITIALIZERS", "init_params", "check_layer_sizes", "num_layers"]

# Standard deviation of the weights of a layer with fan_in inputs and fan_out outputs.
INIT_METHODS = {
    "he_normal": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "xavier_normal": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
    "lecun_normal": lambda fan_in, fan_out: np.sqrt(1.0 / fan_in),
}


def zeros_init(fan_in, fan_out, rng=None):
    """All-zero weights: (fan_in, fan_out) float64 (``rng`` is unused: one signature for all)."""
    return np.zeros((fan_in, fan_out), dtype=np.float64)


def constant_init(fan_in, fan_out, value, rng=None):
    """Weights all equal to ``value``: (fan_in, fan_out) float64."""
    return np.full((fan_in, fan_out), value, dtype=np.float64)


def normal_init(fan_in, fan_out, std, rng):
    """Weights drawn from N(0, std**2): ``std * rng.standard_normal((fan_in, fan_out))``, float64."""
    return std * rng.standard_normal((fan_in, fan_out))


def xavier_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform weights: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), float64."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def xavier_normal(fan_in, fan_out, rng):
    """Xavier/Glorot normal weights: N(0, 2 / (fan_in + fan_out)), untruncated, float64."""
    return normal_init(fan_in, fan_out, INIT_METHODS["xavier_normal"](fan_in, fan_out), rng)


def he_normal(fan_in, fan_out, rng):
    """He/Kaiming normal weights for ReLU layers: N(0, 2 / fan_in), untruncated, float64."""
    return normal_init(fan_in, fan_out, INIT_METHODS["he_normal"](fan_in, fan_out), rng)


def lecun_normal(fan_in, fan_out, rng):
    """LeCun normal weights: N(0, 1 / fan_in), untruncated, float64."""
    return normal_init(fan_in, fan_out, INIT_METHODS["lecun_normal"](fan_in, fan_out), rng)


INITIALIZERS = {
    "zeros": zeros_init,
    "ones": lambda fan_in, fan_out, rng=None: constant_init(fan_in, fan_out, 1.0),
    "small_normal": lambda fan_in, fan_out, rng: normal_init(fan_in, fan_out, 0.01, rng),
    "standard_normal": lambda fan_in, fan_out, rng: normal_init(fan_in, fan_out, 1.0, rng),
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_normal": he_normal,
    "lecun_normal": lecun_normal,
}


def check_layer_sizes(layer_sizes):
    """The sizes as a list of ints; ValueError for fewer than two or one that is not a positive int."""
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least two sizes (inputs and outputs), got {sizes}")
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer sizes must be positive integers, got {n!r} in {sizes}")
    return [int(n) for n in sizes]


def init_params(layer_sizes, rng, method="he_normal", dtype=np.float64):
    """Weights and zero biases of a fully connected network with the given layer sizes.

    Parameters
    ----------
    layer_sizes : sequence of L + 1 positive ints (n_0, ..., n_L), e.g. (784, 256, 128, 64, 10)
    rng : numpy Generator; W1, W2, ... are drawn from it in this order
    method : a name in INITIALIZERS, or a callable ``init(fan_in, fan_out, rng)``
    dtype : dtype of the arrays (float64 for gradient checks, float32 for fast training)

    Returns
    -------
    params : dict with "W{l}" (n_{l-1}, n_l) and "b{l}" zeros (n_l,) for l = 1..L

    Raises
    ------
    ValueError : unknown method (the message lists the valid names), or bad layer sizes
    """
    if callable(method):
        init = method
    elif isinstance(method, str) and method in INITIALIZERS:
        init = INITIALIZERS[method]
    else:
        raise ValueError(f"unknown initialization method {method!r}; valid names are: "
                         + ", ".join(INITIALIZERS))
    sizes = check_layer_sizes(layer_sizes)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = np.asarray(init(sizes[l - 1], sizes[l], rng), dtype=dtype)
        params[f"b{l}"] = np.zeros(sizes[l], dtype=dtype)
    return params


def num_layers(params):
    """L, the number of weight matrices "W1", "W2", ... in a params dict (counted until one is missing)."""
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    if L == 0:
        raise ValueError(f"params holds no weight matrix 'W1'; its keys are {sorted(params)}")
    return L
