"""course.deepnet: the reference deep network has the right shapes, gradients, dropout and L2, and trains."""

import numpy as np
import pytest

from course.data import toy_dataset
from course.deepnet import (ACTIVATIONS, activation_backward, activation_forward, deep_backward,
                            deep_forward, deep_loss, deep_predict, dense_backward, dense_forward,
                            dropout_backward, dropout_forward, evaluate, fit, init_deep, l2_penalty,
                            num_layers, softmax_cross_entropy)
from course.gradcheck import numeric_gradient, numeric_gradient_array, relative_error


def network(sizes, seed):
    """A seeded network with non-zero biases (so that no ReLU sits exactly on its kink)."""
    rng = np.random.default_rng(seed)
    params = init_deep(sizes, rng)
    for key in params:
        if key.startswith("b"):
            params[key] = rng.normal(scale=0.1, size=params[key].shape)
    return params, rng


def test_init_shapes_scales_and_errors():
    """Does init_deep give W{l} (n_{l-1}, n_l) with the method's std, zero biases, and reject bad input?"""
    params = init_deep((784, 256, 128, 10), np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (784, 256), "b1": (256,), "W2": (256, 128), "b2": (128,), "W3": (128, 10), "b3": (10,)}
    assert all(v.dtype == np.float64 for v in params.values())
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.03)
    assert not params["b2"].any()
    xavier = init_deep((400, 500), np.random.default_rng(0), "xavier_normal")
    assert xavier["W1"].std() == pytest.approx(np.sqrt(2 / 900), rel=0.02)
    assert num_layers(params) == 3
    for bad in [(5,), (3, 0, 2), (3, 2.5), (3, True)]:
        with pytest.raises(ValueError):
            init_deep(bad, np.random.default_rng(0))
    with pytest.raises(ValueError, match="he_normal"):
        init_deep((3, 2), np.random.default_rng(0), "kaiming")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_layers_match_numeric_gradients(name):
    """Do dense_backward and every activation_backward match centred differences?"""
    rng = np.random.default_rng(1)
    X, W, b, dout = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(4, 5))
    _, cache = dense_forward(X, W, b)
    dX, dW, db = dense_backward(dout, cache)
    assert relative_error(dX, numeric_gradient_array(lambda v: dense_forward(v, W, b)[0], X.copy(), dout)) < 1e-8
    assert relative_error(dW, numeric_gradient_array(lambda v: dense_forward(X, v, b)[0], W.copy(), dout)) < 1e-8
    assert relative_error(db, numeric_gradient_array(lambda v: dense_forward(X, W, v)[0], b.copy(), dout)) < 1e-8
    Z = rng.normal(size=(4, 5)) + 0.05   # away from 0, the kink of the ReLUs
    _, cache = activation_forward(Z, name)
    numeric = numeric_gradient_array(lambda v: activation_forward(v, name)[0], Z.copy(), dout)
    assert relative_error(activation_backward(dout, cache), numeric) < 1e-7
    with pytest.raises(ValueError, match="relu"):
        activation_forward(Z, "rleu")


def test_softmax_cross_entropy_value_gradient_and_stability():
    """Is the loss the mean negative log-probability, its gradient (P - Y)/N, and finite for huge scores?"""
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    loss, dscores = softmax_cross_entropy(scores, np.array([2, 0]))
    assert loss == pytest.approx((-np.log(0.6652409557748218) + np.log(3)) / 2)
    numeric = numeric_gradient(lambda s: softmax_cross_entropy(s, np.array([2, 0]))[0], scores.copy())
    assert relative_error(dscores, numeric) < 1e-8
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow to 0 is fine
        loss, _ = softmax_cross_entropy(np.array([[1e4, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1e4)


def test_dropout_train_and_test_behaviour():
    """Is dropout the identity at test time, and at training time unbiased, with a fraction p zeroed?"""
    x = np.full((400, 500), 3.0)
    assert dropout_forward(x, 0.5, False)[1] is None
    np.testing.assert_array_equal(dropout_forward(x, 0.5, False)[0], x)
    out, mask = dropout_forward(x, 0.25, True, np.random.default_rng(0))
    assert np.mean(out == 0) == pytest.approx(0.25, abs=0.005)
    assert out.mean() == pytest.approx(3.0, abs=0.02)
    np.testing.assert_allclose(out[out != 0], 4.0)
    np.testing.assert_array_equal(dropout_forward(x, 0.25, True, np.random.default_rng(0))[1], mask)
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), mask), mask)
    assert dropout_backward(x, None) is x
    for p in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError):
            dropout_forward(x, p, False)
    with pytest.raises(ValueError):
        dropout_forward(x, 0.5, True, None)


@pytest.mark.parametrize("sizes, activation, seed", [((5, 6, 3), "relu", 0), ((5, 6, 4, 3), "tanh", 1),
                                                     ((4, 5, 5, 5, 5, 3), "relu", 2), ((5, 3), "relu", 13)])
def test_deep_backward_matches_numeric_gradients(sizes, activation, seed):
    """Does deep_backward match centred differences (relative error < 1e-7) for several depths?"""
    params, rng = network(sizes, seed)
    X, dscores = rng.normal(size=(4, sizes[0])), rng.normal(size=(4, sizes[-1]))
    scores, caches = deep_forward(X, params, activation)
    assert scores.shape == (4, sizes[-1]) and len(caches) == len(sizes) - 1
    grads = deep_backward(dscores, caches)
    assert list(grads) == list(params)
    for key in params:
        numeric = numeric_gradient_array(lambda v: deep_forward(X, {**params, key: v}, activation)[0],
                                         params[key].copy(), dscores)
        assert relative_error(grads[key], numeric) < 1e-7, key


def test_deep_loss_with_l2_and_dropout_matches_numeric_gradients():
    """Are deep_loss's gradients right with reg > 0, and with dropout for fixed masks?"""
    params, rng = network((5, 8, 8, 3), 2)
    X, y = rng.normal(size=(6, 5)), rng.integers(3, size=6)
    for dropout, train in [(0.0, True), (0.3, True)]:
        def f(key, v):
            return deep_loss(X, y, {**params, key: v}, 0.01, dropout, train, np.random.default_rng(0))[0]
        _, grads = deep_loss(X, y, params, 0.01, dropout, train, np.random.default_rng(0))
        for key in params:
            numeric = numeric_gradient(lambda v: f(key, v), params[key].copy())
            assert relative_error(grads[key], numeric) < 1e-7, (key, dropout)
    loss0, g0 = deep_loss(X, y, params, 0.0)
    loss1, g1 = deep_loss(X, y, params, 0.5)
    assert loss1 - loss0 == pytest.approx(l2_penalty(params, 0.5))
    np.testing.assert_allclose(g1["W2"] - g0["W2"], 0.5 * params["W2"], atol=1e-12)
    np.testing.assert_array_equal(g1["b2"], g0["b2"])


def test_l2_penalty_excludes_biases():
    """Is l2_penalty 0.5 * reg * sum(W**2) over the weights only?"""
    params = {"W1": np.array([[1.0, 2.0], [3.0, 4.0]]), "b1": np.array([100.0, -100.0]),
              "W2": np.array([[0.5], [-1.0]]), "b2": np.array([7.0])}
    assert l2_penalty(params, 0.1) == pytest.approx(1.5625)
    assert l2_penalty(params, 0.0) == 0.0
    assert isinstance(l2_penalty(params, 0.1), float)


def test_fit_learns_a_toy_problem_and_records_curves():
    """Does fit train a deep network on three interleaved moons, recording one value per epoch?"""
    X, y = toy_dataset("moons3", num_samples=600, noise=0.1, rng=np.random.default_rng(0))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    params = init_deep((2, 32, 32, 32, 3), np.random.default_rng(0))
    before = {k: v.copy() for k, v in params.items()}
    trained, history = fit(params, X[:500], y[:500], X[500:], y[500:], num_epochs=40, batch_size=50, lr=1e-2,
                           dropout=0.1, reg=1e-4, rng=np.random.default_rng(0), progress=False)
    assert all(np.array_equal(params[k], before[k]) for k in params)   # the input is not modified
    assert all(len(history[key]) == 40 for key in ("train_loss", "val_loss", "train_acc", "val_acc", "seconds"))
    assert history["val_acc"][-1] > 0.95
    loss, acc = evaluate(X[500:], y[500:], trained)
    assert acc == pytest.approx(history["val_acc"][-1])
    assert np.mean(deep_predict(X[500:], trained) == y[500:]) == pytest.approx(acc)
