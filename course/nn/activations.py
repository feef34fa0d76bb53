"""Activations as layers: ``out, cache = X_forward(x)`` and ``dx = X_backward(dout, cache)``.

Lesson 02 introduces the functions and their derivatives, lesson 06 the backward passes. Every
backward pass returns a new array: ``dout`` is never changed in place. Inputs of any shape.

``ACTIVATIONS`` maps a name to its (forward, backward) pair; :func:`activation_forward` and
:func:`activation_backward` pick one by name, which is how networks of any depth choose theirs.
"""

from __future__ import annotations

import numpy as np

from course.nn.functional import sigmoid

__all__ = [
    "relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward", "elu_forward",
    "elu_backward", "tanh_forward", "tanh_backward", "sigmoid_forward", "sigmoid_backward",
    "ACTIVATIONS", "activation_forward", "activation_backward", "check_activation",
]

LEAKY_SLOPE = 0.01


def relu_forward(x):
    """ReLU, elementwise: max(x, 0). The cache is the input x, whose sign decides where gradients pass.

    Parameters
    ----------
    x : array of any shape

    Returns
    -------
    out : array of the shape of x
    cache : x
    """
    x = np.asarray(x)
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """Backward pass of ReLU: ``dout`` where the input was positive, 0 elsewhere (a new array)."""
    return np.where(cache > 0, dout, 0).astype(np.result_type(dout), copy=False)


def leaky_relu_forward(x, slope=LEAKY_SLOPE):
    """Leaky ReLU: x for x > 0, ``slope * x`` otherwise. The cache is (x, slope)."""
    x = np.asarray(x)
    return np.where(x > 0, x, slope * x), (x, slope)


def leaky_relu_backward(dout, cache):
    """Backward pass of the leaky ReLU: ``dout`` times 1 for positive inputs, times ``slope`` otherwise."""
    x, slope = cache
    return dout * np.where(x > 0, 1, slope).astype(np.result_type(dout), copy=False)


def elu_forward(x):
    """ELU (alpha = 1): x for x > 0, exp(x) - 1 otherwise, without overflow. The cache is (x, out)."""
    x = np.asarray(x)
    out = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))   # exp of a positive x is never computed
    return out, (x, out)


def elu_backward(dout, cache):
    """Backward pass of the ELU: ``dout`` times 1 for x > 0, times ``out + 1 = exp(x)`` otherwise."""
    x, out = cache
    return dout * np.where(x > 0, 1, out + 1)


def tanh_forward(x):
    """tanh, elementwise. The cache is the output t: the derivative is 1 - t**2."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """Backward pass of tanh: ``dout * (1 - t**2)`` with t the cached output."""
    return dout * (1 - cache ** 2)


def sigmoid_forward(x):
    """Stable sigmoid (lesson 02), elementwise. The cache is the output s: the derivative is s (1 - s)."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid: ``dout * s * (1 - s)`` with s the cached output."""
    return dout * cache * (1 - cache)


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "elu": (elu_forward, elu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
}


def check_activation(name):
    """Raise ValueError, listing the valid names, unless ``name`` is a key of ACTIVATIONS."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid names are: {', '.join(ACTIVATIONS)}")


def activation_forward(Z, name):
    """The activation called ``name`` applied to every entry of Z.

    Parameters
    ----------
    Z : array of any shape, e.g. (N, M) pre-activations
    name : a key of ACTIVATIONS ("relu", "leaky_relu", "elu", "tanh", "sigmoid")

    Returns
    -------
    A : array of the shape of Z
    cache : (name, what that activation's backward pass needs)

    Raises
    ------
    ValueError : unknown name (the message lists the valid names)
    """
    check_activation(name)
    A, inner = ACTIVATIONS[name][0](Z)
    return A, (name, inner)


def activation_backward(dA, cache):
    """Gradient with respect to the activation's input, from ``dA`` (the shape of Z) and its cache."""
    name, inner = cache
    return ACTIVATIONS[name][1](dA, inner)
