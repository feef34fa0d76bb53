"""course.optim: the reference update rules, minibatch iterator and training loop behave as documented."""

import numpy as np
import pytest

from course.data import toy_dataset
from course.optim import (UPDATE_RULES, adam, evaluate_accuracy, minibatches, sgd, sgd_momentum,
                          train)
from course.twolayer import init_two_layer, two_layer_loss_and_gradients, two_layer_predict

W = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
DW = np.array([[0.1, -0.2, 0.3], [1.0, -1.0, 0.5]])


def iris():
    return toy_dataset("iris")    # (150, 4) standardized features, 3 classes


@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_update_rules_leave_their_inputs_alone_and_fill_defaults(name):
    """Does every rule return a new array, keep w and dw unchanged, and create a config when given None?"""
    w, dw = W.copy(), DW.copy()
    next_w, config = UPDATE_RULES[name](w, dw)
    assert next_w is not w and next_w.shape == w.shape
    np.testing.assert_array_equal(w, W)
    np.testing.assert_array_equal(dw, DW)
    expected_lr = 1e-3 if name == "adam" else 1e-2
    assert config["learning_rate"] == expected_lr


def test_sgd_is_one_gradient_step():
    """Is sgd exactly w - learning_rate * dw, with the default rate 1e-2?"""
    np.testing.assert_allclose(sgd(W, DW, {"learning_rate": 0.5})[0], W - 0.5 * DW, rtol=1e-15)
    np.testing.assert_allclose(sgd(W, DW)[0], W - 1e-2 * DW, rtol=1e-15)


def test_momentum_accumulates_a_velocity():
    """Does momentum keep v = mu v - lr dw in config, starting from zero, and step by v?"""
    config = {"learning_rate": 0.1, "momentum": 0.5}
    w, v = W.copy(), np.zeros_like(W)
    for k in range(4):
        dw = DW * (k + 1)
        v = 0.5 * v - 0.1 * dw
        expected = w + v
        w, config = sgd_momentum(w, dw, config)
        np.testing.assert_allclose(w, expected, rtol=1e-14)
        np.testing.assert_allclose(config["velocity"], v, rtol=1e-14)
    _, default = sgd_momentum(W, DW)
    assert default["momentum"] == 0.9
    np.testing.assert_allclose(default["velocity"], -1e-2 * DW, rtol=1e-15)


def test_adam_first_step_is_learning_rate_times_sign():
    """Thanks to the bias correction, is Adam's first step lr * sign(dw) whatever the gradient's scale?"""
    for scale in (1e-4, 1.0, 1e4):
        dw = DW * scale
        next_w, config = adam(W, dw, {"learning_rate": 0.01})
        # |m_hat| / sqrt(v_hat) = |dw| / |dw| = 1; only epsilon (1e-8) keeps it from being exact.
        np.testing.assert_allclose(next_w, W - 0.01 * dw / (np.abs(dw) + 1e-8), rtol=1e-12)
        np.testing.assert_allclose(next_w, W - 0.01 * np.sign(dw), atol=1e-2 * 1e-3)
        assert config["t"] == 1
        np.testing.assert_allclose(config["m"], 0.1 * DW * scale, rtol=1e-12)
        np.testing.assert_allclose(config["v"], 0.001 * (DW * scale) ** 2, rtol=1e-12)


def test_adam_matches_the_formula_over_several_steps():
    """Does Adam follow the bias-corrected formula step after step, keeping m, v, t in config?"""
    rng = np.random.default_rng(1)
    lr, b1, b2, eps = 0.05, 0.8, 0.99, 1e-6
    config = {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps}
    w = rng.normal(size=(3, 4))
    w_ref, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t in range(1, 8):
        dw = rng.normal(size=w.shape)
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw ** 2
        w_ref = w_ref - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        w, config = adam(w, dw, config)
        np.testing.assert_allclose(w, w_ref, rtol=1e-13)
    assert config["t"] == 7


def test_optimizers_agree_with_keras():
    """Do sgd, sgd_momentum and adam (epsilon 0) take the steps Keras takes on the same gradients?"""
    from course.frameworks import load_keras

    keras = load_keras()
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(2, 3)) for _ in range(4)]
    # Hyperparameters that float32 holds exactly: Keras rounds them to float32 before casting.
    # With epsilon = 0 Keras' form of Adam, lr sqrt(1 - b2^t) / (1 - b1^t) m / sqrt(v), is ours.
    cases = [(sgd, keras.optimizers.SGD(learning_rate=0.125), {"learning_rate": 0.125}),
             (sgd_momentum, keras.optimizers.SGD(learning_rate=0.125, momentum=0.75),
              {"learning_rate": 0.125, "momentum": 0.75}),
             (adam, keras.optimizers.Adam(learning_rate=2 ** -6, beta_1=0.875, beta_2=1 - 2 ** -9,
                                          epsilon=0.0),
              {"learning_rate": 2 ** -6, "beta1": 0.875, "beta2": 1 - 2 ** -9, "epsilon": 0.0})]
    for update, keras_opt, config in cases:
        var = keras.Variable(W.copy(), dtype="float64")
        w = W.copy()
        for g in grads:
            keras_opt.apply([keras.ops.convert_to_tensor(g)], [var])
            w, config = update(w, g, config)
        np.testing.assert_allclose(w, var.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=update.__name__)


def test_minibatches_cover_every_sample_once_per_epoch():
    """Does each epoch yield every sample exactly once, in batches of batch_size and a smaller last one?"""
    X = np.arange(23)[:, None] * np.array([1.0, 100.0])
    y = np.arange(23)
    rng = np.random.default_rng(0)
    orders = []
    for _ in range(3):
        batches = list(minibatches(X, y, 5, rng))
        assert [len(yb) for _, yb in batches] == [5, 5, 5, 5, 3]
        for X_batch, y_batch in batches:
            np.testing.assert_array_equal(X_batch[:, 0], y_batch)   # rows stay with their labels
        order = np.concatenate([yb for _, yb in batches])
        np.testing.assert_array_equal(np.sort(order), y)
        orders.append(order)
    assert not np.array_equal(orders[0], orders[1])   # a fresh permutation each epoch
    np.testing.assert_array_equal(orders[0], np.random.default_rng(0).permutation(23))
    assert [len(yb) for _, yb in minibatches(X, y, 100, rng)] == [23]


@pytest.mark.parametrize("batch_size", [0, -2, 2.5, True, "8"])
def test_minibatches_reject_a_bad_batch_size(batch_size):
    """Is a batch size that is not a positive integer refused with a ValueError, before iterating?"""
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(np.zeros((4, 2)), np.zeros(4), batch_size, np.random.default_rng(0))


def test_minibatches_reject_mismatched_lengths():
    """Is a length mismatch between X and y refused with a ValueError?"""
    with pytest.raises(ValueError, match="samples"):
        minibatches(np.zeros((4, 2)), np.zeros(5), 2, np.random.default_rng(0))


def test_evaluate_accuracy_in_chunks_matches_one_pass():
    """Does predicting in chunks give the same accuracy as predicting everything at once?"""
    X, y = iris()
    params = init_two_layer(4, 8, 3, np.random.default_rng(0))
    full = np.mean(two_layer_predict(X, params) == y)
    assert evaluate_accuracy(two_layer_predict, params, X, y, chunk_size=7) == pytest.approx(full)
    with pytest.raises(ValueError):
        evaluate_accuracy(two_layer_predict, params, X[:0], y[:0])


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("sgd_momentum", 0.1), ("adam", 0.02)])
def test_train_learns_iris(optimizer, lr):
    """Does every optimizer bring the loss down and reach high accuracy on the iris flowers?"""
    X, y = iris()
    params0 = init_two_layer(4, 16, 3, np.random.default_rng(0))
    snapshot = {k: v.copy() for k, v in params0.items()}
    params, history = train(params0, X, y, X, y, two_layer_loss_and_gradients, two_layer_predict,
                            optimizer, {"learning_rate": lr}, num_epochs=15, batch_size=16,
                            rng=np.random.default_rng(1), progress=False)
    for name in params0:
        np.testing.assert_array_equal(params0[name], snapshot[name])      # the start is kept
    assert {k: len(v) for k, v in history.items()} == {
        "loss": 15, "train_acc": 15, "val_acc": 15, "seconds": 15, "batch_loss": 15 * 10}
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["train_acc"][-1] > 0.95
    assert history["loss"][0] == pytest.approx(np.mean(history["batch_loss"][:10]))


def test_train_equals_the_loop_it_describes():
    """Is train the plain loop: minibatches from rng, one config per parameter kept across steps?"""
    X, y = iris()
    X, y = X[::3], y[::3]
    params0 = init_two_layer(4, 6, 3, np.random.default_rng(4))
    params, history = train(params0, X, y, X[:10], y[:10], two_layer_loss_and_gradients,
                            two_layer_predict, adam, {"learning_rate": 0.01}, num_epochs=3,
                            batch_size=8, rng=np.random.default_rng(5), progress=False)
    rng = np.random.default_rng(5)
    expected = dict(params0)
    configs = {name: {"learning_rate": 0.01} for name in expected}
    losses = []
    for _ in range(3):
        for X_batch, y_batch in minibatches(X, y, 8, rng):
            loss, grads = two_layer_loss_and_gradients(X_batch, y_batch, expected)
            losses.append(loss)
            for name in expected:
                expected[name], configs[name] = adam(expected[name], grads[name], configs[name])
    for name in expected:
        np.testing.assert_allclose(params[name], expected[name], rtol=1e-12)
    np.testing.assert_allclose(history["batch_loss"], losses, rtol=1e-12)
    assert history["val_acc"][-1] == pytest.approx(np.mean(two_layer_predict(X[:10], params) == y[:10]))
