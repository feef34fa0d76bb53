"""The dense networks of lessons 07-08 in Keras (lesson 11): builders, weight transfer, one-batch checks.

- :func:`keras_mlp`: ``course.nn.model.mlp(layer_sizes, ...)`` in Keras, Sequential or functional API,
  for classification (logits, sparse cross-entropy) or regression (a linear output, mean squared error).
- :func:`compile_mlp`: the matching loss, optimizer and metric (accuracy, or R²).
- :func:`dense_weights_to_keras`: course.nn dense weights into a Keras model (the transfer lesson 12
  reuses for the dense layers of LeNet-5); :func:`keras_weights_to_dense`: the way back.
- :func:`keras_loss_and_grads`: the loss and gradients of one batch with ``tf.GradientTape``, named
  like course.nn's parameters ("W1", "b1", ...), to compare with ``model.loss(X, y)``.
- :func:`fit_numpy_and_keras`: one network trained by course.nn's ``fit`` and by Keras from the same
  starting weights, for classification or regression (``task``), and a table of their test scores.
- :class:`TimedRandomSearch`, :func:`tuner_table`: a KerasTuner random search that also records the
  seconds of each trial, and its trials as a pandas table sorted by validation score.

Layout: a course.nn dense weight ``W{l}`` is (n_in, n_out) and ``b{l}`` (n_out,); a Keras ``Dense``
kernel is (n_in, n_out) as well, so the weights copy over without a transpose.

``dense_weights_to_keras`` and ``keras_mlp`` are the references of lesson 11's exercises
(``copy_weights_to_keras``, ``build_keras_mlp``): the notebook has the student write its own versions
and never imports these.
"""

from __future__ import annotations

import re
import time

import numpy as np

from course.frameworks import load_keras

__all__ = ["TASKS", "keras_mlp", "compile_mlp", "dense_weights_to_keras", "keras_weights_to_dense",
           "keras_loss_and_grads", "fit_numpy_and_keras", "TimedRandomSearch", "tuner_table"]

TASKS = ("classification", "regression")


def check_task(task):
    """``task`` if it is "classification" or "regression", else ValueError."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return task


def he_normal(keras):
    """course.nn's He initialisation: N(0, 2 / fan_in), untruncated (Keras' "he_normal" truncates)."""
    return keras.initializers.VarianceScaling(2.0, mode="fan_in", distribution="untruncated_normal")


def keras_mlp(layer_sizes, activation="relu", dropout=0.0, reg=0.0, task="classification", api="sequential",
              dtype="float32", name="mlp"):
    """``course.nn.model.mlp(layer_sizes, ...)`` in Keras (uncompiled): Dense layers "dense1", "dense2", ...

    Parameters
    ----------
    layer_sizes : (n_0, ..., n_L): inputs (N, n_0) rows, e.g. (784, 256, 128, 10)
    activation : hidden activation (a Keras name: "relu", "tanh", "elu", "sigmoid", ...)
    dropout : rate after every hidden activation
    reg : course.nn's L2 strength: its penalty ``0.5 reg sum W**2`` is Keras' ``L2(reg / 2)``
    task : "classification" (n_L logits) or "regression" (n_L linear outputs; the same layers)
    api : "sequential" (keras.Sequential) or "functional" (keras.Model(inputs, outputs))
    dtype : the layers' dtype ("float64" to compare with course.nn to 1e-10)

    Returns
    -------
    model : keras Model, inputs (N, n_0), outputs (N, n_L); ``sum(n_{l-1} n_l + n_l)`` parameters
    """
    check_task(task)
    if api not in ("sequential", "functional"):
        raise ValueError(f"api must be 'sequential' or 'functional', got {api!r}")
    keras = load_keras()
    L, init = keras.layers, he_normal(keras)
    regularizer = keras.regularizers.L2(reg / 2) if reg else None
    sizes = [int(n) for n in layer_sizes]
    layers = []
    for l in range(1, len(sizes)):
        last = l == len(sizes) - 1
        layers.append(L.Dense(sizes[l], activation=None if last else activation, kernel_initializer=init,
                              kernel_regularizer=regularizer, name=f"dense{l}", dtype=dtype))
        if dropout and not last:
            layers.append(L.Dropout(dropout, name=f"dropout{l}", dtype=dtype))
    inputs = keras.Input((sizes[0],), dtype=dtype, name="inputs")
    if api == "sequential":
        return keras.Sequential([inputs, *layers], name=name)
    out = inputs
    for layer in layers:
        out = layer(out)
    return keras.Model(inputs, out, name=name)


def compile_mlp(model, task="classification", lr=1e-3, optimizer="adam", momentum=0.0):
    """Compile ``model`` with the loss and metric of ``task`` and return it.

    classification: sparse cross-entropy from logits, metric "accuracy"; regression: "mse", metric
    R² (``keras.metrics.R2Score``, named "r2"). ``optimizer``: "adam" or "sgd" (with ``momentum``).
    """
    keras = load_keras()
    opt = (keras.optimizers.Adam(lr) if optimizer == "adam"
           else keras.optimizers.SGD(lr, momentum=momentum))
    if check_task(task) == "classification":
        model.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    else:
        model.compile(opt, "mse", metrics=[keras.metrics.R2Score(name="r2")])
    return model


def _dense_weights(numpy_model):
    """The (W, b) pairs of the dense layers of a course.nn model (or params dict), in layer order."""
    from course.nn.model import Dense

    params = numpy_model if isinstance(numpy_model, dict) else numpy_model.params
    layers = getattr(numpy_model, "layers", None)
    if layers is not None:
        names = [layer.names for layer in layers if isinstance(layer, Dense)]
    else:   # a bare dict: every 2-D "W{l}" with its "b{l}", by l
        index = sorted(int(m.group(1)) for key in params if (m := re.fullmatch(r"W(\d+)", key))
                       and np.ndim(params[key]) == 2)
        names = [(f"W{l}", f"b{l}") for l in index]
    return [(params[w], params[b]) for w, b in names]


def _keras_dense_layers(keras_model):
    keras = load_keras()
    return [layer for layer in keras_model.layers if isinstance(layer, keras.layers.Dense)]


def dense_weights_to_keras(numpy_model, keras_model):
    """Copy the dense weights of a course.nn model into the Dense layers of a Keras model, in order.

    The k-th ``course.nn.model.Dense`` layer's ``W`` (n_in, n_out) and ``b`` (n_out,) become the k-th
    ``keras.layers.Dense`` layer's kernel (n_in, n_out) and bias: the same layout, no transpose. Other
    layers (activations, dropout, flatten, convolutions) are left alone, so for LeNet-5 this copies
    the three dense layers only (and their input rows must already be in Keras' flatten order).

    Parameters
    ----------
    numpy_model : a course.nn model (``Sequential``, from ``mlp``, ``lenet5``, ...) or its params dict
        (then the 2-D "W{l}" and their "b{l}", in the order of l, are the dense layers)
    keras_model : a built Keras model with as many Dense layers, of the same shapes

    Returns
    -------
    keras_model : the same object, its Dense weights replaced (cast to each layer's dtype)

    Raises
    ------
    ValueError : the numbers of dense layers differ, or a kernel or bias has another shape
    """
    pairs, layers = _dense_weights(numpy_model), _keras_dense_layers(keras_model)
    if len(pairs) != len(layers):
        raise ValueError(f"the course.nn model has {len(pairs)} dense layers, the Keras model "
                         f"{len(layers)} ({[layer.name for layer in layers]})")
    for k, ((W, b), layer) in enumerate(zip(pairs, layers), start=1):
        kernel, bias = layer.kernel, layer.bias
        if tuple(kernel.shape) != np.shape(W) or tuple(bias.shape) != np.shape(b):
            raise ValueError(f"dense layer {k}: course.nn W {np.shape(W)}, b {np.shape(b)} but Keras layer "
                             f"{layer.name!r} has kernel {tuple(kernel.shape)}, bias {tuple(bias.shape)}")
        kernel.assign(np.asarray(W, dtype=kernel.dtype))
        bias.assign(np.asarray(b, dtype=bias.dtype))
    return keras_model


def keras_weights_to_dense(keras_model, dtype=np.float64):
    """The Dense weights of a Keras model as course.nn params: {"W1": (n_0, n_1), "b1": (n_1,), ...}."""
    params = {}
    for l, layer in enumerate(_keras_dense_layers(keras_model), start=1):
        params[f"W{l}"] = np.array(layer.kernel.numpy(), dtype=dtype)
        params[f"b{l}"] = np.array(layer.bias.numpy(), dtype=dtype)
    return params


def keras_loss_and_grads(keras_model, X, y, task="classification"):
    """The training loss of one batch and its gradients, by ``tf.GradientTape``, named like course.nn's.

    The loss is course.nn's: mean cross-entropy of the logits (classification) or mean squared error
    (regression), plus the model's regularization losses; dropout is active (``training=True``).

    Parameters
    ----------
    keras_model : a model from :func:`keras_mlp` (Dense layers in order)
    X : (N, n_0) inputs;  y : (N,) integer labels, or (N,) / (N, n_L) targets for regression

    Returns
    -------
    loss : float;  grads : dict "W1" (n_0, n_1), "b1" (n_1,), ... as float64 arrays
    """
    load_keras()     # TensorFlow imported quietly
    import tensorflow as tf

    dtype = keras_model.inputs[0].dtype
    X = tf.convert_to_tensor(np.asarray(X), dtype=dtype)
    with tf.GradientTape() as tape:
        out = keras_model(X, training=True)
        if check_task(task) == "classification":
            # computed in the model's dtype (Keras' loss objects compute in float32 by default)
            log_probs = tf.nn.log_softmax(out, axis=1)
            loss = -tf.reduce_mean(tf.gather(log_probs, np.asarray(y), axis=1, batch_dims=1))
        else:
            target = tf.reshape(tf.convert_to_tensor(np.asarray(y), dtype=out.dtype), tf.shape(out))
            loss = tf.reduce_mean(tf.square(out - target))
        if keras_model.losses:
            loss = loss + tf.add_n(keras_model.losses)
    variables = []
    for layer in _keras_dense_layers(keras_model):
        variables += [layer.kernel, layer.bias]
    grads = tape.gradient(loss, variables)
    names = [f"{kind}{l}" for l in range(1, len(variables) // 2 + 1) for kind in ("W", "b")]
    return float(loss), {name: np.asarray(g, dtype=np.float64) for name, g in zip(names, grads)}


def fit_numpy_and_keras(build_keras, layer_sizes, data, test, task="classification", num_epochs=5, batch_size=32,
                        lr=1e-3, activation="relu", seed=0, copy_weights=None):
    """Train the same MLP with course.nn (``fit``, Adam) and with Keras (Adam), from the same weights.

    Parameters
    ----------
    build_keras : ``build_keras(layer_sizes, activation) -> keras model`` with Dense layers in order
    layer_sizes : (n_0, ..., n_L); for regression n_L outputs (1 for one target)
    data : (X_train (N, n_0), y_train (N,), X_val, y_val): integer labels or real targets
    test : (X_test, y_test)
    task : "classification" (score: accuracy, loss: cross-entropy) or "regression" (score: R² from
        ``sklearn.metrics.r2_score``, loss: mean squared error): the one switch between the two
    num_epochs, batch_size, lr, activation : the same for both; seed: the weights and batch order
    copy_weights : ``copy_weights(params, keras_model) -> keras_model``, puts the course.nn model's
        params into the Keras model's Dense layers (lesson 11's ``copy_weights_to_keras``; default
        :func:`dense_weights_to_keras`)

    Returns
    -------
    table : pandas DataFrame indexed "numpy", "keras": "test_score", "test_loss", "seconds" (training)
    models : {"numpy": the course.nn model, "keras": the Keras model}
    histories : {"numpy": fit's history, "keras": Keras' ``History.history``}
    """
    import pandas as pd
    from sklearn.metrics import r2_score

    from course.nn.model import mlp
    from course.nn.train import fit

    loss = "softmax_cross_entropy" if check_task(task) == "classification" else "mse"
    X_train, y_train, X_val, y_val = data
    X_test, y_test = test
    numpy_model = mlp(layer_sizes, np.random.default_rng(seed), activation=activation, dtype=np.float32, loss=loss)
    copy_weights = dense_weights_to_keras if copy_weights is None else copy_weights
    keras_model = copy_weights(numpy_model.params, build_keras(layer_sizes, activation))   # same start
    compile_mlp(keras_model, task, lr)
    start = time.perf_counter()
    numpy_history = fit(numpy_model, data, num_epochs=num_epochs, batch_size=batch_size, lr=lr,
                        rng=np.random.default_rng(seed + 1), progress=False)
    numpy_seconds = time.perf_counter() - start
    start = time.perf_counter()
    keras_history = keras_model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=num_epochs,
                                    batch_size=batch_size, verbose=0).history
    keras_seconds = time.perf_counter() - start
    rows = {}
    for name, model, seconds in (("numpy", numpy_model, numpy_seconds), ("keras", keras_model, keras_seconds)):
        if name == "numpy":
            test_loss, score = numpy_model.evaluate(X_test, y_test)
            if task == "regression":
                score = r2_score(y_test, numpy_model.predict(X_test))
        else:
            test_loss = keras_model.evaluate(X_test, y_test, verbose=0)[0]
            out = keras_model(np.asarray(X_test, dtype=keras_model.inputs[0].dtype)).numpy()
            score = (np.mean(np.argmax(out, axis=1) == y_test) if task == "classification"
                     else r2_score(y_test, out[:, 0] if out.shape[1] == 1 else out))
        rows[name] = {"test_score": float(score), "test_loss": float(test_loss), "seconds": seconds}
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table, {"numpy": numpy_model, "keras": keras_model}, {"numpy": numpy_history, "keras": keras_history}


def _tuner_base():
    load_keras()     # TensorFlow first, quietly: KerasTuner imports it
    import keras_tuner

    return keras_tuner.RandomSearch


class TimedRandomSearch:
    """``keras_tuner.RandomSearch`` that also keeps the seconds of each trial in ``self.seconds[trial_id]``.

    It runs without tensorboard installed (KerasTuner imports it on every trial otherwise).

    Build it like a RandomSearch (``TimedRandomSearch(hypermodel, objective=..., max_trials=...,
    directory=..., project_name=..., overwrite=True)``); it is a subclass made on first use, so that
    importing this module does not import KerasTuner.
    """

    _cls = None

    def __new__(cls, *args, **kwargs):
        if cls._cls is None:
            base = _tuner_base()

            class _Timed(base):
                def __init__(self, *a, **k):
                    super().__init__(*a, **k)
                    self.seconds = {}

                def run_trial(self, trial, *a, **k):
                    start = time.perf_counter()
                    try:
                        return super().run_trial(trial, *a, **k)
                    finally:
                        self.seconds[trial.trial_id] = time.perf_counter() - start

                def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
                    # KerasTuner imports tensorboard here on every trial, even with no TensorBoard
                    # callback to configure; the course does not install tensorboard.
                    if any(type(c).__name__ == "TensorBoard" for c in callbacks):
                        super()._configure_tensorboard_dir(callbacks, trial, execution)

            _Timed.__name__ = _Timed.__qualname__ = "TimedRandomSearch"
            cls._cls = _Timed
        return cls._cls(*args, **kwargs)


def tuner_table(tuner, score="val_accuracy"):
    """Every completed trial of a KerasTuner search as a pandas DataFrame, best validation score first.

    Columns: the trial id, its hyperparameters, "train_score", "val_score" (``score`` and its training
    counterpart), "loss", "val_loss" (each the best value over the trial's epochs, as KerasTuner keeps
    them), "seconds" (when the tuner timed it, see TimedRandomSearch).
    """
    import pandas as pd

    train_key = score[4:] if score.startswith("val_") else score
    rows = []
    for trial in tuner.oracle.trials.values():
        if trial.score is None:
            continue
        metrics = trial.metrics
        best = {key: metrics.get_best_value(key) if metrics.exists(key) else np.nan
                for key in (train_key, score, "loss", "val_loss")}
        row = {"trial": trial.trial_id, **trial.hyperparameters.values,
               "train_score": best[train_key], "val_score": best[score],
               "loss": best["loss"], "val_loss": best["val_loss"]}
        row["seconds"] = getattr(tuner, "seconds", {}).get(trial.trial_id, np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values("val_score", ascending=False, ignore_index=True)
    return table
