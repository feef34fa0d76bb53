"""Hyperparameter search over course.nn's MLP (lesson 11): a grid run in parallel, a table, plots.

- :func:`param_grid`: every combination of a few hyperparameter lists, as a list of dicts.
- :func:`run_trial`: build ``course.nn.model.mlp`` from one combination, train it with
  ``course.nn.fit`` (SGD with momentum), and return one row: the hyperparameters, train/validation
  score and loss, seconds; and the trained parameters.
- :func:`grid_search`: every trial in joblib worker processes, one BLAS thread each (threadpoolctl),
  with a tqdm bar that moves as trials finish; the rows as a pandas DataFrame, best validation
  score first.
- :func:`plot_scores`: the validation (and training) score against one hyperparameter.

The score is the accuracy for classification and R² for regression (``task``), so the same grid
serves both.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

__all__ = ["HYPERPARAMETERS", "SCORE_COLUMNS", "param_grid", "run_trial", "grid_search", "model_of_trial",
           "plot_scores", "hidden_label"]

# The hyperparameters a trial understands, with the values used when a grid leaves one out.
HYPERPARAMETERS = {"hidden": (128,), "activation": "relu", "batch_size": 128, "lr": 0.05, "momentum": 0.9,
                   "reg": 0.0}

# The columns of a results table that are measurements, not hyperparameters (grid and KerasTuner tables).
SCORE_COLUMNS = ("trial", "train_score", "val_score", "train_loss", "val_loss", "loss", "seconds")


def param_grid(**values):
    """Every combination of the given lists, e.g. ``param_grid(lr=[0.01, 0.1], hidden=[(64,), (128, 64)])``.

    Returns
    -------
    grid : list of dicts, one per combination, the last keyword varying fastest

    Raises
    ------
    ValueError : a name that is not in HYPERPARAMETERS, or an empty list
    """
    unknown = sorted(set(values) - set(HYPERPARAMETERS))
    if unknown:
        raise ValueError(f"unknown hyperparameters {unknown}; a trial understands {sorted(HYPERPARAMETERS)}")
    empty = [name for name, options in values.items() if len(options) == 0]
    if empty:
        raise ValueError(f"no values given for {empty}")
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*(values[name] for name in names))]


def hidden_label(hidden):
    """A tuple of hidden sizes as a short label for tables and plots: (256, 128) -> "256-128"."""
    return "-".join(str(n) for n in hidden) if len(hidden) else "none"


def run_trial(hyper, data, num_epochs=5, task="classification", seed=0, eval_size=2_000):
    """Train one course.nn MLP with the hyperparameters ``hyper`` and measure it.

    Parameters
    ----------
    hyper : dict with any of HYPERPARAMETERS' keys ("hidden" a tuple of hidden sizes, "activation",
        "batch_size", "lr", "momentum", "reg"); missing ones take HYPERPARAMETERS' values
    data : (X_train (N, D), y_train (N,), X_val (M, D), y_val (M,)); integer labels for
        classification (the number of classes is max(y_train) + 1), real targets for regression
    num_epochs : epochs of ``course.nn.fit`` with "sgd_momentum"
    task : "classification" (score: accuracy) or "regression" (score: R², loss: mean squared error)
    seed : weights from ``default_rng(seed)``, batches from ``default_rng(seed + 1)``

    Returns
    -------
    row : dict: the hyperparameters, "train_score", "val_score", "train_loss", "val_loss" (after the
        last epoch), "seconds" (the whole trial, training and evaluation)
    params : the trained parameters "W1", "b1", ... (float32)
    """
    from course.nn.model import mlp
    from course.nn.train import fit

    hyper = {**HYPERPARAMETERS, **hyper}
    X_train, y_train, X_val, y_val = data
    num_outputs = int(np.max(y_train)) + 1 if task == "classification" else 1
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    start = time.perf_counter()
    model = mlp((X_train.shape[1], *hyper["hidden"], num_outputs), np.random.default_rng(seed),
                activation=hyper["activation"], reg=hyper["reg"], dtype=np.float32,
                loss="softmax_cross_entropy" if task == "classification" else "mse")
    history = fit(model, data, num_epochs=num_epochs, batch_size=int(hyper["batch_size"]), optimizer="sgd_momentum",
                  lr=hyper["lr"], optim_config={"momentum": hyper["momentum"]},
                  rng=np.random.default_rng(seed + 1), eval_size=eval_size, progress=False)
    row = dict(hyper, hidden=hidden_label(hyper["hidden"]),
               train_score=history["train_acc"][-1], val_score=history["val_acc"][-1],
               train_loss=history["train_loss"][-1], val_loss=history["val_loss"][-1],
               seconds=time.perf_counter() - start)
    return row, model.params


def _trial_in_worker(hyper, data, num_epochs, task, seed, eval_size):
    from threadpoolctl import threadpool_limits

    # One BLAS thread per worker: n_jobs workers then use n_jobs cores, instead of each trying to use all
    # of them and slowing each other down.
    with threadpool_limits(limits=1):
        return run_trial(hyper, data, num_epochs, task, seed, eval_size)


def grid_search(grid, data, num_epochs=5, task="classification", n_jobs=2, seed=0, eval_size=2_000,
                progress=True):
    """Run :func:`run_trial` for every combination of ``grid`` in ``n_jobs`` joblib worker processes.

    Parameters
    ----------
    grid : list of hyperparameter dicts (see :func:`param_grid`)
    data, num_epochs, task, seed, eval_size : as in :func:`run_trial` (every trial gets the same seed)
    n_jobs : worker processes (1: run in this process, one after the other)
    progress : a tqdm bar, one step per finished trial

    Returns
    -------
    table : pandas DataFrame, one row per trial, sorted by "val_score" (best first); column "trial"
        is the trial's position in ``grid``
    params : list, ``params[trial]`` the trained parameters of that trial
    """
    import pandas as pd
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    jobs = (delayed(_trial_in_worker)(hyper, data, num_epochs, task, seed, eval_size) for hyper in grid)
    # "generator" yields each result as soon as it (and those before it) are done, so the bar moves.
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    rows, params = [], []
    for trial, (row, trained) in enumerate(tqdm(results, total=len(grid), disable=not progress, unit="trial",
                                                desc="grid search")):
        rows.append({"trial": trial, **row})
        params.append(trained)
    table = pd.DataFrame(rows).sort_values("val_score", ascending=False, kind="stable", ignore_index=True)
    return table, params


def model_of_trial(hyper, params, task="classification"):
    """The trained course.nn MLP of one trial, rebuilt from its hyperparameters and parameters.

    Parameters
    ----------
    hyper : the trial's hyperparameter dict (an entry of the grid); params : its "W1", "b1", ...
    task : "classification" or "regression", as in the search

    Returns
    -------
    model : ``course.nn.model.mlp`` with the layer sizes read from the shapes of params
    """
    from course.nn.model import mlp

    hyper = {**HYPERPARAMETERS, **hyper}
    weights = [params[f"W{l}"] for l in range(1, len(params) // 2 + 1)]
    sizes = (weights[0].shape[0], *(W.shape[1] for W in weights))
    return mlp(sizes, None, activation=hyper["activation"], reg=hyper["reg"], dtype=weights[0].dtype,
               params=params, loss="softmax_cross_entropy" if task == "classification" else "mse")


def plot_scores(ax, table, hyperparameter, score="val_score", train_score="train_score", label="score"):
    """The scores of every trial against one hyperparameter: a dot per trial, a line through the means.

    Parameters
    ----------
    ax : matplotlib Axes
    table : DataFrame from :func:`grid_search` or ``course.keras_mlp.tuner_table``
    hyperparameter : a column of ``table``; its values are evenly spaced along the axis, numbers in
        increasing order, anything else (activations, hidden sizes) in order of first appearance
    score, train_score : the columns to plot (``train_score=None`` leaves the training score out)
    """
    from pandas.api.types import is_numeric_dtype

    values = table[hyperparameter]
    # Grids hold a few values per hyperparameter, often spread over decades (0, 1e-4, 1e-2): evenly
    # spaced, sorted positions read better than a linear or log axis (which has no place for 0).
    order = np.sort(values.unique()) if is_numeric_dtype(values) else list(dict.fromkeys(values.astype(str)))
    levels = [f"{v:g}" if is_numeric_dtype(values) else v for v in order]
    keys = [str(v) for v in order]
    positions = np.array([keys.index(str(v)) for v in values], dtype=float)
    level_positions = np.arange(len(levels), dtype=float)
    columns = [(score, "validation", "C0")] + ([(train_score, "training", "C1")] if train_score else [])
    for column, name, color in columns:
        ax.scatter(positions, table[column], color=color, alpha=0.5, s=18)
        means = [table[column][positions == p].mean() for p in level_positions]
        ax.plot(level_positions, means, color=color, marker="o", label=f"{name} (mean)")
    ax.set_xticks(level_positions, levels)
    ax.set_xlabel(hyperparameter)
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
