"""course.nn.parallel.DataParallel: a batch split across processes gives the whole batch's loss and gradients."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from course.nn.model import Augmented, BatchNorm, Dense, Sequential, lenet5, mlp
from course.nn.parallel import DataParallel
from course.nn.train import fit


def batch(N, D=784, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((N, D)), rng.integers(0, classes, N)


def assert_same_loss_and_grads(serial, parallel, X, y, rtol=1e-10, atol=1e-12):
    """Loss and gradients equal to ``rtol``; ``atol`` is relative to each gradient's largest entry."""
    loss, grads = serial.loss(X, y)
    ploss, pgrads = parallel.loss(X, y)
    assert ploss == pytest.approx(loss, rel=rtol)
    assert set(pgrads) == set(grads)
    for name in grads:
        scale = max(float(np.abs(grads[name]).max()), 1e-30)
        np.testing.assert_allclose(pgrads[name], grads[name], rtol=rtol, atol=atol * scale, err_msg=name)


@pytest.mark.parametrize("N, workers", [(12, 2), (7, 3), (5, 4)])
def test_uneven_shares_give_the_whole_batch_loss_and_gradients(N, workers):
    """Do shares of different sizes (7 samples on 3 workers: 2, 2, 3), weighted by their sizes, give the loss
    and the gradients of the whole batch, the L2 penalty counted once?"""
    X, y = batch(N, 50)
    serial = mlp([50, 16, 10], np.random.default_rng(0), reg=1e-2)
    with DataParallel(mlp([50, 16, 10], np.random.default_rng(0), reg=1e-2), workers=workers) as parallel:
        assert_same_loss_and_grads(serial, parallel, X, y)
        assert len(parallel._procs) == workers - 1


def test_lenet5_float32_gradients_match_and_params_stay_the_models():
    """LeNet-5 in float32 on two processes: the gradients of the batch, and params is the wrapped model's dict?"""
    X, y = batch(16)
    X = X.astype(np.float32)
    model = lenet5(np.random.default_rng(1), dtype=np.float32)
    with DataParallel(lenet5(np.random.default_rng(1), dtype=np.float32)) as parallel:
        assert_same_loss_and_grads(model, parallel, X, y, rtol=1e-4, atol=1e-5)     # float32 rounding
        assert parallel.params is parallel.model.params
        assert parallel.loss(X).shape == (16, 10)                 # test time: this process alone


def test_the_workers_see_the_parameters_of_every_step():
    """After the parameters change (as fit's update rule replaces them), do the workers use the new ones?"""
    X, y = batch(10, 20)
    serial = mlp([20, 8, 10], np.random.default_rng(2))
    with DataParallel(mlp([20, 8, 10], np.random.default_rng(2))) as parallel:
        parallel.loss(X, y)
        for model in (serial, parallel):
            model.params["W1"] = model.params["W1"] * 0.5 + 1.0
        assert_same_loss_and_grads(serial, parallel, X, y)


def test_fit_trains_a_data_parallel_model_and_counts_the_workers_cpu():
    """Does course.nn.fit train it like any model (the loss goes down, the wrapped model's params change), with
    the other process's CPU time in history["cpu_seconds"]?"""
    X, y = batch(600, 30)
    y = (X[:, 0] > 0.5).astype(np.int64)                          # learnable
    model = mlp([30, 16, 2], np.random.default_rng(3), dropout=0.1)
    before = model.params["W1"].copy()
    with DataParallel(model, workers=2) as parallel:
        history = fit(parallel, (X, y), num_epochs=4, batch_size=50, lr=1e-2, rng=np.random.default_rng(0))
        assert parallel.worker_cpu_seconds > 0
    assert history["loss"][-1] < history["loss"][0]
    assert not np.allclose(model.params["W1"], before)
    assert all(c > 0 for c in history["cpu_seconds"])


def test_random_layers_get_their_own_generator_in_each_worker_and_runs_repeat():
    """Dropout and augmentation in a worker draw from a generator of their own (not a copy of this process's,
    which would repeat its masks), seeded: the same seed gives the same gradients."""
    X, y = batch(8, 40)
    X = np.concatenate([X[:4], X[:4]])                            # both shares hold the same samples
    y = np.concatenate([y[:4], y[:4]])

    def run(seed):
        model = mlp([40, 64, 10], np.random.default_rng(4), dropout=0.5)
        with DataParallel(model, workers=2, seed=seed) as parallel:
            return parallel.loss(X, y)[1]["W1"]

    first, again, other = run(0), run(0), run(1)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    # the two shares got different masks: the gradient is not twice one share's
    model = mlp([40, 64, 10], np.random.default_rng(4), dropout=0.5)
    half = model.loss(X[:4], y[:4])[1]["W1"]
    assert not np.allclose(first, half)

    flipped = Augmented(mlp([40, 8, 10], np.random.default_rng(5)), lambda X, g: X * g.random())
    with DataParallel(flipped, workers=2) as parallel:
        parallel.loss(X, y)                                       # Augmented's rng is replaced in the worker too


def test_batchnorm_and_bad_arguments_are_refused_with_the_fix():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="BatchNorm.*without DataParallel"):
        DataParallel(Sequential([Dense(4, 3), BatchNorm(3), Dense(3, 2)], rng))
    with pytest.raises(ValueError, match="BatchNorm"):
        DataParallel(lenet5(rng, batchnorm=True))
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="workers must be an integer >= 1"):
            DataParallel(mlp([4, 2], rng), workers=bad)
    with pytest.raises(TypeError, match="needs a course.nn model"):
        DataParallel(object())
    with DataParallel(mlp([4, 2], rng)) as parallel:
        with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
            parallel.loss(np.zeros((4, 4)), np.zeros(3, dtype=np.int64))


def test_an_error_in_a_worker_reaches_the_caller():
    """A bad label in the second share only: is the worker's error raised here, naming the worker?"""
    X, y = batch(6, 10, classes=3)
    y[5] = 7                                                      # in the worker's share (samples 3-5)
    with DataParallel(mlp([10, 4, 3], np.random.default_rng(0))) as parallel:
        with pytest.raises(RuntimeError, match="a DataParallel worker failed on its share"):
            parallel.loss(X, y)
        y[5] = 1
        assert np.isfinite(parallel.loss(X, y)[0])               # the workers start again


def test_an_error_here_leaves_no_stale_reply_for_the_next_step():
    """A bad label in this process's share (the first): the worker still answers for its share. Does the next
    step get its own workers' answers, not that leftover one?"""
    X, y = batch(6, 10, classes=3)
    serial = mlp([10, 4, 3], np.random.default_rng(0))
    with DataParallel(mlp([10, 4, 3], np.random.default_rng(0))) as parallel:
        bad = y.copy()
        bad[0] = 7
        with pytest.raises(ValueError, match="labels must lie"):
            parallel.loss(X, bad)
        X2, y2 = batch(6, 10, classes=3, seed=1)
        assert_same_loss_and_grads(serial, parallel, X2, y2)


def test_new_parameter_dtypes_restart_the_workers():
    """Parameters changed from float64 to float32 (or reshaped): are the workers' buffers made again, instead
    of casting the new values into the old ones?"""
    X, y = batch(8, 10, classes=3)
    serial = mlp([10, 4, 3], np.random.default_rng(0))
    with DataParallel(mlp([10, 4, 3], np.random.default_rng(0))) as parallel:
        parallel.loss(X, y)
        for model in (serial, parallel):
            for name in model.params:
                model.params[name] = model.params[name].astype(np.float32)
        _, grads = parallel.loss(X.astype(np.float32), y)
        assert all(g.dtype == np.float32 for g in grads.values())
        assert all(parallel._shared[0][f"param:{name}"].dtype == np.float32 for name in grads)   # the worker's copy
        assert_same_loss_and_grads(serial, parallel, X.astype(np.float32), y, rtol=1e-5, atol=1e-6)


def test_a_killed_worker_is_reported_and_started_again():
    X, y = batch(6, 10, classes=3)
    with DataParallel(mlp([10, 4, 3], np.random.default_rng(0))) as parallel:
        parallel.loss(X, y)
        os.kill(parallel._procs[0].pid, signal.SIGKILL)
        parallel._procs[0].join()
        with pytest.raises(RuntimeError, match="worker 1 stopped"):
            parallel.loss(X, y)
        assert np.isfinite(parallel.loss(X, y)[0]) and parallel._procs[0].is_alive()


def test_close_stops_the_workers_and_one_worker_needs_no_process():
    X, y = batch(6, 10, classes=3)
    parallel = DataParallel(mlp([10, 4, 3], np.random.default_rng(0)))
    parallel.loss(X, y)
    procs = list(parallel._procs)
    parallel.close()
    assert procs and not any(p.is_alive() for p in procs) and parallel._procs == []
    single = DataParallel(mlp([10, 4, 3], np.random.default_rng(0)), workers=1)
    single.loss(X, y)
    assert single._procs == []
