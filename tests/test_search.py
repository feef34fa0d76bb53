"""course.search: the hyperparameter grid, one trial, the parallel grid search and its results table and plots."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from course import search

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def blobs():
    """Three well separated classes in 5-D: (X_train, y_train, X_val, y_val), float32 inputs."""
    rng = np.random.default_rng(0)
    centres = 3 * rng.normal(size=(3, 5))
    y = rng.integers(0, 3, size=300)
    X = (centres[y] + rng.normal(size=(300, 5))).astype(np.float32)
    return X[:200], y[:200], X[200:], y[200:]


def test_param_grid_is_every_combination_and_refuses_unknown_names():
    """Does param_grid give the product of the lists (last varying fastest) and refuse unknown or empty lists?"""
    grid = search.param_grid(lr=[0.1, 0.01], hidden=[(8,), (8, 4), (16,)])
    assert len(grid) == 6 and grid[0] == {"lr": 0.1, "hidden": (8,)} and grid[1] == {"lr": 0.1, "hidden": (8, 4)}
    with pytest.raises(ValueError, match="unknown"):
        search.param_grid(learning_rate=[0.1])
    with pytest.raises(ValueError, match="no values"):
        search.param_grid(lr=[])


def test_a_trial_learns_and_reports_its_row(blobs):
    """Does run_trial train course.nn's mlp to a high validation accuracy, fill its row, and rebuild the same model?"""
    hyper = {"hidden": (16,), "lr": 0.05}
    row, params = search.run_trial(hyper, blobs, num_epochs=5)
    assert row["val_score"] > 0.9 and row["hidden"] == "16" and row["momentum"] == 0.9 and row["seconds"] > 0
    assert {"train_score", "train_loss", "val_loss"} <= set(row)
    model = search.model_of_trial(hyper, params)
    assert model.evaluate(blobs[2], blobs[3])[1] == pytest.approx(row["val_score"])


def test_regression_trial_scores_r2():
    """With task="regression", is the score the R² of a linear target (close to 1) and the loss the MSE?"""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3)).astype(np.float32)
    t = X @ np.array([1.0, -1.0, 0.5], dtype=np.float32)
    row, params = search.run_trial({"hidden": (8,), "lr": 0.02, "batch_size": 16}, (X[:200], t[:200], X[200:], t[200:]),
                                   num_epochs=20, task="regression")
    assert row["val_score"] > 0.9 and row["val_loss"] < 0.2
    assert params["W2"].shape == (8, 1)


def test_grid_search_in_workers_matches_one_process_and_is_sorted(blobs):
    """Do two joblib workers give the same rows as one process (same seeds), sorted best validation score first?"""
    grid = search.param_grid(hidden=[(4,), (16,)], lr=[0.001, 0.05])
    parallel, params = search.grid_search(grid, blobs, num_epochs=2, n_jobs=2, progress=False)
    serial, _ = search.grid_search(grid, blobs, num_epochs=2, n_jobs=1, progress=False)
    assert list(parallel["trial"]) == list(serial["trial"]) and len(params) == 4
    assert parallel["val_score"].is_monotonic_decreasing
    np.testing.assert_allclose(parallel["val_loss"], serial["val_loss"], rtol=1e-5)
    best = int(parallel.loc[0, "trial"])
    assert grid[best]["lr"] == 0.05    # 2 epochs at lr 0.001 cannot compete


def test_plot_scores_places_numbers_in_order_and_labels_categories():
    """Does plot_scores draw one mean per value, numbers sorted (0 included), hidden sizes as labels?"""
    import matplotlib.pyplot as plt

    table = pd.DataFrame({"reg": [1e-4, 0.0, 1e-4, 0.0], "hidden": ["32", "64-32", "32", "64-32"],
                          "val_score": [0.1, 0.2, 0.3, 0.4], "train_score": [0.2, 0.3, 0.4, 0.5]})
    fig, axes = plt.subplots(1, 2)
    search.plot_scores(axes[0], table, "reg")
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["0", "0.0001"]
    validation_means = axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(validation_means, [0.3, 0.2])
    search.plot_scores(axes[1], table, "hidden", train_score=None)
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["32", "64-32"] and len(axes[1].get_lines()) == 1
    plt.close(fig)
