"""course.keras_cnn: lesson 09's LeNet-5 in Keras, the NumPy -> Keras weight copy, the two experiments' tools."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course import keras_cnn
from course.nn.model import lenet5, mlp
from course.nn.train import Split, fit


@pytest.fixture(scope="module")
def tf():
    pytest.importorskip("tensorflow")
    keras_cnn.load_keras()
    import tensorflow
    return tensorflow


def close(a, b, rtol=1e-10, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


def test_conv_kernel_and_dense_rows_are_reordered_as_keras_reads_them():
    """Does a conv kernel (F, C, KH, KW) become (KH, KW, C, F), and do the dense rows follow (H, W, C) order?"""
    W = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    K = keras_cnn.conv_kernel_to_keras(W)
    assert K.shape == (4, 5, 3, 2)
    assert K[1, 2, 0, 1] == W[1, 0, 1, 2]
    # A (C, H, W) map flattened channel by channel, times W, equals its (H, W, C) version times the rows.
    g = np.random.default_rng(0)
    maps, Wd = g.normal(size=(3, 2, 4)), g.normal(size=(24, 5))
    close(maps.transpose(1, 2, 0).reshape(-1) @ keras_cnn.dense_rows_to_keras(Wd, (3, 2, 4)), maps.reshape(-1) @ Wd)


def test_keras_lenet5_has_the_shapes_and_parameters_of_course_nn_lenet5(tf):
    """Does keras_lenet5 have lesson 09's layers, output shapes and 61,706 parameters?"""
    model = keras_cnn.keras_lenet5()
    assert [layer.name for layer in model.layers] == list(keras_cnn.LENET5_LAYERS)
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == [
        (28, 28, 6), (14, 14, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
    ours = lenet5(np.random.default_rng(0))
    assert model.count_params() == sum(p.size for p in ours.params.values()) == 61_706
    assert [w.shape for w in model.get_weights()] == [w.shape for w in keras_cnn.lenet5_weights_to_keras(ours.params)]


def test_keras_init_has_course_nn_scale(tf):
    """Are the Keras weights drawn with course.nn's He scale, untruncated (some beyond 2.5 standard deviations)?"""
    kernel = keras_cnn.keras_lenet5().get_layer("dense1").get_weights()[0]      # (400, 120)
    assert abs(kernel.std() / np.sqrt(2 / 400) - 1) < 0.03
    assert np.mean(np.abs(kernel) > 2.5 * np.sqrt(2 / 400)) > 0.005              # 1.2% untruncated; truncated: none


def test_copied_weights_give_the_same_scores_loss_and_gradients(tf):
    """After a short course.nn training, does the copied Keras model agree on scores, loss and gradients (float64)?"""
    import keras

    g = np.random.default_rng(1)
    X, y = g.random((64, 28, 28)), np.arange(64) % 10
    net = lenet5(np.random.default_rng(2), dtype=np.float64)
    fit(net, (X, y), num_epochs=1, batch_size=16, eval_size=0, progress=False)   # biases no longer zero
    model = keras_cnn.keras_lenet5(dtype="float64")
    model.set_weights(keras_cnn.lenet5_weights_to_keras(net.params))
    Xb, yb = X[:16], y[:16]
    with tf.GradientTape() as tape:
        scores = model(Xb[..., None], training=True)
        loss = keras.ops.mean(keras.ops.sparse_categorical_crossentropy(yb, scores, from_logits=True))
    keras_grads = [v.numpy() for v in tape.gradient(loss, model.trainable_variables)]
    our_loss, our_grads = net.loss(Xb, yb)
    close(scores.numpy(), net.scores(Xb))
    close(float(loss), our_loss)
    for ours, theirs in zip(keras_cnn.lenet5_weights_to_keras(our_grads), keras_grads):
        close(ours, theirs)


def test_permute_pixels_moves_pixel_permutation_i_to_i():
    """Does permute_pixels keep the shape, apply one permutation to every image, and undo with the inverse?"""
    X = np.random.default_rng(3).random((4, 28, 28))
    perm = np.random.default_rng(4).permutation(784)
    P = keras_cnn.permute_pixels(X, perm)
    assert P.shape == X.shape
    assert P[2].reshape(-1)[10] == X[2].reshape(-1)[perm[10]]
    close(keras_cnn.permute_pixels(P, np.argsort(perm)), X)
    close(keras_cnn.permute_pixels(X.reshape(4, -1), perm), P.reshape(4, -1))


def test_activation_model_outputs_the_named_layers(tf):
    """Does activation_model output the named layers' activations, equal to running the layers by hand?"""
    model = keras_cnn.keras_lenet5()
    X = np.random.default_rng(5).random((3, 28, 28, 1)).astype(np.float32)
    conv1, dense1 = keras_cnn.activation_model(model, ["conv1", "dense1"])(X)
    assert tuple(conv1.shape) == (3, 28, 28, 6) and tuple(dense1.shape) == (3, 120)
    close(conv1.numpy(), model.get_layer("conv1")(X).numpy(), rtol=1e-6, atol=1e-6)


def test_permutation_experiment_and_timing_tables(tf):
    """Do the two experiment runners return one row per run with accuracies in [0, 1] and positive times?"""
    g = np.random.default_rng(6)
    X, y = g.random((96, 28, 28)).astype(np.float32), g.integers(0, 10, 96)
    split = Split(X[:64], y[:64], X[64:80], y[64:80])
    table, models = keras_cnn.permutation_experiment(
        {"MLP": lambda: keras_cnn.dense_classifier((784, 16, 10))}, split, X[80:], y[80:],
        g.permutation(784), num_epochs=1, batch_size=32)
    assert list(table.index) == [("MLP", "original"), ("MLP", "permuted")]
    assert list(table.columns) == ["train", "validation", "test"]
    assert ((table >= 0) & (table <= 1)).all().all()
    times = keras_cnn.interleaved_epoch_times(mlp((784, 16, 10), np.random.default_rng(0), dtype=np.float32),
                                              keras_cnn.dense_classifier((784, 16, 10)), X.reshape(96, -1), y,
                                              num_epochs=2, batch_size=32)
    assert len(times["numpy"]) == len(times["keras"]) == 2 and len(times["load"]) == 3
    row = keras_cnn.timing_table({"MLP": times}).loc["MLP"]
    assert row["epochs"] == 2 and row["NumPy min s"] > 0
    close(row["NumPy/Keras"], np.median(times["numpy"]) / np.median(times["keras"]))


def test_plot_confusion_writes_every_count():
    """Does plot_confusion draw the matrix with one count per cell?"""
    fig, ax = plt.subplots()
    keras_cnn.plot_confusion(ax, np.array([[3, 1], [0, 2]]), ["a", "b"], title="C")
    assert sorted(t.get_text() for t in ax.texts) == ["0", "1", "2", "3"]
    plt.close(fig)
