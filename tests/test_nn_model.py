"""course.nn.model: Sequential, mlp and FunctionModel have the right scores, gradients, dropout, L2 and dtypes."""

import numpy as np
import pytest

from course.data import toy_dataset
from course.gradcheck import numeric_gradient, relative_error
from course.nn.activations import ACTIVATIONS
from course.nn.init import init_params
from course.nn.losses import l2_penalty, softmax_cross_entropy
from course.nn.model import Activation, Dense, Dropout, FunctionModel, Sequential, mlp, two_layer_net
from course.twolayer import two_layer_loss_and_gradients, two_layer_scores


def network(sizes, seed, **kwargs):
    """A seeded mlp with non-zero biases (so that no ReLU sits exactly on its kink), and its rng."""
    rng = np.random.default_rng(seed)
    model = mlp(sizes, rng, **kwargs)
    for key in model.params:
        if key.startswith("b"):
            model.params[key] = rng.normal(scale=0.1, size=model.params[key].shape)
    return model, rng


def reseed(model, seed):
    """Give the model and its Dropout layers a fresh generator: the same masks on every evaluation."""
    model.rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, Dropout):
            layer.rng = model.rng


def check_gradients(model, X, y, seed=0, tol=1e-7):
    """Compare model.loss's gradients with centred differences, masks fixed by reseeding."""
    reseed(model, seed)
    loss, grads = model.loss(X, y)
    assert isinstance(loss, float)
    assert list(grads) == list(model.params)

    def f(_):
        reseed(model, seed)
        return model.loss(X, y)[0]

    for key in model.params:
        assert grads[key].shape == model.params[key].shape
        numeric = numeric_gradient(f, model.params[key])   # perturbs the model's array in place, then restores
        error = relative_error(grads[key], numeric)
        assert error < tol, f"d{key}: relative error {error:.2e}"


def iris():
    return toy_dataset("iris")    # (150, 4) standardized features, 3 classes


def test_mlp_params_equal_init_params_for_the_same_seed():
    """Does mlp draw exactly init_params's weights for the same seed, whatever its dropout, init and dtype?"""
    sizes = (6, 5, 4, 3)
    for kwargs in [{}, {"dropout": 0.3, "activation": "tanh"}, {"init": "xavier_normal"},
                   {"dtype": np.float32}]:
        model = mlp(sizes, np.random.default_rng(7), **kwargs)
        expected = init_params(sizes, np.random.default_rng(7), kwargs.get("init", "he_normal"),
                               kwargs.get("dtype", np.float64))
        assert list(model.params) == list(expected)
        for key in expected:
            assert model.params[key].dtype == expected[key].dtype
            np.testing.assert_array_equal(model.params[key], expected[key], err_msg=str(kwargs))


def test_mlp_layers_read_top_to_bottom():
    """Is mlp (dense -> activation -> dropout) per hidden layer, then dense, with dropout on the model's rng?"""
    rng = np.random.default_rng(0)
    model = mlp((4, 8, 8, 3), rng, activation="elu", dropout=0.25)
    assert [type(layer) for layer in model.layers] == [Dense, Activation, Dropout, Dense, Activation, Dropout,
                                                       Dense]
    assert all(layer.rng is rng for layer in model.layers if isinstance(layer, Dropout))
    assert [layer.name for layer in model.layers if isinstance(layer, Activation)] == ["elu", "elu"]
    assert [type(layer) for layer in mlp((4, 8, 3), rng).layers] == [Dense, Activation, Dense]
    assert "Dropout(0.25)" in repr(model)
    with pytest.raises(ValueError, match="relu"):
        mlp((4, 3), rng, activation="rleu")
    with pytest.raises(ValueError):
        mlp((4, 3), rng, dropout=1.0)
    with pytest.raises(ValueError):
        mlp((4,), rng)


def test_scores_follow_the_formula():
    """Is mlp.loss(X) (and .scores) tanh(X W1 + b1) W2 + b2, and loss(X, y) the cross-entropy of those scores?"""
    model, rng = network((5, 6, 3), 0, activation="tanh")
    X, y = rng.normal(size=(4, 5)), rng.integers(3, size=4)
    p = model.params
    S = np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    np.testing.assert_allclose(model.loss(X), S, rtol=1e-12)
    np.testing.assert_allclose(model.scores(X), S, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.argmax(S, axis=1))
    assert model.predict(X).dtype == np.int64
    assert model.loss(X, y)[0] == pytest.approx(softmax_cross_entropy(S, y)[0], rel=1e-12)


@pytest.mark.parametrize("sizes, activation, seed", [((5, 6, 3), "relu", 0), ((5, 6, 4, 3), "tanh", 1),
                                                     ((4, 5, 5, 5, 5, 3), "relu", 2), ((5, 3), "relu", 13)])
def test_loss_gradients_match_numeric_gradients(sizes, activation, seed):
    """Do Sequential.loss's gradients match centred differences (relative error < 1e-7) for several depths?"""
    model, rng = network(sizes, seed, activation=activation)
    X, y = rng.normal(size=(4, sizes[0])), rng.integers(sizes[-1], size=4)
    assert model.loss(X).shape == (4, sizes[-1])
    check_gradients(model, X, y)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_gives_right_gradients(activation):
    """Are the gradients right with every hidden activation?"""
    model, rng = network((4, 6, 5, 3), 3, activation=activation)
    check_gradients(model, rng.normal(size=(5, 4)), rng.integers(3, size=5))


@pytest.mark.parametrize("dropout, reg", [(0.0, 0.01), (0.3, 0.0), (0.3, 0.01)])
def test_loss_with_l2_and_dropout_matches_numeric_gradients(dropout, reg):
    """Are Sequential.loss's gradients right with reg > 0, and with dropout for fixed masks?"""
    model, rng = network((5, 8, 8, 3), 2, dropout=dropout, reg=reg)
    X, y = rng.normal(size=(6, 5)), rng.integers(3, size=6)
    check_gradients(model, X, y, seed=4)
    if dropout:
        # the masks really are random at training time, and off at test time
        assert model.loss(X, y)[0] != model.loss(X, y)[0]
        np.testing.assert_array_equal(model.loss(X), model.loss(X))
        plain = mlp((5, 8, 8, 3), None, params=model.params)
        np.testing.assert_allclose(model.loss(X), plain.loss(X), rtol=1e-14)


def test_l2_adds_the_penalty_and_reg_w_to_the_weight_gradients():
    """Does reg add l2_penalty to the loss and reg * W to each weight gradient only, leaving params alone?"""
    base, rng = network((5, 8, 8, 3), 2)
    X, y = rng.normal(size=(6, 5)), rng.integers(3, size=6)
    regularized = mlp((5, 8, 8, 3), None, reg=0.5, params=base.params)
    before = {k: v.copy() for k, v in regularized.params.items()}
    loss0, g0 = base.loss(X, y)
    loss1, g1 = regularized.loss(X, y)
    assert loss1 - loss0 == pytest.approx(l2_penalty(base.params, 0.5))
    for l in (1, 2, 3):
        np.testing.assert_allclose(g1[f"W{l}"] - g0[f"W{l}"], 0.5 * base.params[f"W{l}"], atol=1e-12)
        np.testing.assert_array_equal(g1[f"b{l}"], g0[f"b{l}"])
    for k in before:
        np.testing.assert_array_equal(regularized.params[k], before[k])


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_float32_params_scores_and_grads_stay_float32(activation):
    """Float32 model, float32 inputs: are params, scores, every gradient float32 (loss a float), with dropout and L2?"""
    rng = np.random.default_rng(0)
    model = mlp((4, 6, 5, 3), rng, activation=activation, dropout=0.2, reg=0.1, dtype=np.float32)
    X, y = rng.normal(size=(8, 4)).astype(np.float32), rng.integers(3, size=8)
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert model.loss(X).dtype == np.float32
    loss, grads = model.loss(X, y)
    assert isinstance(loss, float) and np.isfinite(loss)
    assert {k: v.dtype for k, v in grads.items()} == {k: np.dtype(np.float32) for k in model.params}
    # float64 data is cast to the parameters' dtype by scores/predict/evaluate
    assert model.scores(X.astype(np.float64)).dtype == np.float32
    assert model.evaluate(X.astype(np.float64), y)[0] == pytest.approx(model.evaluate(X, y)[0])


def test_sequential_given_params_copies_or_shares_them():
    """Are given params copied into the model's dtype by default, used as they are with copy=False, and checked?"""
    params = init_params((3, 4, 2), np.random.default_rng(0))
    layers = [Dense(3, 4), Activation("relu"), Dense(4, 2)]
    copied = Sequential(layers, None, params=params, dtype=np.float32)
    assert all(copied.params[k] is not params[k] and copied.params[k].dtype == np.float32 for k in params)
    np.testing.assert_allclose(copied.params["W1"], params["W1"], rtol=1e-7)
    shared = Sequential([Dense(3, 4), Activation("relu"), Dense(4, 2)], None, params=params, copy=False)
    assert shared.params is params
    with pytest.raises(KeyError, match="W2"):
        Sequential([Dense(3, 4), Activation("relu"), Dense(4, 2)], None,
                   params={"W1": params["W1"], "b1": params["b1"]})
    with pytest.raises(ValueError, match="shape"):
        Sequential([Dense(3, 5), Activation("relu"), Dense(5, 2)], None, params=params)


def test_function_model_copies_the_callers_params():
    """Does FunctionModel copy the caller's params (in the given dtype) and route loss(X[, y]) to the functions?"""
    X, y = iris()
    params = two_layer_net(4, 8, 3, np.random.default_rng(0)).params
    before = {k: v.copy() for k, v in params.items()}
    model = FunctionModel(params, two_layer_loss_and_gradients, two_layer_scores)
    assert all(model.params[k] is not params[k] for k in params)
    model.params["W1"] += 1.0
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    np.testing.assert_allclose(model.loss(X), two_layer_scores(X, model.params), rtol=1e-15)
    loss, grads = model.loss(X, y)
    assert loss == two_layer_loss_and_gradients(X, y, model.params)[0] and sorted(grads) == sorted(params)
    single = FunctionModel(params, two_layer_loss_and_gradients, two_layer_scores, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in single.params.values())


def test_scores_in_chunks_match_one_pass():
    """Do scores, predict and evaluate give the same results in chunks as in one pass, and refuse no data?"""
    X, y = iris()
    model = two_layer_net(4, 8, 3, np.random.default_rng(0))
    full = model.loss(X)
    np.testing.assert_allclose(model.scores(X, chunk_size=7), full, rtol=1e-14)
    np.testing.assert_array_equal(model.predict(X, chunk_size=7), np.argmax(full, axis=1))
    loss, acc = model.evaluate(X, y, chunk_size=7)
    assert loss == pytest.approx(softmax_cross_entropy(full, y)[0], rel=1e-12)
    assert acc == pytest.approx(np.mean(np.argmax(full, axis=1) == y))
    assert isinstance(loss, float) and isinstance(acc, float)
    with pytest.raises(ValueError, match="empty"):
        model.evaluate(X[:0], y[:0])


def test_evaluate_ignores_the_penalty_and_dropout():
    """Is evaluate's loss the plain cross-entropy at test time: no L2 penalty, no dropout?"""
    X, y = iris()
    model = mlp((4, 16, 3), np.random.default_rng(1), dropout=0.5, reg=10.0)
    plain = mlp((4, 16, 3), None, params=model.params)
    assert model.evaluate(X, y) == plain.evaluate(X, y)
    penalty = l2_penalty(model.params, 10.0)
    assert penalty > 10 and model.loss(X, y)[0] > penalty > model.evaluate(X, y)[0]


def test_two_layer_net_preset():
    """Is two_layer_net dense -> ReLU -> dense with He weights (or std scale) and zero biases?"""
    model = two_layer_net(400, 300, 10, np.random.default_rng(0))
    assert [type(layer) for layer in model.layers] == [Dense, Activation, Dense]
    assert model.layers[1].name == "relu"
    assert {k: v.shape for k, v in model.params.items()} == {"W1": (400, 300), "b1": (300,), "W2": (300, 10),
                                                             "b2": (10,)}
    assert model.params["W1"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    assert not model.params["b1"].any() and not model.params["b2"].any()
    scaled = two_layer_net(400, 300, 10, np.random.default_rng(0), scale=0.01)
    assert scaled.params["W2"].std() == pytest.approx(0.01, rel=0.05)
    assert two_layer_net(4, 3, 2, np.random.default_rng(0), dtype=np.float32).params["W1"].dtype == np.float32


# --- Regression: loss="mse" (lesson 11) ---------------------------------------------------------

def test_mean_squared_error_value_gradient_and_shapes():
    """Does mean_squared_error give mean((pred - y)^2), its numeric gradient, take (N,) targets, reject bad shapes?"""
    from course.nn.losses import mean_squared_error

    rng = np.random.default_rng(3)
    pred, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    loss, dpred = mean_squared_error(pred, y)
    assert loss == pytest.approx(np.mean((pred - y) ** 2), rel=1e-12)
    numeric = numeric_gradient(lambda p: mean_squared_error(p, y)[0], pred.copy())
    assert relative_error(dpred, numeric) < 1e-8
    col = rng.normal(size=(5, 1))
    target = np.arange(5.0)
    assert mean_squared_error(col, target)[0] == pytest.approx(np.mean((col[:, 0] - target) ** 2))
    assert mean_squared_error(col.astype(np.float32), target)[1].dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        mean_squared_error(pred, y[:, 0])
    with pytest.raises(ValueError, match="2-D"):
        mean_squared_error(pred[:, 0], y[:, 0])


def test_mlp_regression_loss_gradients_evaluate_and_predict():
    """Does mlp(loss="mse") pass a numeric gradient check with L2, and evaluate to (mse, R²) like scikit-learn?"""
    from sklearn.metrics import r2_score

    model, rng = network((4, 5, 1), seed=11, reg=0.1, loss="mse")
    X, y = rng.normal(size=(7, 4)), rng.normal(size=7)
    loss, grads = model.loss(X, y)
    pred = model.loss(X)[:, 0]
    assert loss == pytest.approx(np.mean((pred - y) ** 2) + l2_penalty(model.params, 0.1), rel=1e-12)
    for name in model.params:
        numeric = numeric_gradient(lambda p, name=name: model.loss(X, y)[0], model.params[name])
        assert relative_error(grads[name], numeric) < 1e-7, name
    mse, r2 = model.evaluate(X, y)
    assert mse == pytest.approx(np.mean((pred - y) ** 2), rel=1e-12)
    assert r2 == pytest.approx(r2_score(y, pred), rel=1e-12)
    np.testing.assert_allclose(model.predict(X), pred)
    assert model.metric_name == "r2" and "mse" in repr(model)
    with pytest.raises(ValueError, match="loss must be one of"):
        mlp((4, 5, 1), rng, loss="hinge")


def test_fit_trains_a_regressor_and_keeps_the_classifier_path():
    """Does fit lower a regressor's error (R² in the "val_acc" column), while the default loss stays cross-entropy?"""
    from course.nn.train import fit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=300)
    model = mlp((3, 16, 1), np.random.default_rng(1), loss="mse")
    history = fit(model, (X[:200], y[:200], X[200:], y[200:]), num_epochs=20, batch_size=32, lr=1e-2,
                  progress=False)
    assert history["val_loss"][-1] < 0.1 * history["val_loss"][0]
    assert history["val_acc"][-1] > 0.95
    classifier = mlp((3, 4, 2), np.random.default_rng(1))
    assert classifier.loss_name == "softmax_cross_entropy" and classifier.metric_name == "accuracy"
    labels = np.array([0, 1, 1])
    assert classifier.loss(X[:3], labels)[0] == pytest.approx(softmax_cross_entropy(classifier.loss(X[:3]), labels)[0])
    assert classifier.predict(X[:3]).dtype == np.int64
