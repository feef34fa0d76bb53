"""course.nn optimization: the update rules, minibatches and learning-rate schedules behave as documented."""

import math

import numpy as np
import pytest

from course.nn.batches import minibatches, num_batches
from course.nn.optim import UPDATE_RULES, adam, get_update_rule, sgd, sgd_momentum
from course.nn.schedules import Constant, CosineDecay, ExponentialDecay, StepDecay, as_schedule

W = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
DW = np.array([[0.1, -0.2, 0.3], [1.0, -1.0, 0.5]])


@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_update_rules_leave_their_inputs_alone_and_fill_defaults(name):
    """Does every rule return a new array, keep w and dw unchanged, and create a config with "lr" when given None?"""
    w, dw = W.copy(), DW.copy()
    next_w, config = UPDATE_RULES[name](w, dw)
    assert next_w is not w and next_w.shape == w.shape
    np.testing.assert_array_equal(w, W)
    np.testing.assert_array_equal(dw, DW)
    expected_lr = 1e-3 if name == "adam" else 1e-2
    assert config["lr"] == expected_lr and "learning_rate" not in config
    given = {"lr": 0.5}
    assert UPDATE_RULES[name](w, dw, given)[1] is given          # the same dict, filled in
    assert get_update_rule(name) is UPDATE_RULES[name]


@pytest.mark.parametrize("name", sorted(UPDATE_RULES))
def test_update_rules_keep_float32(name):
    """Float32 w and dw: are next_w and the optimizer's state (velocity, m, v) float32 step after step?"""
    rng = np.random.default_rng(0)
    w, config = rng.normal(size=(3, 4)).astype(np.float32), {"lr": 0.1}
    for _ in range(3):
        w, config = UPDATE_RULES[name](w, rng.normal(size=w.shape).astype(np.float32), config)
        assert w.dtype == np.float32
        for key in ("velocity", "m", "v"):
            if key in config:
                assert config[key].dtype == np.float32, key


def test_get_update_rule_accepts_callables_and_rejects_unknown_names():
    """Is a callable returned as it is, and an unknown name a ValueError listing the valid ones?"""
    def rule(w, dw, config):
        return w, config

    assert get_update_rule(rule) is rule
    with pytest.raises(ValueError, match="sgd_momentum"):
        get_update_rule("rmsprop")


def test_sgd_is_one_gradient_step():
    """Is sgd exactly w - lr * dw, with the default rate 1e-2?"""
    np.testing.assert_allclose(sgd(W, DW, {"lr": 0.5})[0], W - 0.5 * DW, rtol=1e-15)
    np.testing.assert_allclose(sgd(W, DW)[0], W - 1e-2 * DW, rtol=1e-15)


def test_momentum_accumulates_a_velocity():
    """Does momentum keep v = mu v - lr dw in config, starting from zero, and step by v?"""
    config = {"lr": 0.1, "momentum": 0.5}
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
        next_w, config = adam(W, dw, {"lr": 0.01})
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
    config = {"lr": lr, "beta1": b1, "beta2": b2, "epsilon": eps}
    w = rng.normal(size=(3, 4))
    w_ref, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t in range(1, 8):
        dw = rng.normal(size=w.shape)
        m = b1 * m + (1 - b1) * dw
        v = b2 * v + (1 - b2) * dw ** 2
        w_ref = w_ref - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        w, config = adam(w, dw, config)
        np.testing.assert_allclose(w, w_ref, rtol=1e-13)
        np.testing.assert_allclose(config["m"], m, rtol=1e-13)    # uncorrected moments
        np.testing.assert_allclose(config["v"], v, rtol=1e-13)
    assert config["t"] == 7


def test_optimizers_agree_with_keras():
    """Do sgd, sgd_momentum and adam (epsilon 0) take the steps Keras takes on the same gradients?"""
    from course.frameworks import load_keras

    keras = load_keras()
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(2, 3)) for _ in range(4)]
    # Hyperparameters that float32 holds exactly: Keras rounds them to float32 before casting.
    # With epsilon = 0 Keras' form of Adam, lr sqrt(1 - b2^t) / (1 - b1^t) m / sqrt(v), is ours.
    # Keras calls the learning rate learning_rate; our configs call it "lr".
    cases = [(sgd, keras.optimizers.SGD(learning_rate=0.125), {"lr": 0.125}),
             (sgd_momentum, keras.optimizers.SGD(learning_rate=0.125, momentum=0.75),
              {"lr": 0.125, "momentum": 0.75}),
             (adam, keras.optimizers.Adam(learning_rate=2 ** -6, beta_1=0.875, beta_2=1 - 2 ** -9,
                                          epsilon=0.0),
              {"lr": 2 ** -6, "beta1": 0.875, "beta2": 1 - 2 ** -9, "epsilon": 0.0})]
    for update, keras_opt, config in cases:
        var = keras.Variable(W.copy(), dtype="float64")
        w = W.copy()
        for g in grads:
            keras_opt.apply([keras.ops.convert_to_tensor(g)], [var])
            w, config = update(w, g, config)
        np.testing.assert_allclose(w, var.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=update.__name__)


# --- minibatches ---------------------------------------------------------------------------------

def test_minibatches_cover_every_sample_once_per_epoch():
    """Does each epoch yield every sample exactly once, in batches of batch_size and a smaller last one?"""
    X = np.arange(23)[:, None] * np.array([1.0, 100.0])
    y = np.arange(23)
    rng = np.random.default_rng(0)
    orders = []
    for _ in range(3):
        batches = list(minibatches(X, y, 5, rng))
        assert [len(yb) for _, yb in batches] == [5, 5, 5, 5, 3]
        assert len(batches) == num_batches(23, 5)
        for X_batch, y_batch in batches:
            np.testing.assert_array_equal(X_batch[:, 0], y_batch)   # rows stay with their labels
        order = np.concatenate([yb for _, yb in batches])
        np.testing.assert_array_equal(np.sort(order), y)
        orders.append(order)
    assert not np.array_equal(orders[0], orders[1])   # a fresh permutation each epoch
    np.testing.assert_array_equal(orders[0], np.random.default_rng(0).permutation(23))
    assert [len(yb) for _, yb in minibatches(X, y, 100, rng)] == [23]
    assert num_batches(20, 5) == 4 and num_batches(21, 5) == 5


@pytest.mark.parametrize("batch_size", [0, -2, 2.5, True, "8", None])
def test_minibatches_reject_a_bad_batch_size(batch_size):
    """Is a batch size that is not a positive integer refused with a ValueError, before iterating?"""
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(np.zeros((4, 2)), np.zeros(4), batch_size, np.random.default_rng(0))


def test_minibatches_reject_mismatched_lengths():
    """Is a length mismatch between X and y refused with a ValueError at the call?"""
    with pytest.raises(ValueError, match="samples"):
        minibatches(np.zeros((4, 2)), np.zeros(5), 2, np.random.default_rng(0))


# --- schedules -----------------------------------------------------------------------------------

def test_schedule_values():
    """Do Constant, ExponentialDecay, StepDecay and CosineDecay give their formulas' rates, epochs from 0?"""
    assert [Constant(0.3)(k) for k in range(3)] == [0.3, 0.3, 0.3]
    decay = ExponentialDecay(1e-2, 0.5)
    for k in range(5):
        assert decay(k) == pytest.approx(1e-2 * 0.5 ** k, rel=1e-15)
    assert [StepDecay(1.0, factor=0.1, every=2)(k) for k in range(6)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01], rel=1e-12)
    cosine = CosineDecay(1.0, num_epochs=5, lr_min=0.1)
    assert [cosine(k) for k in range(5)] == pytest.approx(
        [0.1 + 0.45 * (1 + math.cos(math.pi * k / 4)) for k in range(5)], rel=1e-12)
    assert cosine(0) == pytest.approx(1.0) and cosine(2) == pytest.approx(0.55) and cosine(4) == pytest.approx(0.1)
    assert cosine(10) == pytest.approx(0.1)                   # stays at lr_min after the last epoch
    assert CosineDecay(0.5, num_epochs=1)(0) == 0.5
    for schedule in (Constant(1), decay, StepDecay(1.0), cosine):
        assert isinstance(schedule(3), float) and repr(schedule).startswith(type(schedule).__name__)


def test_as_schedule_accepts_numbers_and_schedules_only():
    """Is a number a Constant, a schedule itself, and a non-positive or non-number rate a ValueError?"""
    assert isinstance(as_schedule(0.01), Constant) and as_schedule(0.01)(7) == 0.01
    assert as_schedule(np.float64(0.5))(0) == 0.5
    decay = ExponentialDecay(1.0, 0.9)
    assert as_schedule(decay) is decay
    for bad in (0, -1e-3, True, "0.1", None):
        with pytest.raises(ValueError, match="lr"):
            as_schedule(bad)


def test_optimizer_state_is_updated_in_place():
    """Do sgd_momentum and adam update their state arrays in place (no new arrays per step), leave w and dw
    alone, and still accept a velocity given as a list of ints?"""
    rng = np.random.default_rng(0)
    w, dw = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    w0, dw0 = w.copy(), dw.copy()
    config = {}
    sgd_momentum(w, dw, config)
    velocity = config["velocity"]
    sgd_momentum(w, dw, config)
    assert config["velocity"] is velocity and velocity.dtype == np.float32
    config = {}
    adam(w, dw, config)
    m, v = config["m"], config["v"]
    adam(w, dw, config)
    assert config["m"] is m and config["v"] is v
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(dw, dw0)
    next_w, config = sgd_momentum(np.ones(3), np.ones(3), {"velocity": [1, 1, 1], "lr": 0.1, "momentum": 0.5})
    np.testing.assert_allclose(config["velocity"], [0.4, 0.4, 0.4])
    np.testing.assert_allclose(next_w, [1.4, 1.4, 1.4])
