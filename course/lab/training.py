"""Training and testing the networks of lesson 14: one loop for the results table and for the lab.

- :func:`train`: Keras ``fit`` (Adam, the softmax cross-entropy on logits: ``compile_classifier`` of
  lesson 12) for some epochs, with a callback that, after every epoch, computes the chosen metrics
  (``course.lab.metrics``) on the training set (at most ``max_metric_examples`` of it) and on the
  validation set, and reports progress after every batch and every epoch.
- :func:`test`: the five metrics and the confusion matrix on the test set.
- :func:`run_experiment`: every network of every task at its budget, trained with the same recipe,
  one row each (parameters, test accuracy, macro F1, AUC-PR, seconds): :func:`results_table`.

``train``, ``test`` and ``run_experiment`` take ``functions``: the counts, ``size_for_budget`` and the
metrics to use instead of the lab's own (lesson 14's notebook passes the student's: ``course.lab.functions``).
"""

from __future__ import annotations

import time

import numpy as np

from course.frameworks import load_keras
from course.lab.functions import check_functions
from course.lab.metrics import METRICS, compute_metrics
from course.lab.models import ARCHITECTURES, BUDGETS, build_model, sizes_for_budget, trainable_params
from course.nn.metrics import confusion_matrix

__all__ = ["RECIPES", "compile_model", "probabilities", "train", "test", "run_experiment", "results_table",
           "new_history"]

# Per task: epochs in full mode, batch size. The same recipe for every network of a task.
RECIPES = {"tabular": {"num_epochs": 100, "batch_size": 32}, "image": {"num_epochs": 8, "batch_size": 128},
           "sequence": {"num_epochs": 10, "batch_size": 64}}


def _quiet_retracing():
    """Keras' predict retraces its graph for a new batch shape and says so on stderr: harmless here
    (a few inputs of other sizes), and noise in a notebook."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def compile_model(model, lr=1e-3):
    """Adam(lr) and the sparse softmax cross-entropy on logits, with accuracy (the course's recipe)."""
    from course.keras_cnn import compile_classifier

    return compile_classifier(model, lr)


def probabilities(model, X, batch_size=1_000):
    """Softmax probabilities (N, K) of a classifier of logits on inputs X (N, ...)."""
    _quiet_retracing()
    scores = model.predict(X, batch_size=batch_size, verbose=0).astype(np.float64)
    scores -= scores.max(axis=1, keepdims=True)
    P = np.exp(scores)
    return P / P.sum(axis=1, keepdims=True)


def new_history():
    """An empty training history: {"epoch": [], "seconds": [], "loss": [], "val_loss": []}; the metrics
    add "train <metric>" and "val <metric>" lists as they are computed."""
    return {"epoch": [], "seconds": [], "loss": [], "val_loss": []}


def train(model, task, num_epochs, batch_size=32, train_metrics=("accuracy",), val_metrics=("accuracy",),
          history=None, on_batch=None, on_epoch=None, max_metric_examples=5_000, seed=None, functions=None):
    """Train ``model`` on ``task`` for ``num_epochs`` more epochs; returns its history (extended in place).

    Parameters
    ----------
    model : a Keras classifier of logits (compiled here with :func:`compile_model` if it is not yet)
    task : a ``course.tasks.Task``
    num_epochs, batch_size : the training run (continues after the epochs already in ``history``)
    train_metrics, val_metrics : names from METRICS, computed after every epoch on the training set
        (its first ``max_metric_examples`` examples) and on the validation set
    history : a history from an earlier call (to continue it), or None for a new one
    on_batch : ``on_batch(epoch, batch, num_batches)`` after every batch (a progress bar)
    on_epoch : ``on_epoch(history)`` after every epoch, once the metrics are in (live curves)
    seed : Keras' random seed before training (initial shuffles, dropout masks), or None
    functions : {"precision_recall_f1": f, "average_precision": f} for the metrics (``course.lab.functions``)

    Returns
    -------
    history : dict of lists, one entry per epoch: "epoch", "seconds" (training time of that epoch,
        metrics left out), "loss" (training loss, from Keras), "val_loss", "train <metric>", "val <metric>"
    """
    keras = load_keras()
    for names in (train_metrics, val_metrics):
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise KeyError(f"unknown metrics {unknown}; choose from {', '.join(METRICS)}")
    functions = check_functions(functions)
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        compile_model(model)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    history = new_history() if history is None else history
    start_epoch = len(history["epoch"])
    num_batches = int(np.ceil(len(task.y_train) / batch_size))
    X_probe, y_probe = task.X_train[:max_metric_examples], task.y_train[:max_metric_examples]

    class Watcher(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started, self.current = time.perf_counter(), start_epoch + epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            if on_batch is not None:
                on_batch(self.current, batch + 1, num_batches)

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.started
            logs = logs or {}
            history["epoch"].append(start_epoch + epoch + 1)
            history["seconds"].append(seconds)
            history["loss"].append(float(logs.get("loss", np.nan)))
            P_val = probabilities(self.model, task.X_val)
            with np.errstate(divide="ignore"):
                val_loss = -np.mean(np.log(np.maximum(P_val[np.arange(len(task.y_val)), task.y_val], 1e-300)))
            history["val_loss"].append(float(val_loss))
            for prefix, names, (X, y) in (("train", train_metrics, (X_probe, y_probe)),
                                          ("val", val_metrics, (None, task.y_val))):
                if not names:
                    continue
                P = P_val if X is None else probabilities(self.model, X)
                for name, value in compute_metrics(y, P, names, functions).items():
                    history.setdefault(f"{prefix} {name}", []).append(value)
            if on_epoch is not None:
                on_epoch(history)

    model.fit(task.X_train, task.y_train, batch_size=batch_size, epochs=num_epochs, verbose=0, callbacks=[Watcher()])
    return history


def test(model, task, names=METRICS, functions=None):
    """The metrics ``names`` and the confusion matrix of ``model`` on the test set of ``task``.

    functions : {"precision_recall_f1": f, "average_precision": f} for the metrics (``course.lab.functions``)

    Returns {metric: float, ..., "confusion": (K, K) int64 counts (rows: true class)}.
    """
    P = probabilities(model, task.X_test)
    result = compute_metrics(task.y_test, P, names, functions)
    result["confusion"] = confusion_matrix(task.y_test, P.argmax(axis=1), task.num_classes)
    return result


def run_experiment(tasks, recipes=None, architectures=None, seed=0, progress=None, functions=None):
    """Every network of every task at its task's budget, trained and tested with one recipe per task.

    Parameters
    ----------
    tasks : {name: Task}, e.g. {"tabular": load_task("tabular"), ...}
    recipes : {task: {"num_epochs": ..., "batch_size": ...}} (default RECIPES)
    architectures : {task: names} to run only some networks (default: all of ARCHITECTURES)
    seed : Keras' seed before each network is built (the same start for a rerun)
    progress : ``progress(message)`` after each network, or None
    functions : {name: function} to count, size and score with instead of the lab's own: any of
        ``course.lab.functions.REPLACEABLE`` (unknown names are a ValueError)

    Returns
    -------
    rows : list of dicts, one per network (see :func:`results_table`)
    models : {(task, architecture): trained keras.Model}
    """
    keras = load_keras()
    recipes = RECIPES if recipes is None else recipes
    functions = check_functions(functions)
    rows, models = [], {}
    for task_name, task in tasks.items():
        vocab = len(task.vocab) + 2 if task.vocab is not None else 2_000
        sizes = sizes_for_budget(task_name, task.input_shape, task.num_classes, vocab, functions=functions)
        for arch in (architectures or ARCHITECTURES)[task_name]:
            keras.utils.set_random_seed(seed)
            model = compile_model(build_model(task_name, arch, sizes[arch], task.input_shape, task.num_classes, vocab))
            recipe = recipes[task_name]
            started = time.perf_counter()
            history = train(model, task, recipe["num_epochs"], recipe["batch_size"], train_metrics=(),
                            val_metrics=("accuracy",), functions=functions)
            seconds = time.perf_counter() - started
            scores = test(model, task, functions=functions)
            rows.append({"task": task_name, "network": arch, "size": sizes[arch],
                         "parameters": trainable_params(model), "budget": BUDGETS[task_name],
                         "epochs": recipe["num_epochs"], "train seconds": seconds,
                         "best val accuracy": max(history["val accuracy"]),
                         "test accuracy": scores["accuracy"], "test F1": scores["F1"],
                         "test AUC-PR": scores["AUC-PR"], "test size": len(task.y_test)})
            models[task_name, arch] = model
            if progress is not None:
                progress(f"{task_name} {arch}: test accuracy {scores['accuracy']:.3f} in {seconds:.1f} s")
    return rows, models


def results_table(rows):
    """The experiment's rows as one pandas table indexed by (task, network).

    Columns: parameters, their gap to the budget (%), epochs, training seconds, best validation
    accuracy, test accuracy with its binomial standard error sqrt(a (1 - a) / N_test) (differences
    smaller than about two of these are noise), test macro F1, test macro AUC-PR.
    """
    import pandas as pd

    table = pd.DataFrame(rows).set_index(["task", "network"])
    table.insert(1, "vs budget %", 100 * (table["parameters"] / table["budget"] - 1))
    acc = table["test accuracy"]
    table.insert(table.columns.get_loc("test accuracy") + 1, "± s.e.", np.sqrt(acc * (1 - acc) / table["test size"]))
    return table.drop(columns=["budget", "test size", "size"])
