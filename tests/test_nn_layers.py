"""course.nn layers: functional, dense, activations, dropout, init, losses, metrics and the references table."""

import importlib

import numpy as np
import pytest

from course.gradcheck import numeric_gradient, numeric_gradient_array, relative_error
from course.nn import references
from course.nn.activations import ACTIVATIONS, activation_backward, activation_forward
from course.nn.dense import dense_backward, dense_forward
from course.nn.dropout import dropout_backward, dropout_forward
from course.nn.functional import log_softmax, sigmoid, softmax
from course.nn.init import INIT_METHODS, INITIALIZERS, init_params, num_layers
from course.nn.losses import cross_entropy, l2_penalty, softmax_cross_entropy
from course.nn.metrics import accuracy, confusion_matrix

NOT_FINITE = {"over": "raise", "divide": "raise", "invalid": "raise"}   # underflow to 0 is fine


# --- functional ----------------------------------------------------------------------------------

def test_softmax_rows_are_distributions_along_the_given_axis():
    """Is softmax exp(Z) / sum exp(Z) along axis, with log_softmax its logarithm?"""
    Z = np.random.default_rng(0).normal(size=(4, 5))
    expected = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(Z), expected, rtol=1e-12)
    np.testing.assert_allclose(softmax(Z, axis=0).sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(Z), np.log(expected), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(softmax(Z[0]), expected[0], rtol=1e-12)


def test_softmax_log_softmax_and_sigmoid_are_stable_at_plus_minus_1000():
    """Do softmax, log_softmax and sigmoid give finite, exact values for scores of +-1000?"""
    Z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(**NOT_FINITE):
        P, log_P, s = softmax(Z), log_softmax(Z), sigmoid(np.array([1000.0, -1000.0, 0.0]))
    np.testing.assert_allclose(P, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12)
    np.testing.assert_allclose(log_P, [[0.0, -2000.0, -1000.0], [-np.log(3)] * 3], rtol=1e-12)
    assert np.isfinite(log_P).all()
    np.testing.assert_array_equal(s, [1.0, 0.0, 0.5])
    x = np.linspace(-30, 30, 13)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12)


def test_functional_keeps_float32_and_promotes_integers_to_float64():
    """Is float32 input kept float32, and integer input promoted to float64, by all three functions?"""
    for f in (softmax, log_softmax, sigmoid):
        assert f(np.array([[1, 2, 3]])).dtype == np.float64, f.__name__
        assert f(np.array([[1000, -1000]])).dtype == np.float64, f.__name__
        assert f(np.ones((2, 3), dtype=np.float32)).dtype == np.float32, f.__name__
    np.testing.assert_allclose(softmax(np.array([0, 0])), [0.5, 0.5])
    with np.errstate(**NOT_FINITE):
        np.testing.assert_array_equal(sigmoid(np.array([1000, -1000])), [1.0, 0.0])
        np.testing.assert_allclose(softmax(np.array([1000, -1000])), [1.0, 0.0])
    assert sigmoid(3).dtype == np.float64


# --- dense and activations -----------------------------------------------------------------------

def test_dense_forward_is_x_w_plus_b_and_caches_its_inputs():
    """Is dense_forward X @ W + b with the cache (X, W, b), and do misfitting shapes raise a ValueError?"""
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    out, cache = dense_forward(X, W, b)
    np.testing.assert_allclose(out, X @ W + b, rtol=1e-14)
    assert len(cache) == 3 and all(c is a for c, a in zip(cache, (X, W, b)))
    for bad in [(X, W.T, b), (X, W, b[:4]), (X[0], W, b)]:
        with pytest.raises(ValueError, match="shapes"):
            dense_forward(*bad)
    # integers in, floats out when the biases are floats
    np.testing.assert_array_equal(dense_forward(np.array([[1, 2]]), np.array([[1], [1]]), np.array([0.5]))[0],
                                  [[3.5]])


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
    # the pair under its own name is the same function
    forward, backward = ACTIVATIONS[name]
    out, inner = forward(Z)
    np.testing.assert_array_equal(out, activation_forward(Z, name)[0])
    np.testing.assert_array_equal(backward(dout, inner), activation_backward(dout, cache))
    with pytest.raises(ValueError, match="relu"):
        activation_forward(Z, "rleu")


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_never_changes_dout(name):
    """Does every activation's backward pass return a new array and leave dout as it was?"""
    rng = np.random.default_rng(2)
    Z, dout = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    before = dout.copy()
    _, cache = activation_forward(Z, name)
    dZ = activation_backward(dout, cache)
    np.testing.assert_array_equal(dout, before)
    assert dZ.shape == Z.shape and not np.shares_memory(dZ, dout)
    forward, backward = ACTIVATIONS[name]
    _, inner = forward(Z)
    assert not np.shares_memory(backward(dout, inner), dout)
    np.testing.assert_array_equal(dout, before)


def test_activation_values():
    """Are relu, leaky_relu, elu, tanh and sigmoid the textbook functions, elu without overflow?"""
    x = np.array([-1000.0, -2.0, -0.5, 0.5, 3.0, 1000.0])
    with np.errstate(**NOT_FINITE):
        values = {name: activation_forward(x, name)[0] for name in ACTIVATIONS}
    np.testing.assert_array_equal(values["relu"], np.maximum(x, 0))
    np.testing.assert_allclose(values["leaky_relu"], np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(values["elu"], np.where(x > 0, x, np.expm1(np.minimum(x, 0))))
    np.testing.assert_allclose(values["tanh"], np.tanh(x))
    np.testing.assert_allclose(values["sigmoid"], sigmoid(x))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_layers_keep_float32(name):
    """Float32 in: are dense and every activation float32 forward and backward (no float64 upcast)?"""
    rng = np.random.default_rng(3)
    X, W, b = (rng.normal(size=s).astype(np.float32) for s in [(4, 3), (3, 5), (5,)])
    out, cache = dense_forward(X, W, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in dense_backward(np.ones_like(out), cache))
    A, cache = activation_forward(out, name)
    assert A.dtype == np.float32
    assert activation_backward(np.ones_like(A), cache).dtype == np.float32


# --- dropout -------------------------------------------------------------------------------------

def test_dropout_train_and_test_behaviour():
    """Is dropout the identity at test time, and at training time unbiased, with a fraction p zeroed?"""
    x = np.full((400, 500), 3.0)
    assert dropout_forward(x, 0.5, False)[1] is None
    np.testing.assert_array_equal(dropout_forward(x, 0.5, False)[0], x)
    assert dropout_forward(x, 0.0, True, np.random.default_rng(0))[1] is None
    out, mask = dropout_forward(x, 0.25, True, np.random.default_rng(0))
    assert np.mean(out == 0) == pytest.approx(0.25, abs=0.005)
    assert out.mean() == pytest.approx(3.0, abs=0.02)
    np.testing.assert_allclose(out[out != 0], 4.0)
    np.testing.assert_array_equal(dropout_forward(x, 0.25, True, np.random.default_rng(0))[1], mask)
    # float64: the mask is rng.random(x.shape) >= p, scaled by 1 / (1 - p)
    expected = (np.random.default_rng(0).random(x.shape) >= 0.25) / 0.75
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), mask), mask)
    assert dropout_backward(x, None) is x
    for p in (-0.1, 1.0, 2.0, True, "0.5"):
        with pytest.raises(ValueError):
            dropout_forward(x, p, False)
    with pytest.raises(ValueError, match="rng"):
        dropout_forward(x, 0.5, True, None)


def test_dropout_keeps_float32():
    """Float32 activations: are the output, the mask and the backward pass float32?"""
    x = np.ones((50, 20), dtype=np.float32)
    out, mask = dropout_forward(x, 0.3, True, np.random.default_rng(1))
    assert out.dtype == mask.dtype == np.float32
    assert dropout_backward(np.ones_like(x), mask).dtype == np.float32


# --- init ----------------------------------------------------------------------------------------

def test_init_shapes_scales_and_errors():
    """Does init_params give W{l} (n_{l-1}, n_l) with the method's std, zero biases, and reject bad input?"""
    params = init_params((784, 256, 128, 10), np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (784, 256), "b1": (256,), "W2": (256, 128), "b2": (128,), "W3": (128, 10), "b3": (10,)}
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert all(v.dtype == np.float64 for v in params.values())
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.03)
    assert not params["b2"].any()
    xavier = init_params((400, 500), np.random.default_rng(0), "xavier_normal")
    assert xavier["W1"].std() == pytest.approx(np.sqrt(2 / 900), rel=0.02)
    assert num_layers(params) == 3
    with pytest.raises(ValueError, match="W1"):
        num_layers({"b1": np.zeros(2)})
    for bad in [(5,), (3, 0, 2), (3, 2.5), (3, True)]:
        with pytest.raises(ValueError):
            init_params(bad, np.random.default_rng(0))
    with pytest.raises(ValueError, match="he_normal"):
        init_params((3, 2), np.random.default_rng(0), "kaiming")


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_every_initializer_gives_fan_in_by_fan_out(name):
    """Does every initializer return a (fan_in, fan_out) float64 array, reproducibly from its rng?"""
    W = INITIALIZERS[name](300, 200, np.random.default_rng(0))
    assert W.shape == (300, 200) and W.dtype == np.float64
    np.testing.assert_array_equal(W, INITIALIZERS[name](300, 200, np.random.default_rng(0)))
    if name in INIT_METHODS:
        assert W.std() == pytest.approx(INIT_METHODS[name](300, 200), rel=0.03)
    if name == "xavier_uniform":
        limit = np.sqrt(6 / 500)
        assert np.abs(W).max() <= limit and W.std() == pytest.approx(limit / np.sqrt(3), rel=0.03)


def test_init_params_with_a_callable_and_float32():
    """Does init_params accept a callable initializer, draw layers in order, and honour dtype=float32?"""
    def ones(fan_in, fan_out, rng):
        return np.ones((fan_in, fan_out))

    params = init_params((3, 4, 2), np.random.default_rng(0), ones, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in params.values())
    np.testing.assert_array_equal(params["W2"], np.ones((4, 2)))
    rng = np.random.default_rng(5)
    W1, W2 = INITIALIZERS["he_normal"](3, 4, rng), INITIALIZERS["he_normal"](4, 2, rng)
    params = init_params((3, 4, 2), np.random.default_rng(5))
    np.testing.assert_array_equal(params["W1"], W1)
    np.testing.assert_array_equal(params["W2"], W2)


# --- losses and metrics --------------------------------------------------------------------------

def test_softmax_cross_entropy_value_gradient_and_stability():
    """Is the loss the mean negative log-probability, its gradient (P - Y)/N, and finite for huge scores?"""
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    loss, dscores = softmax_cross_entropy(scores, np.array([2, 0]))
    assert loss == pytest.approx((-np.log(0.6652409557748218) + np.log(3)) / 2)
    assert isinstance(loss, float)
    numeric = numeric_gradient(lambda s: softmax_cross_entropy(s, np.array([2, 0]))[0], scores.copy())
    assert relative_error(dscores, numeric) < 1e-8
    np.testing.assert_allclose(dscores, (softmax(scores) - np.eye(3)[[2, 0]]) / 2, rtol=1e-12)
    with np.errstate(**NOT_FINITE):
        loss, _ = softmax_cross_entropy(np.array([[1e4, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1e4)


def test_softmax_cross_entropy_keeps_float32_and_rejects_bad_labels():
    """Is dscores float32 for float32 scores, and are bad scores or labels refused with a ValueError?"""
    scores = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    loss, dscores = softmax_cross_entropy(scores, np.array([0, 1, 2, 1, 0]))
    assert dscores.dtype == np.float32 and isinstance(loss, float)
    _, dint = softmax_cross_entropy(np.array([[1, 2], [3, 4]]), np.array([0, 1]))
    assert dint.dtype == np.float64
    with pytest.raises(ValueError, match="2-D"):
        softmax_cross_entropy(scores[0], np.array([0]))
    with pytest.raises(ValueError, match=r"\(5,\)"):
        softmax_cross_entropy(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match="integers"):
        softmax_cross_entropy(scores, np.zeros(5))
    with pytest.raises(ValueError, match="0..2"):
        softmax_cross_entropy(scores, np.array([0, 1, 2, 3, 0]))


def test_cross_entropy_of_probabilities():
    """Is cross_entropy the same for labels and one-hot rows, finite for P = 0, and strict on shapes?"""
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    expected = -(np.log(0.7) + np.log(0.8)) / 2
    assert cross_entropy(P, np.array([0, 2])) == pytest.approx(expected, rel=1e-12)
    assert cross_entropy(P, np.eye(3)[[0, 2]]) == pytest.approx(expected, rel=1e-12)
    with np.errstate(**NOT_FINITE):
        assert cross_entropy(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-np.log(1e-12))
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(P, np.eye(2))
    with pytest.raises(ValueError, match="2-D"):
        cross_entropy(P[0], np.array([0]))


def test_l2_penalty_excludes_biases():
    """Is l2_penalty 0.5 * reg * sum(W**2) over the weights only?"""
    params = {"W1": np.array([[1.0, 2.0], [3.0, 4.0]]), "b1": np.array([100.0, -100.0]),
              "W2": np.array([[0.5], [-1.0]]), "b2": np.array([7.0])}
    assert l2_penalty(params, 0.1) == pytest.approx(1.5625)
    assert l2_penalty(params, 0.0) == 0.0
    assert isinstance(l2_penalty(params, 0.1), float)
    assert isinstance(l2_penalty({k: v.astype(np.float32) for k, v in params.items()}, 0.1), float)


def test_accuracy_and_confusion_matrix():
    """Are accuracy the fraction correct and confusion_matrix the (true, predicted) counts, with clear errors?"""
    y_true, y_pred = np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1])
    assert accuracy(y_true, y_pred) == pytest.approx(0.8)
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), [[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    assert confusion_matrix(y_true, y_pred, num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match="same length"):
        accuracy(y_true, y_pred[:4])
    with pytest.raises(ValueError):
        accuracy(y_true[:0], y_pred[:0])
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(y_true, y_pred, num_classes=2)


# --- the references table ------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", sorted(references.REFERENCES))
def test_withheld_names_exist(lesson):
    """Does withheld(lesson) list sorted, distinct dotted names that all import, for every lesson?"""
    names = references.withheld(lesson)
    assert names == sorted(set(names))
    assert set(names) == ({ref for ref in references.REFERENCES[lesson].values() if ref}
                          | set(references.SAME_NAME.get(lesson, {}).values()))
    for dotted in names:
        module, attribute = dotted.rsplit(".", 1)
        # the library, the Keras rebuilds, lesson 14's lab and tasks, or a SAME_NAME helper module
        assert module.startswith(("course.nn.", "course.keras_", "course.lab.", "course.tasks",
                                  "course.digitreader", "course.twolayer")), dotted
        assert callable(getattr(importlib.import_module(module), attribute)), dotted


def test_withheld_rejects_an_unknown_lesson():
    """Is an unknown lesson a KeyError that lists the known ones?"""
    with pytest.raises(KeyError, match="01_softmax"):
        references.withheld("99_nothing")
