"""course.gradcheck: numeric gradients are accurate, and check_gradient catches wrong ones."""

import numpy as np
import pytest

from course.gradcheck import (check_gradient, numeric_gradient, numeric_gradient_array,
                              relative_error)
from course.testing import CheckFailure


def test_numeric_gradient_of_a_quadratic():
    """Is the numeric gradient of sum(x**2) equal to 2x, and x left unchanged?"""
    x = np.random.default_rng(0).normal(size=(3, 4))
    before = x.copy()
    grad = numeric_gradient(lambda v: np.sum(v ** 2), x)
    assert relative_error(grad, 2 * before) < 1e-9
    np.testing.assert_array_equal(x, before)


def test_numeric_gradient_array_of_a_dense_layer():
    """Does the array version give dX = dout @ W.T for X @ W?"""
    rng = np.random.default_rng(1)
    X, W, dout = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    dX = numeric_gradient_array(lambda x: x @ W, X, dout)
    dW = numeric_gradient_array(lambda w: X @ w, W, dout)
    assert relative_error(dX, dout @ W.T) < 1e-9
    assert relative_error(dW, X.T @ dout) < 1e-9


def test_relative_error_is_scale_free():
    """Is the relative error the same for a gradient and the gradient times 1e6?"""
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.002])
    assert relative_error(a, b) == pytest.approx(relative_error(1e6 * a, 1e6 * b))
    assert relative_error(a, a) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.ones(2), np.ones(3))


def test_check_gradient_accepts_right_and_rejects_wrong():
    """Does check_gradient pass a correct gradient and fail a wrong one with the worst entry?"""
    x = np.random.default_rng(2).normal(size=(4,))
    numeric = numeric_gradient(lambda v: np.sum(np.sin(v)), x)
    assert check_gradient(np.cos(x), numeric, name="dx") < 1e-7
    wrong = np.cos(x)
    wrong[2] *= 1.1
    with pytest.raises(CheckFailure, match=r"dx: relative error .* exceeds 1e-07\. Worst entry \(2,\)"):
        check_gradient(wrong, numeric, name="dx")
    with pytest.raises(CheckFailure, match="wrong shape"):
        check_gradient(np.cos(x)[:3], numeric, name="dx")
    with pytest.raises(CheckFailure, match="return"):
        check_gradient(None, numeric, name="dx")
    with pytest.raises(CheckFailure, match="exceeds"):
        check_gradient(np.full(4, np.nan), numeric, name="dx")


def test_numeric_gradient_needs_a_float_array():
    """Does an integer or list input get an error that says to use float64?"""
    with pytest.raises(TypeError, match="float64"):
        numeric_gradient(lambda v: v.sum(), np.arange(3))
    with pytest.raises(TypeError, match="float NumPy array"):
        numeric_gradient(lambda v: sum(v), [1.0, 2.0])
