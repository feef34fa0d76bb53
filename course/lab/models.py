"""The networks of lesson 14: an MLP, a CNN, an LSTM and one extra network per task, at one budget.

Every builder takes one *size* (the width that sets its number of parameters) and returns an
uncompiled Keras classifier of logits that reads the task's inputs as they are:

========== ============================ =====================================================================
task       inputs                       how each network reads them
========== ============================ =====================================================================
tabular    (N, 30) standardised floats  MLP: two hidden layers; CNN: the 30 features as a 1-D signal
                                        (N, 30, 1); LSTM: one feature per time step; extra: MLP + batch norm
image      (N, 28, 28) in [0, 1]        MLP: 784 pixels; CNN: (N, 28, 28, 1) images; LSTM: 28 rows of 28
                                        pixels; extra: a CNN with batch norm and global average pooling
sequence   (N, 40) word ids < 2,000     MLP: the bag of words (``CategoryEncoding``, order lost); CNN:
                                        embeddings + Conv1D + global max pooling; LSTM: embeddings + LSTM;
                                        extra: embeddings + bidirectional GRU
========== ============================ =====================================================================

:func:`param_count` gives each network's number of trainable parameters *by hand*, from the layer
formulas (:func:`dense_params`, :func:`conv_params`, :func:`lstm_params`, :func:`gru_params`, ...);
the tests check it against Keras for every size. :func:`size_for_budget` picks the size whose count is
closest to the task's budget (``BUDGETS``) and refuses one more than 10% away. ``param_count`` and
:func:`sizes_for_budget` take ``functions={"dense_params": ..., "size_for_budget": ..., ...}`` to count
and size with other functions than these (lesson 14's notebook passes the student's:
``course.lab.functions``).
"""

from __future__ import annotations

from math import prod

import numpy as np

from course.frameworks import load_keras
from course.lab.functions import check_functions, chosen

__all__ = ["ARCHITECTURES", "BUDGETS", "SIZES", "TOLERANCE", "EMBEDDING_DIM", "DROPOUT", "dense_params",
           "conv_params", "lstm_params", "gru_params", "batchnorm_params", "embedding_params", "param_count",
           "size_for_budget", "sizes_for_budget", "build_model", "trainable_params", "tabular_lstm"]

EXTRA = {"tabular": "MLP + batch norm", "image": "CNN + batch norm", "sequence": "BiGRU"}
ARCHITECTURES = {task: ("MLP", "CNN", "LSTM", extra) for task, extra in EXTRA.items()}
BUDGETS = {"tabular": 4_000, "image": 30_000, "sequence": 50_000}   # trainable parameters per network
TOLERANCE = 0.10                                                      # every network within 10% of its budget
SIZES = range(1, 513)                                                 # the widths size_for_budget tries
EMBEDDING_DIM = 16                                                    # the word vectors of the sequence models
DROPOUT = 0.2


# -- parameters by hand -----------------------------------------------------------------------------

def dense_params(num_inputs, num_outputs):
    """A dense layer: the (num_inputs, num_outputs) weights and num_outputs biases."""
    return num_inputs * num_outputs + num_outputs


def conv_params(kernel_size, in_channels, filters):
    """A convolution (1-D or 2-D): ``filters`` kernels of kernel_size x in_channels, and one bias each.

    kernel_size : an int (Conv1D) or a tuple such as (3, 3) (Conv2D)
    """
    size = prod(kernel_size) if isinstance(kernel_size, (tuple, list)) else int(kernel_size)
    return size * in_channels * filters + filters


def lstm_params(num_inputs, num_hiddens):
    """An LSTM: four gates, each with Wx (D, H), Wh (H, H) and b (H,): 4 (D H + H^2 + H)."""
    return 4 * (num_inputs * num_hiddens + num_hiddens * num_hiddens + num_hiddens)


def gru_params(num_inputs, num_hiddens):
    """A Keras GRU (``reset_after=True``, its default): three gates with Wx, Wh and *two* biases each."""
    return 3 * (num_inputs * num_hiddens + num_hiddens * num_hiddens + 2 * num_hiddens)


def batchnorm_params(num_features):
    """Batch normalization's trainable parameters: a scale and a shift per feature (the running
    mean and variance are not trained)."""
    return 2 * num_features


def embedding_params(vocab_size, dim):
    """An embedding: one dim-vector per word id."""
    return vocab_size * dim


def _shape(task):
    return {"tabular": ((30,), 2), "image": ((28, 28), 10), "sequence": ((40,), 6)}[task]


def param_count(task, architecture, size, input_shape=None, num_classes=None, vocab_size=2_000, functions=None):
    """The number of trainable parameters of ``build_model(task, architecture, size, ...)``, by hand.

    Parameters
    ----------
    task : "tabular", "image" or "sequence";  architecture : one of ARCHITECTURES[task]
    size : the network's width (hidden units, or filters of its first convolution)
    input_shape, num_classes : the task's (default: (30,) and 2, (28, 28) and 10, (40,) and 6)
    vocab_size : word ids of the sequence task
    functions : {"dense_params": f, ...} layer counts to use instead of this module's
        (``course.lab.functions``; a ValueError names an unknown key)
    """
    f = chosen(functions, dense_params=dense_params, conv_params=conv_params, lstm_params=lstm_params,
               gru_params=gru_params, batchnorm_params=batchnorm_params, embedding_params=embedding_params)
    dense, conv, lstm, gru, bnorm, embed = (f.dense_params, f.conv_params, f.lstm_params, f.gru_params,
                                            f.batchnorm_params, f.embedding_params)
    default_shape, default_classes = _shape(task)
    shape, K, h = tuple(input_shape or default_shape), num_classes or default_classes, int(size)
    check_architecture(task, architecture)
    if task == "tabular":
        D = shape[0]
        if architecture == "MLP":
            return dense(D, h) + dense(h, h) + dense(h, K)
        if architecture == "CNN":
            return conv(3, 1, h) + conv(3, h, h) + dense((D // 2 // 2) * h, K)
        if architecture == "LSTM":
            return lstm(1, h) + dense(h, K)
        return dense(D, h) + bnorm(h) + dense(h, h) + bnorm(h) + dense(h, K)
    if task == "image":
        H, W = shape
        if architecture == "MLP":
            return dense(H * W, h) + dense(h, h) + dense(h, K)
        if architecture == "CNN":
            flat = (H // 4) * (W // 4) * 2 * h                   # two poolings halve each side twice
            return conv((3, 3), 1, h) + conv((3, 3), h, 2 * h) + dense(flat, K)
        if architecture == "LSTM":
            return lstm(W, h) + dense(h, K)
        return (conv((3, 3), 1, h) + bnorm(h)
                + conv((3, 3), h, 2 * h) + bnorm(2 * h)
                + conv((3, 3), 2 * h, 4 * h) + bnorm(4 * h) + dense(4 * h, K))
    V, E = vocab_size, EMBEDDING_DIM
    if architecture == "MLP":
        return dense(V, h) + dense(h, h) + dense(h, K)
    if architecture == "CNN":
        return embed(V, E) + conv(5, E, h) + dense(h, K)
    if architecture == "LSTM":
        return embed(V, E) + lstm(E, h) + dense(h, K)
    return embed(V, E) + 2 * gru(E, h) + dense(2 * h, K)


def check_architecture(task, architecture):
    if task not in ARCHITECTURES:
        raise KeyError(f"unknown task {task!r}; choose from {', '.join(ARCHITECTURES)}")
    if architecture not in ARCHITECTURES[task]:
        raise KeyError(f"the {task} task has no {architecture!r} network; choose from {', '.join(ARCHITECTURES[task])}")


def size_for_budget(count, budget, sizes, tolerance=TOLERANCE):
    """The size whose parameter count is closest to ``budget``.

    Parameters
    ----------
    count : ``count(size) -> int`` number of parameters
    budget : the target number of parameters;  sizes : the sizes to try (in order; the first of
        equally close ones wins)
    tolerance : the largest accepted relative gap |count - budget| / budget

    Returns
    -------
    size : an element of ``sizes``

    Raises
    ------
    ValueError : no size is within ``tolerance`` of the budget (the message names the closest)
    """
    best, best_gap = None, None
    for size in sizes:
        gap = abs(count(size) - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = size, gap
    if best is None:
        raise ValueError("no sizes to choose from")
    if best_gap > tolerance * budget:
        raise ValueError(f"no size reaches {budget:,} parameters within {tolerance:.0%}: the closest, {best}, "
                         f"has {count(best):,}")
    return best


def sizes_for_budget(task, input_shape=None, num_classes=None, vocab_size=2_000, budget=None, functions=None):
    """{architecture: size} for every network of ``task`` at its budget (``BUDGETS[task]`` by default).

    functions : {"size_for_budget": f, "dense_params": f, ...} to size and count with instead of this
        module's (see :func:`param_count`)
    """
    budget = BUDGETS[task] if budget is None else budget
    functions = check_functions(functions)
    pick = functions.get("size_for_budget", size_for_budget)
    return {arch: pick(lambda s, a=arch: param_count(task, a, s, input_shape, num_classes, vocab_size, functions),
                       budget, SIZES, TOLERANCE)
            for arch in ARCHITECTURES[task]}


def trainable_params(model):
    """The number of trainable parameters of a Keras model (batch norm's running statistics left out)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


# -- the builders --------------------------------------------------------------------------------------

def tabular_lstm(num_features, num_hiddens, num_classes, dropout=DROPOUT):
    """An LSTM that reads a table row one feature at a time: (N, D) -> (N, D, 1) -> LSTM -> logits (N, K)."""
    return build_model("tabular", "LSTM", num_hiddens, (num_features,), num_classes, dropout=dropout)


def build_model(task, architecture, size, input_shape=None, num_classes=None, vocab_size=2_000, dropout=DROPOUT):
    """One network of lesson 14 (uncompiled, logits): see the table at the top of this module.

    Parameters
    ----------
    task, architecture, size, input_shape, num_classes, vocab_size : as :func:`param_count`
    dropout : the rate of every Dropout layer (each network has at least one)

    Returns
    -------
    model : keras.Sequential, inputs (N, *input_shape), outputs (N, num_classes) logits, with
        ``param_count(task, architecture, size, ...)`` trainable parameters
    """
    check_architecture(task, architecture)
    default_shape, default_classes = _shape(task)
    shape, K, h = tuple(input_shape or default_shape), num_classes or default_classes, int(size)
    keras = load_keras()
    L = keras.layers
    name = architecture.replace(" + ", "_").replace(" ", "_")

    def mlp(first):
        return [*first, L.Dense(h, activation="relu"), L.Dropout(dropout), L.Dense(h, activation="relu"),
                L.Dropout(dropout), L.Dense(K)]

    if task == "tabular":
        D = shape[0]
        layers = {
            "MLP": lambda: mlp([]),
            "CNN": lambda: [L.Reshape((D, 1)), L.Conv1D(h, 3, padding="same", activation="relu"), L.MaxPooling1D(2),
                            L.Conv1D(h, 3, padding="same", activation="relu"), L.MaxPooling1D(2), L.Flatten(),
                            L.Dropout(dropout), L.Dense(K)],
            "LSTM": lambda: [L.Reshape((D, 1)), L.LSTM(h), L.Dropout(dropout), L.Dense(K)],
            "MLP + batch norm": lambda: [L.Dense(h), L.BatchNormalization(), L.Activation("relu"), L.Dropout(dropout),
                                         L.Dense(h), L.BatchNormalization(), L.Activation("relu"), L.Dropout(dropout),
                                         L.Dense(K)],
        }[architecture]()
    elif task == "image":
        H, W = shape
        def block(filters):
            return [L.Conv2D(filters, 3, padding="same"), L.BatchNormalization(), L.Activation("relu")]

        layers = {
            "MLP": lambda: mlp([L.Flatten()]),
            "CNN": lambda: [L.Reshape((H, W, 1)), L.Conv2D(h, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
                            L.Conv2D(2 * h, 3, padding="same", activation="relu"), L.MaxPooling2D(2), L.Flatten(),
                            L.Dropout(dropout), L.Dense(K)],
            "LSTM": lambda: [L.LSTM(h), L.Dropout(dropout), L.Dense(K)],
            "CNN + batch norm": lambda: [L.Reshape((H, W, 1)), *block(h), L.MaxPooling2D(2), *block(2 * h),
                                         L.MaxPooling2D(2), *block(4 * h), L.GlobalAveragePooling2D(),
                                         L.Dropout(dropout), L.Dense(K)],
        }[architecture]()
    else:
        def embed():
            return L.Embedding(vocab_size, EMBEDDING_DIM)

        layers = {
            "MLP": lambda: mlp([L.CategoryEncoding(num_tokens=vocab_size, output_mode="count")]),
            "CNN": lambda: [embed(), L.Conv1D(h, 5, activation="relu"), L.GlobalMaxPooling1D(), L.Dropout(dropout),
                            L.Dense(K)],
            "LSTM": lambda: [embed(), L.LSTM(h), L.Dropout(dropout), L.Dense(K)],
            "BiGRU": lambda: [embed(), L.Bidirectional(L.GRU(h)), L.Dropout(dropout), L.Dense(K)],
        }[architecture]()
    dtype = "int32" if task == "sequence" else "float32"
    return keras.Sequential([keras.Input(shape, dtype=dtype), *layers], name=name)
