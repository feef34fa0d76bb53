"""Numeric gradients by centred differences, and the relative error used to compare them.

The centred difference ``(f(x + h) - f(x - h)) / 2h`` has truncation error of order h**2, against
order h for the one-sided difference, so h = 1e-5 in float64 gives about 10 correct digits:
enough to tell a correct analytic gradient (relative error ~1e-9) from a wrong one (~1e-2).
"""

from __future__ import annotations

import numpy as np

from course.testing import CheckFailure


def numeric_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by centred differences.

    Parameters
    ----------
    f : callable taking ``x`` and returning a number; it may read ``x``, which is modified in place
        and restored
    x : float array of any shape (use float64)
    h : step size

    Returns
    -------
    grad : array of the shape of ``x``
    """
    x = _as_float_array(x)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numeric_gradient_array(f, x, dout, h=1e-5):
    """Gradient of ``sum(f(x) * dout)`` for an array-valued ``f``: the backward pass of a layer.

    Parameters
    ----------
    f : callable mapping ``x`` to an array of the shape of ``dout``
    x : float array of any shape (modified in place and restored)
    dout : upstream gradient, the shape of ``f(x)``
    h : step size

    Returns
    -------
    grad : array of the shape of ``x``
    """
    # The gradient of the scalar sum(f(x) * dout) is exactly what a backward pass returns.
    return numeric_gradient(lambda v: np.sum(np.asarray(f(v), dtype=np.float64) * dout), x, h)


def relative_error(a, b, eps=1e-8):
    """Largest entry-wise relative error ``|a - b| / max(eps, |a| + |b|)``.

    Scale-free, so one threshold works for gradients of any size: below about 1e-7 the two agree;
    above 1e-2 one of them is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))


def check_gradient(analytic, numeric, name="gradient", tol=1e-7):
    """Fail with a message unless the analytic and numeric gradients agree within ``tol``.

    Parameters
    ----------
    analytic : the gradient computed by the backward pass
    numeric : the gradient from :func:`numeric_gradient` or :func:`numeric_gradient_array`
    name : what to call it in the message, e.g. ``"dW"``
    tol : largest accepted relative error
    """
    if analytic is None:
        raise CheckFailure(f"{name}: got None. Did you forget a `return` statement?")
    analytic = np.asarray(analytic)
    if analytic.shape != np.shape(numeric):
        raise CheckFailure(f"{name}: wrong shape: expected {np.shape(numeric)} (the shape of the "
                           f"variable it is the gradient of), got {analytic.shape}.")
    err = relative_error(analytic, numeric)
    if not err < tol:  # also catches NaN
        worst = np.unravel_index(
            np.argmax(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))),
            analytic.shape) if analytic.ndim else ()
        raise CheckFailure(
            f"{name}: relative error {err:.2e} exceeds {tol:.0e}. Worst entry {tuple(map(int, worst))}: "
            f"analytic {float(analytic[worst]):.8g}, numeric {float(np.asarray(numeric)[worst]):.8g}.")
    return err


def _as_float_array(x):
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numeric gradients need a float NumPy array (modified in place), got "
                        f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of ' + str(x.dtype)}; "
                        "use np.asarray(x, dtype=np.float64)")
    return x
