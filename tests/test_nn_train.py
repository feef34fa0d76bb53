"""course.nn.train and course.nn.io: fit is the loop it documents, split_validation and save/load are sound."""

import numpy as np
import pytest

import course.nn.io as nn_io
from course.data import toy_dataset
from course.nn.batches import minibatches
from course.nn.io import load_params, save_params
from course.nn.model import FunctionModel, mlp, two_layer_net
from course.nn.optim import adam, sgd_momentum
from course.nn.schedules import CosineDecay, ExponentialDecay, StepDecay
from course.nn.train import HISTORY_KEYS, Split, fit, split_validation
from course.twolayer import init_two_layer, two_layer_loss_and_gradients, two_layer_scores

PER_EPOCH = set(HISTORY_KEYS)
NO_VAL = {key for key in HISTORY_KEYS if not key.startswith("val")}


def iris():
    return toy_dataset("iris")    # (150, 4) standardized features, 3 classes


def moons3(num_samples=450, noise=0.12, seed=5):
    X, y = toy_dataset("moons3", num_samples=num_samples, noise=noise, rng=np.random.default_rng(seed))
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def two_layer_model(num_inputs, num_hiddens, num_classes, seed):
    """The function-style two-layer network of lessons 05-07 as a model (it copies its start)."""
    params = init_two_layer(num_inputs, num_hiddens, num_classes, np.random.default_rng(seed))
    return FunctionModel(params, two_layer_loss_and_gradients, two_layer_scores), params


def recording(update, seen):
    """An update rule that calls ``update`` and records (w dtype, dw dtype, config) of every step."""
    def rule(w, dw, config):
        next_w, config = update(w, dw, config)
        seen.append((w.dtype, dw.dtype, dict(config)))
        return next_w, config
    return rule


# --- fit -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.5), ("sgd_momentum", 0.1), ("adam", 0.02)])
def test_fit_learns_iris(optimizer, lr):
    """Does every optimizer bring the loss down and reach high accuracy on the iris flowers, keeping the start?"""
    X, y = iris()
    model, params0 = two_layer_model(4, 16, 3, 0)
    snapshot = {k: v.copy() for k, v in params0.items()}
    history = fit(model, (X, y, X, y), num_epochs=15, batch_size=16, optimizer=optimizer, lr=lr,
                  rng=np.random.default_rng(1), progress=False)
    for name in params0:
        np.testing.assert_array_equal(params0[name], snapshot[name])      # the caller's start is kept
    assert {k: len(v) for k, v in history.items()} == {**{key: 15 for key in PER_EPOCH}, "batch_loss": 15 * 10}
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["train_acc"][-1] > 0.95
    assert history["loss"][0] == pytest.approx(np.mean(history["batch_loss"][:10]))
    assert history["lr"] == [lr] * 15
    assert all(isinstance(v, float) for key in history for v in history[key])
    assert all(s >= 0 for s in history["seconds"])


def test_fit_equals_the_loop_it_describes():
    """Is fit the plain loop: minibatches from rng, one config per parameter kept across steps?"""
    X, y = iris()
    X, y = X[::3], y[::3]
    model, params0 = two_layer_model(4, 6, 3, 4)
    history = fit(model, (X, y, X[:10], y[:10]), num_epochs=3, batch_size=8, optimizer=adam, lr=0.01,
                  rng=np.random.default_rng(5), progress=False)
    rng = np.random.default_rng(5)
    expected = dict(params0)
    configs = {name: {"lr": 0.01} for name in expected}
    losses = []
    for _ in range(3):
        for X_batch, y_batch in minibatches(X, y, 8, rng):
            loss, grads = two_layer_loss_and_gradients(X_batch, y_batch, expected)
            losses.append(loss)
            for name in expected:
                expected[name], configs[name] = adam(expected[name], grads[name], configs[name])
    for name in expected:
        np.testing.assert_allclose(model.params[name], expected[name], rtol=1e-12)
    np.testing.assert_allclose(history["batch_loss"], losses, rtol=1e-12)
    assert history["val_acc"][-1] == pytest.approx(np.mean(model.predict(X[:10]) == y[:10]))
    assert (history["train_loss"][-1], history["train_acc"][-1]) == pytest.approx(model.evaluate(X, y))


def test_fit_equals_the_loop_with_dropout_l2_and_momentum():
    """With dropout, L2 and momentum: does fit equal the loop on a twin model (masks from the model's rng)?"""
    X, y = moons3(200)
    twins = [mlp((2, 16, 16, 3), np.random.default_rng(3), dropout=0.2, reg=1e-3) for _ in range(2)]
    history = fit(twins[0], (X, y), num_epochs=2, batch_size=32, optimizer="sgd_momentum", lr=0.05,
                  optim_config={"momentum": 0.8}, rng=np.random.default_rng(6), progress=False)
    model, rng, losses = twins[1], np.random.default_rng(6), []
    configs = {name: {"lr": 0.05, "momentum": 0.8} for name in model.params}
    for _ in range(2):
        for X_batch, y_batch in minibatches(X, y, 32, rng):
            loss, grads = model.loss(X_batch, y_batch)
            losses.append(loss)
            for name in model.params:
                model.params[name], configs[name] = sgd_momentum(model.params[name], grads[name], configs[name])
    for name in model.params:
        np.testing.assert_array_equal(twins[0].params[name], model.params[name])
    assert history["batch_loss"] == losses


def test_fit_full_batch_decreases_the_loss_and_keeps_the_start():
    """batch_size=None: one step per epoch, and does full-batch SGD lower the loss epoch after epoch?"""
    X, y = moons3()
    model, start = two_layer_model(2, 32, 3, 0)
    before = {k: v.copy() for k, v in start.items()}
    history = fit(model, (X, y), num_epochs=200, batch_size=None, optimizer="sgd", lr=0.5, progress=False)
    loss = np.array(history["loss"])
    assert len(loss) == 200 and history["batch_loss"] == history["loss"]
    assert np.all(np.diff(loss) <= 1e-12), "full-batch loss went up at a small learning rate"
    assert loss[-1] < 0.6 * loss[0]
    for k in start:
        np.testing.assert_array_equal(start[k], before[k])


def test_fit_reaches_high_accuracy_on_moons3():
    """Does the two-layer network separate the three moons (>= 95% training accuracy) by full-batch SGD?"""
    X, y = moons3()
    model = two_layer_net(2, 50, 3, np.random.default_rng(1))
    history = fit(model, (X, y), num_epochs=1500, batch_size=None, optimizer="sgd", lr=0.5, progress=False)
    accuracy = np.mean(model.predict(X) == y)
    assert accuracy >= 0.95, f"training accuracy {accuracy:.3f}"
    assert history["train_acc"][-1] == pytest.approx(accuracy)


def test_fit_trains_a_deep_network_with_dropout_and_l2():
    """Does fit train a deep network on three interleaved moons, recording one value per epoch?"""
    X, y = toy_dataset("moons3", num_samples=600, noise=0.1, rng=np.random.default_rng(0))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    start = mlp((2, 32, 32, 32, 3), np.random.default_rng(0)).params
    before = {k: v.copy() for k, v in start.items()}
    model = mlp((2, 32, 32, 32, 3), np.random.default_rng(0), dropout=0.1, reg=1e-4, params=start)
    history = fit(model, (X[:500], y[:500], X[500:], y[500:]), num_epochs=40, batch_size=50, lr=1e-2,
                  rng=np.random.default_rng(0), progress=False)
    assert all(np.array_equal(start[k], before[k]) for k in start)   # the given params are copied
    assert not np.array_equal(model.params["W1"], start["W1"])       # the model is trained in place
    assert all(len(history[key]) == 40 for key in PER_EPOCH)
    # noise 0.1 makes about 5% of the moons overlap: near the best a classifier can do
    assert history["train_acc"][-1] > 0.95 and history["val_acc"][-1] >= 0.93
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    loss, acc = model.evaluate(X[500:], y[500:])
    assert (loss, acc) == pytest.approx((history["val_loss"][-1], history["val_acc"][-1]))
    assert np.mean(model.predict(X[500:]) == y[500:]) == pytest.approx(acc)


@pytest.mark.parametrize("schedule", [ExponentialDecay(0.1, 0.5), StepDecay(0.2, factor=0.5, every=2),
                                      CosineDecay(0.1, num_epochs=5, lr_min=0.01)])
def test_fit_follows_a_schedule(schedule):
    """Is history["lr"] the schedule's value of each epoch (from 0), and is that the rate every step uses?"""
    X, y = iris()
    seen = []
    history = fit(two_layer_net(4, 8, 3, np.random.default_rng(0)), (X, y), num_epochs=5, batch_size=50,
                  optimizer=recording(adam, seen), lr=schedule, progress=False)
    assert history["lr"] == [schedule(k) for k in range(5)]
    steps_per_epoch, num_params = 3, 4
    used = [config["lr"] for _, _, config in seen]
    assert used == [schedule(k) for k in range(5) for _ in range(steps_per_epoch * num_params)]


def test_fit_callbacks_run_once_per_epoch_and_can_stop():
    """Is every callback called once per epoch with epoch 1..n, and does one returning True stop training?"""
    X, y = moons3()
    model = two_layer_net(2, 16, 3, np.random.default_rng(2))
    seen = []

    def record(epoch, m, history):
        assert m is model and len(history["loss"]) == epoch
        seen.append((epoch, {k: v.copy() for k, v in m.params.items()}))

    history = fit(model, (X, y), num_epochs=3, batch_size=100, lr=0.01, callbacks=[record], progress=False)
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    assert len(history["batch_loss"]) == 3 * 5
    # snapshots kept by the callback are distinct arrays, not views of later updates
    assert not np.array_equal(seen[0][1]["W1"], seen[-1][1]["W1"])
    np.testing.assert_array_equal(seen[-1][1]["W1"], model.params["W1"])

    seen.clear()
    history = fit(model, (X, y), num_epochs=10, batch_size=100, lr=0.01, progress=False,
                  callbacks=[lambda epoch, m, h: epoch == 2, record])
    assert [epoch for epoch, _ in seen] == [1, 2]             # the other callbacks still run that epoch
    assert {k: len(v) for k, v in history.items()} == {**{key: 2 for key in NO_VAL}, "batch_loss": 2 * 5}


def test_fit_eval_size_measures_a_fixed_subset_and_keeps_the_batch_order():
    """Are the training curves measured on eval_size samples (all for None), without changing the training?"""
    X, y = moons3()
    runs = {}
    for eval_size in (None, 40, 10_000):
        model = two_layer_net(2, 16, 3, np.random.default_rng(3))
        runs[eval_size] = model, fit(model, (X, y), num_epochs=2, batch_size=64, lr=0.01, eval_size=eval_size,
                                     progress=False)
    model, history = runs[None]
    assert (history["train_loss"][-1], history["train_acc"][-1]) == pytest.approx(model.evaluate(X, y))
    for eval_size in (40, 10_000):
        other, other_history = runs[eval_size]
        for name in model.params:
            np.testing.assert_array_equal(other.params[name], model.params[name])
        assert other_history["batch_loss"] == history["batch_loss"]
    assert runs[10_000][1]["train_acc"] == history["train_acc"]       # larger than N: all samples
    acc = runs[40][1]["train_acc"]
    assert np.allclose(np.array(acc) * 40, np.round(np.array(acc) * 40))   # accuracies of 40 samples
    assert runs[40][1]["train_loss"] != history["train_loss"]


def test_fit_without_a_validation_set_has_no_val_keys():
    """Does data of two arrays, or a Split without validation set, give a history without "val_*" keys?"""
    X, y = iris()
    for data in [(X, y), [X, y], split_validation(X, y, num_val=0), Split(X, y, X[:0], y[:0])]:
        history = fit(two_layer_net(4, 8, 3, np.random.default_rng(0)), data, num_epochs=2, batch_size=50,
                      progress=False)
        assert set(history) == NO_VAL | {"batch_loss"}, type(data)
    split = split_validation(X, y, num_val=30)
    history = fit(two_layer_net(4, 8, 3, np.random.default_rng(0)), split, num_epochs=2, batch_size=50,
                  progress=False)
    assert set(history) == PER_EPOCH | {"batch_loss"} and len(history["batch_loss"]) == 2 * 3


def test_fit_with_eval_size_zero_skips_the_training_curves():
    """Does eval_size=0 train the same steps without measuring the training set (no train_* keys)?"""
    X, y = moons3()
    histories = []
    for eval_size in (0, None):
        model, _ = two_layer_model(2, 16, 3, seed=1)
        histories.append(fit(model, (X[:300], y[:300], X[300:], y[300:]), num_epochs=2, batch_size=50,
                             lr=0.01, rng=np.random.default_rng(3), eval_size=eval_size, progress=False))
    assert "train_loss" not in histories[0] and "train_acc" not in histories[0]
    assert len(histories[0]["val_acc"]) == 2 and len(histories[1]["train_acc"]) == 2
    np.testing.assert_array_equal(histories[0]["batch_loss"], histories[1]["batch_loss"])


def test_fit_rejects_bad_data_and_arguments_before_training():
    """Is bad data a TypeError or ValueError saying what is wrong, raised before any step changes the model?"""
    X, y = iris()
    model = two_layer_net(4, 8, 3, np.random.default_rng(0))
    before = {k: v.copy() for k, v in model.params.items()}
    for data in [X, (X, y, X), {"X": X, "y": y}]:
        with pytest.raises(TypeError, match="Split"):
            fit(model, data, progress=False)
    bad = [({"data": (X, y[:-1])}, "samples"), ({"data": (X, y, X[:5], y[:4])}, "y_val"),
           ({"data": Split(X, y, X[:5])}, "y_val"), ({"batch_size": 0}, "batch_size"),
           ({"batch_size": 2.5}, "batch_size"), ({"optimizer": "rmsprop"}, "optimizer"),
           ({"lr": -1.0}, "lr"), ({"optim_config": {"lr": 0.1}}, "lr="),
           ({"data": (X, y.astype(float))}, "integers")]
    for kwargs, message in bad:
        kwargs = {"data": (X, y), **kwargs}
        with pytest.raises(ValueError, match=message):
            fit(model, kwargs.pop("data"), num_epochs=1, progress=False, **kwargs)
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


@pytest.mark.parametrize("data_dtype", [np.float64, np.float32])
def test_fit_keeps_float32(data_dtype):
    """Float32 model: are the params, every gradient and the optimizer state float32 throughout fit?"""
    X, y = moons3(200)
    model = mlp((2, 16, 3), np.random.default_rng(0), dropout=0.1, reg=1e-3, dtype=np.float32)
    for optimizer in (adam, sgd_momentum):
        seen = []
        history = fit(model, (X.astype(data_dtype), y, X[:50].astype(data_dtype), y[:50]), num_epochs=2,
                      batch_size=64, optimizer=recording(optimizer, seen), lr=0.01, progress=False)
        assert all(v.dtype == np.float32 for v in model.params.values())
        assert {(w, dw) for w, dw, _ in seen} == {(np.dtype(np.float32), np.dtype(np.float32))}
        for _, _, config in seen:
            assert all(config[key].dtype == np.float32 for key in ("m", "v", "velocity") if key in config)
        assert all(isinstance(v, float) and np.isfinite(v) for key in history for v in history[key])


def test_fit_is_reproducible_with_the_same_rng():
    """Do two runs with generators seeded alike give identical parameters and losses (rng=None: seed 0)?"""
    X, y = moons3()

    def run(rng):
        model = two_layer_net(2, 20, 3, np.random.default_rng(7))
        history = fit(model, (X, y), num_epochs=4, batch_size=64, optimizer="sgd", lr=0.3, rng=rng, progress=False)
        return model.params, history["batch_loss"]

    first, second, default, other = (run(np.random.default_rng(7)), run(np.random.default_rng(7)), run(None),
                                     run(np.random.default_rng(8)))
    for name in first[0]:
        np.testing.assert_array_equal(first[0][name], second[0][name])
    assert first[1] == second[1]
    assert default[1] == run(np.random.default_rng(0))[1]
    assert not np.array_equal(other[0]["W1"], first[0]["W1"])


# --- split_validation ----------------------------------------------------------------------------

def test_split_validation_sizes_disjoint_and_covering():
    """Does split_validation hold out num_val rows, disjoint from the rest, together all rows, labels aligned?"""
    X = np.arange(100)[:, None] * np.array([1.0, -1.0])
    y = np.arange(100) % 7
    split = split_validation(X, y, num_val=30, seed=3)
    assert split.X_train.shape == (70, 2) and split.X_val.shape == (30, 2)
    assert split.y_train.shape == (70,) and split.y_val.shape == (30,)
    train_rows, val_rows = split.X_train[:, 0].astype(int), split.X_val[:, 0].astype(int)
    assert not set(train_rows) & set(val_rows)
    assert sorted(np.concatenate([train_rows, val_rows])) == list(range(100))
    np.testing.assert_array_equal(split.y_train, y[train_rows])
    np.testing.assert_array_equal(split.y_val, y[val_rows])
    np.testing.assert_array_equal(val_rows, np.random.default_rng(3).permutation(100)[:30])
    assert "validation (30, 2)" in repr(split)


def test_split_unpacks_into_four_arrays():
    """Does ``X_train, y_train, X_val, y_val = split_validation(...)`` give the Split's four arrays?"""
    X, y = iris()
    split = split_validation(X, y, num_val=30)
    X_train, y_train, X_val, y_val = split
    assert X_train is split.X_train and y_train is split.y_train and X_val is split.X_val and y_val is split.y_val


def test_split_validation_is_deterministic_by_seed():
    """Does the same seed give the same split, another seed another, and the default seed 0?"""
    X, y = np.arange(50)[:, None].astype(float), np.arange(50)
    a, b, c = split_validation(X, y, 10, seed=1), split_validation(X, y, 10, seed=1), split_validation(X, y, 10, 2)
    np.testing.assert_array_equal(a.X_val, b.X_val)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.X_val, c.X_val)
    np.testing.assert_array_equal(split_validation(X, y, 10).X_val, split_validation(X, y, 10, seed=0).X_val)
    none = split_validation(X, y, num_val=0)
    assert none.X_val is None and none.y_val is None and len(none.X_train) == 50
    assert "no validation set" in repr(none)


def test_split_validation_rejects_bad_sizes():
    """Are mismatched lengths and a num_val outside 0..N-1 (or not an integer) refused with a ValueError?"""
    X, y = np.zeros((20, 3)), np.zeros(20, dtype=int)
    with pytest.raises(ValueError, match="samples"):
        split_validation(X, y[:-1], num_val=5)
    for num_val in (20, 25, -1, 2.5, True, "5"):
        with pytest.raises(ValueError, match="num_val"):
            split_validation(X, y, num_val=num_val)


# --- save_params / load_params -------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path):
    """Does load_params give back exactly the saved arrays and dtypes, ".npz" added, and nothing else written?"""
    model = mlp((4, 5, 3), np.random.default_rng(0), dtype=np.float32)
    path = save_params(tmp_path / "sub" / "model", model.params)
    assert path == tmp_path / "sub" / "model.npz" and path.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.npz"]   # no partial file left
    loaded = load_params(path)
    assert list(loaded) == list(model.params)
    for name, value in model.params.items():
        assert loaded[name].dtype == np.float32
        np.testing.assert_array_equal(loaded[name], value)
    assert save_params(str(tmp_path / "again.npz"), model.params) == tmp_path / "again.npz"
    restored = mlp((4, 5, 3), None, params=load_params(path, like=model.params), dtype=np.float32)
    X = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_array_equal(restored.scores(X), model.scores(X))


def test_load_params_like_checks_names_and_shapes_and_casts(tmp_path):
    """With like=, are other names or shapes a ValueError naming them, and the arrays cast to like's dtypes?"""
    params = {"W1": np.ones((3, 2)), "b1": np.zeros(2)}
    path = save_params(tmp_path / "p.npz", params)
    like32 = {k: v.astype(np.float32) for k, v in params.items()}
    loaded = load_params(path, like=like32)
    assert all(loaded[k].dtype == np.float32 for k in loaded)
    np.testing.assert_array_equal(loaded["W1"], params["W1"])
    with pytest.raises(ValueError, match="W2"):
        load_params(path, like={**params, "W2": np.ones((2, 2))})
    with pytest.raises(ValueError, match="b1"):
        load_params(path, like={"W1": params["W1"]})
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 2\)"):
        load_params(path, like={"W1": np.ones((2, 3)), "b1": np.zeros(2)})


def test_load_params_missing_and_corrupt_files(tmp_path):
    """Is a missing file a FileNotFoundError, and junk, empty, truncated or single-array files a ValueError?"""
    with pytest.raises(FileNotFoundError, match="no parameter file"):
        load_params(tmp_path / "nothing.npz")
    good = save_params(tmp_path / "good.npz", {"W1": np.ones((30, 20))}).read_bytes()
    (tmp_path / "junk.npz").write_bytes(b"this is not a parameter file")
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "truncated.npz").write_bytes(good[:len(good) // 2])
    np.save(tmp_path / "array.npy", np.ones(3))
    for name in ("junk.npz", "empty.npz", "truncated.npz", "array.npy"):
        with pytest.raises(ValueError, match="not a parameter file"):
            load_params(tmp_path / name)


def test_save_params_is_atomic(tmp_path, monkeypatch):
    """Does a write that fails midway leave the old file intact and no partial file behind?"""
    old = {"W1": np.arange(6.0).reshape(2, 3)}
    path = save_params(tmp_path / "p.npz", old)

    def broken_savez(file, **arrays):
        with open(file, "wb") as f:
            f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    def broken_replace(src, dst):
        raise OSError("no permission")

    for module, name, broken in [(nn_io.np, "savez", broken_savez), (nn_io.os, "replace", broken_replace)]:
        with monkeypatch.context() as patch:
            patch.setattr(module, name, broken)
            with pytest.raises(OSError):
                save_params(path, {"W1": np.zeros((5, 5))})
        assert sorted(p.name for p in tmp_path.iterdir()) == ["p.npz"], name
        np.testing.assert_array_equal(load_params(path)["W1"], old["W1"])
