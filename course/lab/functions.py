"""Your functions in place of the lab's: the ``functions`` argument of ``course.lab``.

Lesson 14's exercises are functions the lab itself needs: the layer counts and ``size_for_budget``
size every network, ``precision_recall_f1`` and ``average_precision`` score it. Every part of the lab
that counts, sizes or scores (``param_count``, ``sizes_for_budget``, ``compute_metrics``, ``train``,
``test``, ``run_experiment``, ``Lab``) takes an optional ``functions`` mapping, from the name of the
lab's function to the function to call in its place::

    mine = {"dense_params": count_dense_params, "conv_params": count_conv_params,
            "lstm_params": count_lstm_params, "size_for_budget": size_for_budget,
            "precision_recall_f1": precision_recall_f1, "average_precision": average_precision}
    rows, models = run_experiment(tasks, functions=mine)

A name left out keeps the lab's own function. Every part accepts every name of :data:`REPLACEABLE`
(one mapping serves them all) and uses the ones it needs; any other name is a ValueError.
"""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["REPLACEABLE", "check_functions", "chosen"]

# name: the signature the replacement is called with
REPLACEABLE = {
    "dense_params": "dense_params(num_inputs, num_outputs) -> int",
    "conv_params": "conv_params(kernel_size, in_channels, filters) -> int (kernel_size an int or a tuple)",
    "lstm_params": "lstm_params(num_inputs, num_hiddens) -> int",
    "gru_params": "gru_params(num_inputs, num_hiddens) -> int",
    "batchnorm_params": "batchnorm_params(num_features) -> int",
    "embedding_params": "embedding_params(vocab_size, dim) -> int",
    "size_for_budget": "size_for_budget(count, budget, sizes, tolerance) -> size",
    "precision_recall_f1": "precision_recall_f1(y_true, y_pred, num_classes) -> (precision, recall, f1), each (K,)",
    "average_precision": "average_precision(y_true, scores) -> float",
}


def check_functions(functions):
    """``functions`` as a dict, checked: names from REPLACEABLE, callable values. None gives {}.

    Raises ValueError for an unknown name (the message names it and the accepted ones), TypeError for a
    value that is not a function.
    """
    functions = dict(functions or {})
    for name, function in functions.items():
        if name not in REPLACEABLE:
            raise ValueError(f"functions: unknown name {name!r}; the lab accepts {', '.join(REPLACEABLE)}")
        if not callable(function):
            raise TypeError(f"functions[{name!r}] should be a function, got {type(function).__name__}")
    return functions


def chosen(functions, **defaults):
    """The functions to call: ``defaults`` (the lab's own, by name), replaced by those in ``functions``."""
    functions = check_functions(functions)
    return SimpleNamespace(**{name: functions.get(name, default) for name, default in defaults.items()})
