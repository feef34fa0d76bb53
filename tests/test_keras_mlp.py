"""course.keras_mlp: the Keras MLP builder, the NumPy <-> Keras dense weight copy, one-batch checks, the tuner table."""

from __future__ import annotations

import numpy as np
import pytest

from course import keras_mlp
from course.nn.model import lenet5, mlp


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("tensorflow")
    return keras_mlp.load_keras()


def seeded_mlp(sizes, seed=0, **kwargs):
    """A course.nn mlp with non-zero biases, so that a bias copied to the wrong place shows."""
    rng = np.random.default_rng(seed)
    model = mlp(sizes, rng, **kwargs)
    model.params.update({name: rng.normal(scale=0.5, size=value.shape) for name, value in model.params.items()
                         if name.startswith("b")})
    return model, rng


@pytest.mark.parametrize("api", ["sequential", "functional"])
def test_keras_mlp_has_the_layers_and_parameter_count_of_course_nn(keras, api):
    """Does keras_mlp give Dense layers dense1..denseL with (n_in, n_out) kernels and course.nn's parameter count?"""
    model = keras_mlp.keras_mlp((784, 256, 128, 10), api=api, dropout=0.2)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.name for layer in dense] == ["dense1", "dense2", "dense3"]
    assert [tuple(layer.kernel.shape) for layer in dense] == [(784, 256), (256, 128), (128, 10)]
    assert model.count_params() == 235_146 == sum(v.size for v in mlp((784, 256, 128, 10), None).params.values())
    assert isinstance(model, keras.Sequential) == (api == "sequential")
    with pytest.raises(ValueError, match="api"):
        keras_mlp.keras_mlp((4, 2), api="graph")
    with pytest.raises(ValueError, match="task"):
        keras_mlp.keras_mlp((4, 2), task="ranking")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_copied_weights_give_the_same_outputs_loss_and_gradients(keras, task):
    """After dense_weights_to_keras, do Keras and course.nn agree on outputs, loss (L2 too) and gradients in float64?"""
    sizes = (6, 5, 4, 3 if task == "classification" else 1)
    loss = "softmax_cross_entropy" if task == "classification" else "mse"
    numpy_model, rng = seeded_mlp(sizes, activation="tanh", reg=0.05, loss=loss)
    keras_model = keras_mlp.keras_mlp(sizes, activation="tanh", reg=0.05, task=task, dtype="float64")
    assert keras_mlp.dense_weights_to_keras(numpy_model, keras_model) is keras_model
    X = rng.normal(size=(8, 6))
    y = rng.integers(0, 3, size=8) if task == "classification" else rng.normal(size=8)
    np.testing.assert_allclose(np.asarray(keras_model(X)), numpy_model.loss(X), rtol=1e-12, atol=1e-14)
    numpy_loss, numpy_grads = numpy_model.loss(X, y)
    keras_loss, keras_grads = keras_mlp.keras_loss_and_grads(keras_model, X, y, task=task)
    assert keras_loss == pytest.approx(numpy_loss, rel=1e-7)   # Keras' L2 regularizer sums in float32
    assert set(keras_grads) == set(numpy_grads)
    for name in numpy_grads:
        np.testing.assert_allclose(keras_grads[name], numpy_grads[name], rtol=1e-6, atol=1e-9, err_msg=name)


def test_weights_go_over_without_a_transpose_and_come_back(keras):
    """Is W1[i, j] the kernel's [i, j] (no transpose), does a params dict work, does keras_weights_to_dense undo it?"""
    numpy_model, _ = seeded_mlp((3, 4, 2), seed=1)
    keras_model = keras_mlp.keras_mlp((3, 4, 2), dtype="float64")
    keras_mlp.dense_weights_to_keras(numpy_model.params, keras_model)
    kernel = keras_model.get_layer("dense1").kernel.numpy()
    assert kernel[2, 1] == numpy_model.params["W1"][2, 1] and kernel.shape == (3, 4)
    back = keras_mlp.keras_weights_to_dense(keras_model)
    assert set(back) == set(numpy_model.params)
    for name, value in numpy_model.params.items():
        np.testing.assert_array_equal(back[name], value)


def test_mismatched_models_are_refused_with_the_layer_named(keras):
    """Does dense_weights_to_keras raise ValueError, naming the layer, for another depth or a transposed shape?"""
    numpy_model, _ = seeded_mlp((3, 4, 2))
    with pytest.raises(ValueError, match="2 dense layers"):
        keras_mlp.dense_weights_to_keras(numpy_model, keras_mlp.keras_mlp((3, 4, 4, 2)))
    params = dict(numpy_model.params, W1=numpy_model.params["W1"].T)
    with pytest.raises(ValueError, match="dense1"):
        keras_mlp.dense_weights_to_keras(params, keras_mlp.keras_mlp((3, 4, 2)))


def test_lenet5_dense_layers_only_are_copied(keras):
    """For a LeNet-5 params dict, are only the 2-D weights (its three dense layers) taken, in order?"""
    params = lenet5(np.random.default_rng(0)).params
    pairs = keras_mlp._dense_weights(params)
    assert [W.shape for W, _ in pairs] == [(400, 120), (120, 84), (84, 10)]


def test_fit_numpy_and_keras_and_the_tuner_table(keras, tmp_path):
    """Do both trainings learn a separable problem, and does a 2-trial search give a sorted table with times?"""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    data, test = (X[:120], y[:120], X[120:160], y[120:160]), (X[160:], y[160:])
    table, models, histories = keras_mlp.fit_numpy_and_keras(lambda s, a: keras_mlp.keras_mlp(s, a), (4, 16, 2), data,
                                                             test, num_epochs=20, lr=1e-2)
    assert list(table.index) == ["numpy", "keras"] and (table["test_score"] > 0.85).all()
    assert set(histories) == {"numpy", "keras"} and len(histories["keras"]["val_accuracy"]) == 20

    def build(hp):
        model = keras_mlp.keras_mlp((4, hp.Choice("units", [4, 8]), 2))
        return keras_mlp.compile_mlp(model, lr=hp.Float("lr", 1e-3, 1e-2, sampling="log"))

    tuner = keras_mlp.TimedRandomSearch(build, objective="val_accuracy", max_trials=2, seed=0, directory=tmp_path,
                                        project_name="t", overwrite=True)
    tuner.search(X[:120], y[:120], validation_data=(X[120:160], y[120:160]), epochs=2, verbose=0)
    trials = keras_mlp.tuner_table(tuner)
    assert len(trials) == 2 and {"units", "lr", "train_score", "val_score", "seconds"} <= set(trials.columns)
    assert trials["val_score"].is_monotonic_decreasing and (trials["seconds"] > 0).all()
