"""course.twolayer: the two-layer presets over course.nn compute the right scores, loss and gradients."""

import numpy as np
import pytest

from course.gradcheck import numeric_gradient, relative_error
from course.nn.model import two_layer_net
from course.twolayer import (init_two_layer, two_layer_forward, two_layer_loss_and_gradients, two_layer_predict,
                             two_layer_scores)

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def small_problem(seed=0, num_samples=7, num_inputs=3, num_hiddens=5, num_classes=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(num_samples, num_inputs))
    y = rng.integers(num_classes, size=num_samples)
    params = init_two_layer(num_inputs, num_hiddens, num_classes, rng)
    params["b1"] = rng.normal(scale=0.1, size=num_hiddens)   # non-zero biases exercise db1, db2
    params["b2"] = rng.normal(scale=0.1, size=num_classes)
    return X, y, params


def test_init_shapes_and_scales():
    """Does init give the documented shapes, zero biases, He-scaled weights, or the given scale?"""
    params = init_two_layer(4, 500, 300, np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == {"W1": (4, 500), "b1": (500,), "W2": (500, 300),
                                                       "b2": (300,)}
    assert all(v.dtype == np.float64 for v in params.values())
    assert not params["b1"].any() and not params["b2"].any()
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 4), rel=0.05)
    assert params["W2"].std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)
    scaled = init_two_layer(4, 500, 300, np.random.default_rng(0), scale=0.01)
    assert scaled["W1"].std() == pytest.approx(0.01, rel=0.05)
    assert scaled["W2"].std() == pytest.approx(0.01, rel=0.05)


def test_forward_gives_probabilities_matching_the_formula():
    """Is the forward pass softmax(relu(X W1 + b1) W2 + b2), with rows summing to one?"""
    X, _, params = small_problem()
    H = np.maximum(X @ params["W1"] + params["b1"], 0)
    S = H @ params["W2"] + params["b2"]
    expected = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    P = two_layer_forward(X, params)
    np.testing.assert_allclose(two_layer_scores(X, params), S, rtol=1e-12)
    np.testing.assert_allclose(P, expected, rtol=1e-12)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(two_layer_predict(X, params), np.argmax(S, axis=1))
    assert two_layer_predict(X, params).dtype == np.int64


def test_forward_is_stable_for_huge_scores():
    """Do scores in the thousands give finite probabilities and loss, with no overflow or log(0)?"""
    X, _, params = small_problem()
    params["W2"] = params["W2"] * 1e4
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # underflow to 0 is fine
        P = two_layer_forward(X, params)
        loss, _ = two_layer_loss_and_gradients(X, np.zeros(len(X), dtype=np.int64), params)
    assert np.isfinite(P).all() and np.isfinite(loss)


def test_loss_value_is_mean_cross_entropy_plus_penalty():
    """Is the loss -mean log P[n, y_n] + 0.5 reg (|W1|^2 + |W2|^2), for labels and one-hot targets?"""
    X, y, params = small_problem()
    P = two_layer_forward(X, params)
    data_loss = -np.mean(np.log(P[np.arange(len(y)), y]))
    penalty = 0.5 * 0.3 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert two_layer_loss_and_gradients(X, y, params)[0] == pytest.approx(data_loss, rel=1e-12)
    assert two_layer_loss_and_gradients(X, np.eye(4)[y], params, reg=0.3)[0] == pytest.approx(
        data_loss + penalty, rel=1e-12)


def test_loss_of_zero_output_weights_is_log_num_classes():
    """With W2 = 0 and b2 = 0 every class gets 1/C: is the loss log C (the untrained baseline)?"""
    X, y, params = small_problem(num_classes=6)
    params["W2"][:] = 0.0
    params["b2"][:] = 0.0
    assert two_layer_loss_and_gradients(X, y, params)[0] == pytest.approx(np.log(6), rel=1e-12)


@pytest.mark.parametrize("reg", [0.0, 0.7])
@pytest.mark.parametrize("one_hot", [False, True])
def test_gradients_match_numeric_gradients(reg, one_hot):
    """Does every analytic gradient agree with centred differences to a relative error below 1e-7?"""
    X, y, params = small_problem(seed=3)
    Y = np.eye(4)[y] if one_hot else y
    _, grads = two_layer_loss_and_gradients(X, Y, params, reg=reg)
    assert sorted(grads) == sorted(PARAM_NAMES)
    for name in PARAM_NAMES:
        def f(_):
            return two_layer_loss_and_gradients(X, Y, params, reg=reg)[0]
        numeric = numeric_gradient(f, params[name])   # perturbs params[name] in place, then restores
        assert grads[name].shape == params[name].shape
        error = relative_error(grads[name], numeric)
        assert error < 1e-7, f"d{name}: relative error {error:.2e}"


def test_gradients_on_a_bigger_batch():
    """Do the gradients stay right with more samples, hidden units and classes (relative error < 1e-7)?"""
    X, y, params = small_problem(seed=8, num_samples=20, num_inputs=4, num_hiddens=9, num_classes=3)
    _, grads = two_layer_loss_and_gradients(X, y, params, reg=0.05)
    for name in PARAM_NAMES:
        numeric = numeric_gradient(lambda _: two_layer_loss_and_gradients(X, y, params, reg=0.05)[0],
                                   params[name])
        assert relative_error(grads[name], numeric) < 1e-7, name


def test_bad_inputs_raise_clear_errors():
    """Do wrong shapes, float labels and out-of-range labels raise a ValueError saying what is wrong?"""
    X, y, params = small_problem()
    with pytest.raises(ValueError, match=r"\(7, 4\)"):
        two_layer_loss_and_gradients(X, np.eye(3)[y % 3], params)
    with pytest.raises(ValueError, match="integers"):
        two_layer_loss_and_gradients(X, y.astype(float), params)
    with pytest.raises(ValueError, match="0..3"):
        two_layer_loss_and_gradients(X, np.full(7, 4), params)
    with pytest.raises(ValueError, match="shape"):
        two_layer_forward(X[:, :2], params)
    with pytest.raises(KeyError, match="W2"):
        two_layer_forward(X, {"W1": params["W1"], "b1": params["b1"]})


def test_presets_are_the_library_network():
    """Are the presets course.nn's two_layer_net: the same weights for a seed, and the same scores and loss?"""
    X, y, params = small_problem(seed=4)
    drawn = init_two_layer(3, 5, 4, np.random.default_rng(9))
    net = two_layer_net(3, 5, 4, np.random.default_rng(9))
    assert list(drawn) == list(PARAM_NAMES)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(drawn[name], net.params[name])
    net = two_layer_net(3, 5, 4, None, reg=0.2, params=params)
    np.testing.assert_array_equal(two_layer_scores(X, params), net.loss(X))
    loss, grads = two_layer_loss_and_gradients(X, y, params, reg=0.2)
    expected_loss, expected_grads = net.loss(X, y)
    assert loss == expected_loss
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(grads[name], expected_grads[name])


def test_loss_leaves_the_params_alone():
    """Does the loss (with reg) leave the caller's params dict and arrays exactly as they were?"""
    X, y, params = small_problem(seed=5)
    before = {k: v.copy() for k, v in params.items()}
    arrays = dict(params)
    _, grads = two_layer_loss_and_gradients(X, y, params, reg=0.5)
    assert sorted(params) == sorted(PARAM_NAMES)
    for name in PARAM_NAMES:
        assert params[name] is arrays[name] and grads[name] is not params[name]
        np.testing.assert_array_equal(params[name], before[name])


def test_presets_keep_float32():
    """Float32 params and inputs: are the scores, probabilities and gradients float32 (no float64 upcast)?"""
    X, y, _ = small_problem(seed=6)
    params = init_two_layer(3, 5, 4, np.random.default_rng(0), dtype=np.float32)
    assert all(v.dtype == np.float32 for v in params.values())
    X32 = X.astype(np.float32)
    assert two_layer_scores(X32, params).dtype == np.float32
    assert two_layer_forward(X32, params).dtype == np.float32
    for Y in (y, np.eye(4, dtype=np.float32)[y]):
        loss, grads = two_layer_loss_and_gradients(X32, Y, params, reg=0.1)
        assert isinstance(loss, float)
        assert all(grads[name].dtype == np.float32 for name in PARAM_NAMES)
