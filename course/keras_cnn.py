"""LeNet-5 in Keras next to course.nn's (lesson 12): the builder, the weight copy, two experiments.

- :func:`keras_lenet5`: lesson 09's LeNet-5 (``course.nn.model.lenet5``) layer for layer in Keras,
  channels-last images (N, 28, 28, 1), with course.nn's He-normal initialisation (untruncated).
- :func:`conv_kernel_to_keras`, :func:`lenet5_weights_to_keras`: course.nn parameters as the list
  ``keras_model.set_weights`` takes. Kernels (F, C, KH, KW) become (KH, KW, C, F); the rows of the
  first dense layer are reordered, because course.nn flattens (C, H, W) maps channel by channel and
  Keras flattens (H, W, C) maps with the channels innermost.
- :func:`permute_pixels`, :func:`activation_model`: the two small tools of the lesson's experiments.
- :func:`permutation_experiment`: train Keras models on the original and the permuted images, one
  row of accuracies per run (a pandas table).
- :func:`interleaved_epoch_times`, :func:`timing_table`: NumPy (``course.nn.fit``) against Keras
  seconds per epoch, one epoch of each in turn, so that both see the same load on a shared machine.

These are the references of lesson 12's exercises (``course/nn/references.py``): the notebook has the
student write its own versions and never imports these.
"""

from __future__ import annotations

import os
import time

import numpy as np

from course.frameworks import load_keras
from course.keras_mlp import he_normal   # course.nn's He init in Keras, untruncated

__all__ = ["keras_lenet5", "dense_classifier", "conv_kernel_to_keras", "dense_rows_to_keras",
           "lenet5_weights_to_keras", "permute_pixels", "activation_model", "compile_classifier",
           "as_model_input", "permutation_experiment", "interleaved_epoch_times", "timing_table",
           "plot_confusion"]

LENET5_LAYERS = ("conv1", "pool1", "relu1", "conv2", "pool2", "relu2", "flatten", "dense1", "dense2", "scores")


def keras_lenet5(num_classes=10, dtype="float32", activation="relu"):
    """Lesson 09's LeNet-5 in Keras: conv 6@5x5 'same' -> pool -> act -> conv 16@5x5 -> pool -> act -> 120 -> 84.

    Layers are named as in LENET5_LAYERS; inputs are (N, 28, 28, 1) images, outputs (N, num_classes)
    scores (logits). 61,706 parameters for 10 classes, like ``course.nn.model.lenet5``.
    """
    keras = load_keras()
    L, init = keras.layers, he_normal(keras)
    return keras.Sequential([
        keras.Input((28, 28, 1), dtype=dtype),
        L.Conv2D(6, 5, padding="same", kernel_initializer=init, name="conv1", dtype=dtype),
        L.MaxPooling2D(2, name="pool1", dtype=dtype), L.Activation(activation, name="relu1", dtype=dtype),
        L.Conv2D(16, 5, kernel_initializer=init, name="conv2", dtype=dtype),
        L.MaxPooling2D(2, name="pool2", dtype=dtype), L.Activation(activation, name="relu2", dtype=dtype),
        L.Flatten(name="flatten", dtype=dtype),
        L.Dense(120, activation=activation, kernel_initializer=init, name="dense1", dtype=dtype),
        L.Dense(84, activation=activation, kernel_initializer=init, name="dense2", dtype=dtype),
        L.Dense(num_classes, kernel_initializer=init, name="scores", dtype=dtype)], name="lenet5")


def dense_classifier(layer_sizes=(784, 256, 128, 10), dtype="float32", activation="relu"):
    """``course.nn.mlp(layer_sizes)`` in Keras: (N, 28, 28) images flattened, ReLU hidden layers, logits."""
    keras = load_keras()
    L, init = keras.layers, he_normal(keras)
    hidden = [L.Dense(n, activation=activation, kernel_initializer=init, name=f"dense{k + 1}", dtype=dtype)
              for k, n in enumerate(layer_sizes[1:-1])]
    return keras.Sequential([keras.Input((28, 28), dtype=dtype), L.Flatten(name="flatten", dtype=dtype), *hidden,
                             L.Dense(layer_sizes[-1], kernel_initializer=init, name="scores", dtype=dtype)],
                            name="mlp")


def conv_kernel_to_keras(W):
    """A course.nn conv kernel (F, C, KH, KW) as Keras' Conv2D kernel (KH, KW, C, F)."""
    return np.ascontiguousarray(np.transpose(W, (2, 3, 1, 0)))


def dense_rows_to_keras(W, feature_shape):
    """The first dense layer after Flatten: rows in (C, H, W) order -> rows in (H, W, C) order.

    Parameters
    ----------
    W : (C H W, M) weights of course.nn, whose Flatten reads (C, H, W) maps channel by channel
    feature_shape : (C, H, W) of the maps that are flattened

    Returns
    -------
    (H W C, M) weights for Keras, whose Flatten reads (H, W, C) maps with the channels innermost
    """
    C, H, Wd = feature_shape
    return np.ascontiguousarray(W.reshape(C, H, Wd, -1).transpose(1, 2, 0, 3).reshape(C * H * Wd, -1))


def lenet5_weights_to_keras(params, feature_shape=(16, 5, 5)):
    """course.nn LeNet-5 parameters (W1, b1, ..., W5, b5) as the list ``keras_lenet5().set_weights`` takes.

    Works for gradients too (they are shaped like the parameters).
    """
    return [conv_kernel_to_keras(params["W1"]), params["b1"], conv_kernel_to_keras(params["W2"]), params["b2"],
            dense_rows_to_keras(params["W3"], feature_shape), params["b3"], params["W4"], params["b4"],
            params["W5"], params["b5"]]


def permute_pixels(X, permutation):
    """The same reordering of the pixels in every image: pixel i of the result is pixel permutation[i].

    X : (N, H, W) or (N, H W) images;  permutation : (H W,) a permutation of 0 .. H W - 1.
    Returns an array of X's shape.
    """
    X = np.asarray(X)
    return X.reshape(len(X), -1)[:, permutation].reshape(X.shape)


def activation_model(model, layer_names):
    """A keras.Model from ``model``'s input to the outputs of ``layer_names`` (a list, in that order)."""
    keras = load_keras()
    return keras.Model(model.inputs[0], [model.get_layer(name).output for name in layer_names])


def as_model_input(model, X):
    """X (N, 28, 28) or (N, 784) reshaped to what ``model`` takes, e.g. (N, 28, 28, 1)."""
    return np.asarray(X).reshape((len(X),) + tuple(model.input_shape[1:]))


def compile_classifier(model, lr=1e-3):
    """Adam and the softmax cross-entropy on logits, with accuracy: the course's recipe in Keras."""
    keras = load_keras()
    model.compile(optimizer=keras.optimizers.Adam(lr), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def permutation_experiment(builders, split, X_test, y_test, permutation, permute=permute_pixels, num_epochs=5,
                           batch_size=128, lr=1e-3, seed=0):
    """Train every model on the original images and on the same images with their pixels permuted.

    Parameters
    ----------
    builders : dict name -> ``build() -> keras.Model`` (an uncompiled classifier of logits)
    split : course.nn Split with X_train (N, 28, 28), y_train, X_val, y_val
    X_test, y_test : (N_test, 28, 28) images and labels
    permutation : (784,) the one permutation applied to every image of every set
    permute : ``permute(X, permutation) -> X`` (the lesson passes its own ``permute_pixels``)
    num_epochs, batch_size, lr : Adam training of each run;  seed : Keras seed before each build

    Returns
    -------
    table : pandas DataFrame, one row per (model, pixels) with the train / validation / test accuracy
    models : dict (name, pixels) -> the trained keras.Model
    """
    import pandas as pd

    keras = load_keras()
    sets = {"train": (split.X_train, split.y_train), "validation": (split.X_val, split.y_val), "test": (X_test, y_test)}
    rows, models = [], {}
    for pixels in ("original", "permuted"):
        data = {name: (X if pixels == "original" else permute(X, permutation), y) for name, (X, y) in sets.items()}
        for name, build in builders.items():
            keras.utils.set_random_seed(seed)   # the same initial weights and batch order in both runs
            model = compile_classifier(build(), lr)
            X, y = data["train"]
            model.fit(as_model_input(model, X), y, batch_size=batch_size, epochs=num_epochs, verbose=0)
            row = {"model": name, "pixels": pixels}
            for part, (X, y) in data.items():
                row[part] = float(model.evaluate(as_model_input(model, X), y, batch_size=1_000, verbose=0)[1])
            rows.append(row)
            models[name, pixels] = model
    return pd.DataFrame(rows).set_index(["model", "pixels"]), models


def interleaved_epoch_times(numpy_model, keras_model, X, y, num_epochs=3, batch_size=128, lr=1e-3, blas_threads=1):
    """Seconds per epoch of the same training in NumPy and in Keras, one epoch of each in turn.

    NumPy trains with ``course.nn.fit`` (Adam, no evaluation) under ``blas_threads`` BLAS threads;
    after each of its epochs, Keras trains one epoch of ``keras_model`` (compiled here, Adam, its own
    thread pool). Each epoch is timed from its first to its last step (Keras: a callback), so the
    first Keras epoch includes the tracing of its graph: compare minimums and medians.

    Parameters
    ----------
    numpy_model : a course.nn model whose ``loss`` takes X
    keras_model : an uncompiled Keras classifier of logits (X is reshaped to its input)
    X : (N, ...) float32 inputs;  y : (N,) labels

    Returns
    -------
    dict with "numpy" and "keras" (num_epochs,) seconds and "load" (num_epochs + 1,) 1-minute load averages
    """
    from threadpoolctl import threadpool_limits

    from course.nn.train import fit

    keras = load_keras()
    compile_classifier(keras_model, lr)
    Xk = as_model_input(keras_model, X)

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    timer, loads = EpochTimer(), [os.getloadavg()[0]]
    timer.seconds = []

    def keras_turn(epoch, model, history):
        keras_model.fit(Xk, y, batch_size=batch_size, epochs=epoch, initial_epoch=epoch - 1, verbose=0,
                        callbacks=[timer])
        loads.append(os.getloadavg()[0])

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        history = fit(numpy_model, (X, y), num_epochs=num_epochs, batch_size=batch_size, optimizer="adam", lr=lr,
                      eval_size=0, callbacks=[keras_turn], progress=False, rng=np.random.default_rng(0))
    return {"numpy": list(history["seconds"]), "keras": list(timer.seconds), "load": loads}


def timing_table(results):
    """A pandas table from ``{model name: interleaved_epoch_times(...)}``: min and median seconds, the ratio.

    Columns: epochs, NumPy min / median s, Keras min / median s, NumPy/Keras (ratio of the medians;
    above 1, Keras is faster), load average (mean of the 1-minute loads during the run).
    """
    import pandas as pd

    rows = []
    for name, r in results.items():
        numpy_s, keras_s = np.asarray(r["numpy"]), np.asarray(r["keras"])
        rows.append({"model": name, "epochs": len(numpy_s),
                     "NumPy min s": numpy_s.min(), "NumPy median s": np.median(numpy_s),
                     "Keras min s": keras_s.min(), "Keras median s": np.median(keras_s),
                     "NumPy/Keras": np.median(numpy_s) / np.median(keras_s),
                     "load average": float(np.mean(r["load"]))})
    return pd.DataFrame(rows).set_index("model")


def plot_confusion(ax, C, class_names=None, title=None):
    """A confusion matrix (rows: true class, columns: predicted) as a heat map with its counts.

    C : (K, K) counts, e.g. ``course.nn.metrics.confusion_matrix(y_true, y_pred)``
    """
    C = np.asarray(C)
    ax.imshow(C, cmap="Blues")
    names = [str(k) for k in range(len(C))] if class_names is None else list(class_names)
    ax.set_xticks(range(len(C)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(C)), names, fontsize=8)
    for (i, j), count in np.ndenumerate(C):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > C.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
