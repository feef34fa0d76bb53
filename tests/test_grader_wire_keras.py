"""Keras objects on the wire between the checker and the kernel: by value, one model on both ends.

Both ends run in this process (a socket pair, the kernel's end in a thread), as in test_grader_wire.py;
each end still holds its own copy of a model, as it would in two processes.
"""

import json
import socket
import threading

import numpy as np
import pytest

from autograder import wire
from autograder.wire import KerasObjectRefused, Peer, _unsafe_keras_classes
from course.frameworks import load_keras

keras = load_keras()


def student_mlp(sizes):
    """A student's builder: a keras.Sequential of Dense layers."""
    layers = [keras.layers.Dense(n, name=f"dense{l}") for l, n in enumerate(sizes[1:], start=1)]
    return keras.Sequential([keras.Input((sizes[0],)), *layers])


def student_copy_weights(value, model):
    """Sets every weight of ``model`` to ``value``, in place, and returns the model."""
    model.set_weights([np.full(w.shape, value, dtype=w.dtype) for w in model.get_weights()])
    return model


def student_lambda_model():
    return keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])


class Doubled(keras.layers.Layer):
    def call(self, x):
        return 2 * x


def student_custom_model():
    return keras.Sequential([keras.Input((2,)), Doubled()])


def student_scores(model, x):
    return model(x)


class StopAt(keras.callbacks.Callback):
    """A student's callback: stops the training when ``logs["accuracy"] >= target``."""

    def __init__(self, target):
        super().__init__()
        self.target, self.epochs = target, 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1
        if logs["accuracy"] >= self.target:
            self.model.stop_training = True


KERNEL = {f.__name__: f for f in (student_mlp, student_copy_weights, student_lambda_model, student_custom_model,
                                  student_scores, StopAt)}


@pytest.fixture
def kernel():
    """``get(name)``: the kernel's object of that name, as the checker's end sees it."""
    checker_sock, kernel_sock = socket.socketpair()
    kernel_end = Peer(kernel_sock, namespace=dict(KERNEL))
    thread = threading.Thread(target=kernel_end.serve, daemon=True)
    thread.start()
    checker = Peer(checker_sock, safe_modules={"keras"})
    yield lambda name: checker.request("names", names=[name])[name]
    checker.done()
    thread.join(5)
    checker_sock.close()
    kernel_sock.close()


def test_a_model_built_in_the_kernel_arrives_as_a_keras_model(kernel):
    """Does a student's model reach the checker as a real keras.Sequential (its class, layers, weights),
    a copy that the kernel's own code cannot answer for?"""
    model = kernel("student_mlp")((6, 5, 3))
    assert type(model) is keras.Sequential and not isinstance(model, wire.Proxy)
    assert [layer.name for layer in model.layers] == ["dense1", "dense2"]
    assert [tuple(layer.kernel.shape) for layer in model.layers] == [(6, 5), (5, 3)]
    assert model.count_params() == 53


def test_a_model_changed_by_the_kernel_is_changed_at_the_checker(kernel):
    """Does a test's model, given to a student's function that sets its weights in place and returns it,
    come back as the test's own object with the new weights?"""
    model = student_mlp((3, 2))
    result = kernel("student_copy_weights")(0.5, model)
    assert result is model
    assert all(np.all(w == 0.5) for w in model.get_weights())
    # the kernel keeps one copy per test model: changed here, it is changed there before the next call
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    scores = kernel("student_scores")(model, np.ones((1, 3), np.float32))
    assert np.array_equal(np.asarray(scores), [[0.0, 0.0]])


def test_a_tensor_arrives_as_a_tensor_with_its_values(kernel):
    model = student_mlp((2, 2))
    model.set_weights([np.eye(2, dtype=np.float32), np.array([1.0, 2.0], np.float32)])
    scores = kernel("student_scores")(model, np.array([[3.0, 4.0]], np.float32))
    assert hasattr(scores, "numpy") and np.array_equal(scores.numpy(), [[4.0, 6.0]])


def test_a_kernel_callback_stops_the_checkers_fit(kernel):
    """Does a student's callback that sets ``self.model.stop_training`` on its copy of the model stop the
    ``fit`` that runs at the checker's end, after the epoch that reached the target?"""
    model = student_mlp((2, 2))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    callback = kernel("StopAt")(0.0)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[callback])
    assert len(history.epoch) == 1 and callback.epochs == 1 and model.stop_training
    callback.target = 0.5
    callback.set_model(model)
    model.stop_training = False          # changed here after set_model: the kernel's copy follows
    callback.on_epoch_end(0, {"accuracy": 0.1})
    assert callback.model.stop_training is False and model.stop_training is False
    callback.on_epoch_end(1, {"accuracy": 1.0})
    assert model.stop_training is True


@pytest.mark.parametrize("builder, named", [("student_lambda_model", "Lambda"), ("student_custom_model", "Doubled")])
def test_a_model_with_a_class_keras_does_not_own_is_refused_with_the_reason(kernel, builder, named):
    """Is a model holding a Lambda layer or a class of the student's own refused at the checker's end (it
    would run the student's code there) with a message that names the class and the fix?"""
    with pytest.raises(KerasObjectRefused, match=f"{named}.*keras.layers"):
        kernel(builder)()


def test_a_configuration_naming_another_module_is_refused():
    """Does the check refuse classes of other modules, registered names, and Keras's file-loading layers,
    and accept a plain model's configuration?"""
    plain = json.loads(json.dumps(keras.saving.serialize_keras_object(student_mlp((3, 2)))))
    assert _unsafe_keras_classes(plain) == []
    hostile = json.loads(json.dumps(plain))
    hostile["config"]["layers"][1]["module"] = "os"
    assert _unsafe_keras_classes(hostile) == ["Dense (from os)"]
    loader = {"module": "keras.layers", "class_name": "TFSMLayer", "config": {"filepath": "/tmp/x"}}
    assert _unsafe_keras_classes({"layers": [loader]}) == ["TFSMLayer (from keras.layers)"]
    registered = {"module": None, "class_name": "Dense", "registered_name": "mine>Dense", "config": {}}
    assert _unsafe_keras_classes(registered) == ["Dense (from mine>Dense)"]
