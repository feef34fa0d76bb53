"""Does every graded solution function compute what its reference in ``course.nn`` computes?

``course/nn/references.py`` names, for every graded function of every lesson, the library function
it is the reference of (or None: an exercise that stays in its lesson). This file runs each solution
function, defined straight from the solution notebook's cells, and its reference on the same random
inputs, and fails on the first disagreement: the solution and the library cannot drift apart.
No kernel is started; only the definitions of each notebook are executed.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache

import numpy as np
import pytest

from autograder.lessons import lesson_ids, solution_path
from course.nn import activations, dense, dropout, functional, init, losses, metrics, optim
from course.nn.batches import minibatches
from course.nn.model import FunctionModel, mlp, two_layer_net
from course.nn.references import REFERENCES
from course.nn.train import fit

DEF_RE = re.compile(r"^def (\w+)\(", re.M)


def _cells(lesson):
    with open(solution_path(lesson), encoding="utf-8") as f:
        return [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]


def _source(cell):
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def graded_functions(lesson):
    """The names of the functions the solution cells of ``lesson`` define, in notebook order."""
    names = []
    for cell in _cells(lesson):
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            names += DEF_RE.findall(_source(cell))
    return names


def _is_definition(node):
    """Imports, functions, classes and UPPER_CASE constants: what later cells build on, nothing that runs long."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        # `keras = load_keras()`: an import in all but name (lessons 11-12 define classes on keras.*).
        if (isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                and node.value.func.id == "load_keras"):
            return True
        # Module constants like INITIALIZERS or LAYER_SIZES; single capitals (X, Z, N) are data.
        return all(isinstance(t, ast.Name) and t.id.isupper() and len(t.id) > 1 for t in node.targets)
    return False


@lru_cache(maxsize=None)
def solution(lesson):
    """The namespace of the solution notebook's definitions (test cells and demos are not run)."""
    namespace = {"__name__": f"solution_{lesson}"}
    for cell in _cells(lesson):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            continue   # test cells
        source = _source(cell)
        if source.lstrip().startswith(("%", "!")):
            continue
        for node in ast.parse(source).body:
            if not _is_definition(node):
                continue
            code = compile(ast.Module(body=[node], type_ignores=[]), f"<{lesson}>", "exec")
            if isinstance(node, ast.Assign):
                try:      # a constant built from the notebook's data (not executed here) is not needed
                    exec(code, namespace)
                except NameError:
                    pass
            else:
                exec(code, namespace)
    return namespace


def close(actual, expected, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol)


def same_dicts(actual, expected, **tol):
    assert sorted(actual) == sorted(expected)
    for key in expected:
        close(actual[key], expected[key], **tol)


def rng(seed=0):
    return np.random.default_rng(seed)


def two_layer_params(seed=0, sizes=(5, 7, 3)):
    return two_layer_net(*sizes, rng(seed)).params


# -----------------------------------------------------------------------------------------------
# One check per graded function with a reference: solution namespace `s` against the library.
# -----------------------------------------------------------------------------------------------

def check_softmax(s):
    for Z in (rng(1).normal(scale=5, size=(4, 6)), np.array([[1000.0, -1000.0, 0.0]]), rng(2).normal(size=5)):
        close(s["softmax"](Z), functional.softmax(Z))


def check_dense(s):
    g = rng(3)
    X, W, b = g.normal(size=(4, 3)), g.normal(size=(3, 5)), g.normal(size=5)
    close(s["dense"](X, W, b), dense.dense_forward(X, W, b)[0])


def _elementwise(name, reference):
    def check(s):
        x = np.concatenate([rng(4).normal(scale=3, size=20), [-800.0, 0.0, 800.0]])
        close(s[name](x), reference(x)[0] if isinstance(reference(x), tuple) else reference(x))
    return check


def _initializer(name, *args):
    def check(s):
        close(s[name](7, 4, *args, rng(5)), getattr(init, name)(7, 4, *args, rng(5)))
    return check


def check_zeros_init(s):
    close(s["zeros_init"](3, 4), init.zeros_init(3, 4))


def check_constant_init(s):
    close(s["constant_init"](3, 4, 2), init.constant_init(3, 4, 2))


def check_initialize_parameters(s):
    for method in init.INITIALIZERS:
        same_dicts(s["initialize_parameters"]((6, 5, 3), method, rng(6)), init.init_params((6, 5, 3), rng(6), method))


def check_two_layer_forward(s):
    X, params = rng(7).normal(size=(6, 5)), two_layer_params(8)
    net = two_layer_net(5, 7, 3, None, params=params)
    close(s["two_layer_forward"](X, params), functional.softmax(net.scores(X), axis=1))


def check_predict(s):
    X, params = rng(9).normal(size=(50, 5)), two_layer_params(10)
    np.testing.assert_array_equal(s["predict"](X, params), two_layer_net(5, 7, 3, None, params=params).predict(X))


def check_cross_entropy(s):
    P = functional.softmax(rng(11).normal(scale=3, size=(6, 4)))
    y = rng(12).integers(0, 4, size=6)
    close(s["cross_entropy"](P, y), losses.cross_entropy(P, y))
    close(s["cross_entropy"](P, np.eye(4)[y]), losses.cross_entropy(P, np.eye(4)[y]))


def check_training_loss(s):
    X, params = rng(13).normal(size=(6, 5)), two_layer_params(14)
    y = rng(15).integers(0, 3, size=6)
    P = functional.softmax(two_layer_net(5, 7, 3, None, params=params).scores(X), axis=1)
    close(s["training_loss"](X, np.eye(3)[y], params), losses.cross_entropy(P, np.eye(3)[y]))


def check_accuracy(s):
    y_true, y_pred = rng(16).integers(0, 3, size=40), rng(17).integers(0, 3, size=40)
    close(s["accuracy"](y_true, y_pred), metrics.accuracy(y_true, y_pred))


def check_confusion_matrix(s):
    y_true, y_pred = rng(18).integers(0, 4, size=40), rng(19).integers(0, 4, size=40)
    np.testing.assert_array_equal(s["confusion_matrix"](y_true, y_pred, 5), metrics.confusion_matrix(y_true, y_pred, 5))


def check_dense_backward(s):
    g = rng(20)
    X, W, b, dout = g.normal(size=(4, 3)), g.normal(size=(3, 5)), g.normal(size=5), g.normal(size=(4, 5))
    cache = dense.dense_forward(X, W, b)[1]
    for ours, ref in zip(s["dense_backward"](dout, cache), dense.dense_backward(dout, cache)):
        close(ours, ref)


def _backward(name):
    def check(s):
        g = rng(21)
        x, dout = g.normal(scale=2, size=(5, 4)), g.normal(size=(5, 4))
        forward = getattr(activations, name.replace("backward", "forward"))
        cache = forward(x)[1]
        close(s[name](dout, cache), getattr(activations, name)(dout, cache))
    return check


def check_softmax_cross_entropy(s):
    scores, y = rng(22).normal(scale=4, size=(6, 5)), rng(23).integers(0, 5, size=6)
    loss, dscores = s["softmax_cross_entropy"](scores, y)
    ref_loss, ref_dscores = losses.softmax_cross_entropy(scores, y)
    close(loss, ref_loss)
    close(dscores, ref_dscores)


def check_two_layer_loss(s):
    X, y, params = rng(24).normal(size=(8, 5)), rng(25).integers(0, 3, size=8), two_layer_params(26)
    for reg in (0.0, 0.1):
        loss, grads = s["two_layer_loss"](X, y, params, reg=reg)
        ref_loss, ref_grads = two_layer_net(5, 7, 3, None, reg=reg, params=params).loss(X, y)
        close(loss, ref_loss)
        same_dicts(grads, ref_grads)


def _update_rule(name, config):
    def check(s):
        g = rng(27)
        w, gradients = g.normal(size=(3, 4)), [g.normal(size=(3, 4)) for _ in range(5)]
        ours, theirs = (w.copy(), dict(config)), (w.copy(), dict(config))
        for dw in gradients:
            ours = s[name](ours[0], dw, ours[1])
            theirs = getattr(optim, name)(theirs[0], dw, theirs[1])
        close(ours[0], theirs[0])
    return check


def check_minibatches(s):
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20)
    for (Xa, ya), (Xb, yb) in zip(s["minibatches"](X, y, 6, rng(28)), minibatches(X, y, 6, rng(28)), strict=True):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)


def check_train(s):
    g = rng(29)
    X = g.normal(size=(60, 4))
    y = np.argmax(X @ g.normal(size=(4, 3)), axis=1)
    params0 = two_layer_net(4, 8, 3, rng(30)).params
    loss_and_grads = lambda X, y, p: two_layer_net(4, 8, 3, None, params=p, copy=False).loss(X, y)   # noqa: E731
    scores = lambda X, p: two_layer_net(4, 8, 3, None, params=p, copy=False).loss(X)   # noqa: E731
    predict = lambda X, p: np.argmax(scores(X, p), axis=1)   # noqa: E731
    for optimizer in ("sgd", "sgd_momentum", "adam"):
        params, history = s["train"](params0, X[:45], y[:45], X[45:], y[45:], loss_and_grads, predict,
                                     s[optimizer], {"lr": 0.05}, num_epochs=3, batch_size=8, rng=rng(31),
                                     progress=False)
        model = FunctionModel(params0, loss_and_grads, scores)
        ref = fit(model, (X[:45], y[:45], X[45:], y[45:]), num_epochs=3, batch_size=8, optimizer=optimizer,
                  lr=0.05, rng=rng(31), eval_size=None, progress=False)
        same_dicts(params, model.params)
        for key in ("loss", "batch_loss", "train_acc", "val_acc"):
            close(history[key], ref[key])


def check_init_deep(s):
    for method in init.INIT_METHODS:
        same_dicts(s["init_deep"]((6, 5, 4, 3), rng(32), method), init.init_params((6, 5, 4, 3), rng(32), method))


def check_dropout_forward(s):
    x = rng(33).normal(size=(6, 7))
    for p, train in ((0.3, True), (0.0, True), (0.5, False)):
        out, mask = s["dropout_forward"](x, p, train, rng(34))
        ref_out, ref_mask = dropout.dropout_forward(x, p, train, rng(34))
        close(out, ref_out)
        assert (mask is None) == (ref_mask is None)


def check_dropout_backward(s):
    x, dout = rng(35).normal(size=(6, 7)), rng(36).normal(size=(6, 7))
    mask = dropout.dropout_forward(x, 0.4, True, rng(37))[1]
    close(s["dropout_backward"](dout, mask), dropout.dropout_backward(dout, mask))
    close(s["dropout_backward"](dout, None), dout)


SIZES = (6, 5, 4, 3)


def _deep_case(seed):
    g = rng(seed)
    return g.normal(size=(9, SIZES[0])), g.integers(0, SIZES[-1], size=9), init.init_params(SIZES, rng(seed + 1))


def check_deep_forward(s):
    X, _, params = _deep_case(38)
    for activation in activations.ACTIVATIONS:
        scores, caches = s["deep_forward"](X, params, activation)
        close(scores, mlp(SIZES, None, activation, params=params).scores(X))
        assert len(caches) == len(SIZES) - 1


def check_deep_backward(s):
    X, y, params = _deep_case(39)
    for activation in activations.ACTIVATIONS:
        scores, caches = s["deep_forward"](X, params, activation)
        grads = s["deep_backward"](losses.softmax_cross_entropy(scores, y)[1], caches)
        same_dicts(grads, mlp(SIZES, None, activation, params=params).loss(X, y)[1])


def check_l2_penalty(s):
    params = init.init_params(SIZES, rng(40))
    close(s["l2_penalty"](params, 0.3), losses.l2_penalty(params, 0.3))


def check_deep_loss(s):
    X, y, params = _deep_case(41)
    for reg, p in ((0.0, 0.0), (0.05, 0.0), (0.05, 0.4)):
        loss, grads = s["deep_loss"](X, y, params, reg, p, True, rng(42), "tanh")
        ref_loss, ref_grads = mlp(SIZES, rng(42), "tanh", dropout=p, reg=reg, params=params).loss(X, y)
        close(loss, ref_loss)
        same_dicts(grads, ref_grads)


CHECKS = {
    ("01_softmax", "softmax"): check_softmax,
    ("02_dense_layers", "dense"): check_dense,
    ("02_dense_layers", "relu"): _elementwise("relu", activations.relu_forward),
    ("02_dense_layers", "leaky_relu"): _elementwise("leaky_relu", activations.leaky_relu_forward),
    ("02_dense_layers", "sigmoid"): _elementwise("sigmoid", functional.sigmoid),
    ("02_dense_layers", "tanh"): _elementwise("tanh", activations.tanh_forward),
    ("02_dense_layers", "elu"): _elementwise("elu", activations.elu_forward),
    ("03_initialization", "zeros_init"): check_zeros_init,
    ("03_initialization", "constant_init"): check_constant_init,
    ("03_initialization", "normal_init"): _initializer("normal_init", 0.3),
    ("03_initialization", "xavier_uniform"): _initializer("xavier_uniform"),
    ("03_initialization", "xavier_normal"): _initializer("xavier_normal"),
    ("03_initialization", "he_normal"): _initializer("he_normal"),
    ("03_initialization", "lecun_normal"): _initializer("lecun_normal"),
    ("03_initialization", "initialize_parameters"): check_initialize_parameters,
    ("04_one_hot_and_forward", "two_layer_forward"): check_two_layer_forward,
    ("04_one_hot_and_forward", "predict"): check_predict,
    ("05_cross_entropy_and_prediction", "cross_entropy"): check_cross_entropy,
    ("05_cross_entropy_and_prediction", "training_loss"): check_training_loss,
    ("05_cross_entropy_and_prediction", "accuracy"): check_accuracy,
    ("05_cross_entropy_and_prediction", "confusion_matrix"): check_confusion_matrix,
    ("06_backpropagation", "dense_backward"): check_dense_backward,
    ("06_backpropagation", "relu_backward"): _backward("relu_backward"),
    ("06_backpropagation", "sigmoid_backward"): _backward("sigmoid_backward"),
    ("06_backpropagation", "tanh_backward"): _backward("tanh_backward"),
    ("06_backpropagation", "softmax_cross_entropy"): check_softmax_cross_entropy,
    ("06_backpropagation", "two_layer_loss"): check_two_layer_loss,
    ("07_optimizers", "sgd"): _update_rule("sgd", {"lr": 0.1}),
    ("07_optimizers", "sgd_momentum"): _update_rule("sgd_momentum", {"lr": 0.1, "momentum": 0.8}),
    ("07_optimizers", "adam"): _update_rule("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}),
    ("07_optimizers", "minibatches"): check_minibatches,
    ("07_optimizers", "train"): check_train,
    ("08_deep_networks", "init_deep"): check_init_deep,
    ("08_deep_networks", "dropout_forward"): check_dropout_forward,
    ("08_deep_networks", "dropout_backward"): check_dropout_backward,
    ("08_deep_networks", "deep_forward"): check_deep_forward,
    ("08_deep_networks", "deep_backward"): check_deep_backward,
    ("08_deep_networks", "l2_penalty"): check_l2_penalty,
    ("08_deep_networks", "deep_loss"): check_deep_loss,
}

PAIRS = [(lesson, name) for lesson, table in REFERENCES.items() for name, ref in table.items() if ref]


def test_every_lesson_and_graded_function_is_in_the_table():
    """Does references.py list every lesson and exactly the functions its solution cells grade?"""
    assert sorted(REFERENCES) == sorted(lesson_ids()), "add the new lesson to course/nn/references.py"
    for lesson in lesson_ids():
        assert sorted(REFERENCES[lesson]) == sorted(graded_functions(lesson)), (
            f"{lesson}: course/nn/references.py lists {sorted(REFERENCES[lesson])}, the solution cells "
            f"define {sorted(graded_functions(lesson))}")


def test_every_reference_has_an_agreement_check():
    """Is there a check below for every graded function that names a library reference (and no stale one)?"""
    assert sorted(PAIRS) == sorted(CHECKS)


@pytest.mark.parametrize("lesson, name", PAIRS, ids=[f"{lesson[:2]}-{name}" for lesson, name in PAIRS])
def test_solution_agrees_with_its_reference(lesson, name):
    """Does the solution's graded function compute what its course.nn reference computes?"""
    namespace = solution(lesson)
    assert name in namespace, f"{lesson}: the solution cells no longer define {name}"
    with np.errstate(all="ignore"):
        CHECKS[(lesson, name)](namespace)


# --- lesson 09: convolution, pooling, flatten, LeNet-5, batch norm ------------------------------

from course.nn import batchnorm, conv, pool, reshape  # noqa: E402 - the lesson 09 checks, kept together
from course.nn.model import lenet5  # noqa: E402

CONV_CASES = [((2, 3, 7, 8), (4, 3, 3, 3), 1, 1), ((2, 1, 9, 9), (2, 1, 5, 5), 2, 2),
              ((3, 2, 6, 5), (3, 2, 2, 2), 3, 0), ((2, 6, 14, 14), (16, 6, 5, 5), 1, 0)]


def _conv_case(seed, X_shape, W_shape):
    g = rng(seed)
    return g.normal(size=X_shape), g.normal(size=W_shape), g.normal(size=W_shape[0])


def check_conv_output_size(s):
    for size, kernel, stride, pad in ((28, 5, 1, 2), (14, 5, 1, 0), (7, 3, 2, 1), (8, 3, 3, 0), (5, 5, 1, 0)):
        assert s["conv_output_size"](size, kernel, stride, pad) == conv.conv_output_size(size, kernel, stride, pad)


def _conv_forward(name, reference):
    def check(s):
        for k, (X_shape, W_shape, stride, pad) in enumerate(CONV_CASES):
            X, W, b = _conv_case(43 + k, X_shape, W_shape)
            close(s[name](X, W, b, stride, pad)[0], reference(X, W, b, stride, pad)[0])
    return check


def check_conv_backward(s):
    for k, (X_shape, W_shape, stride, pad) in enumerate(CONV_CASES):
        X, W, b = _conv_case(47 + k, X_shape, W_shape)
        out, cache = s["conv_forward"](X, W, b, stride, pad)
        ref_out, ref_cache = conv.conv_forward(X, W, b, stride, pad)
        dout = rng(51 + k).normal(size=ref_out.shape)
        for ours, ref in zip(s["conv_backward"](dout, cache), conv.conv_backward(dout, ref_cache)):
            close(ours, ref)


def _pool_input(seed):
    X = np.round(rng(seed).normal(size=(3, 4, 8, 6)), 0)   # rounded: windows with ties
    X[:, :, :4] = 0.0                                       # and a flat background
    return X


def check_maxpool_forward(s):
    X = _pool_input(52)
    close(s["maxpool_forward"](X)[0], pool.maxpool_forward(X)[0])


def check_maxpool_backward(s):
    X = _pool_input(53)
    dout = rng(54).normal(size=(3, 4, 4, 3))
    close(s["maxpool_backward"](dout, s["maxpool_forward"](X)[1]),
          pool.maxpool_backward(dout, pool.maxpool_forward(X)[1]))


def check_flatten_forward(s):
    X = rng(55).normal(size=(4, 3, 2, 5))
    close(s["flatten_forward"](X)[0], reshape.flatten_forward(X)[0])


def check_flatten_backward(s):
    X, dout = rng(56).normal(size=(4, 3, 2, 5)), rng(57).normal(size=(4, 30))
    close(s["flatten_backward"](dout, s["flatten_forward"](X)[1]), reshape.flatten_backward(dout, X.shape))


def _lenet5_case(seed):
    net = lenet5(rng(seed), dtype=np.float64)
    params = {name: value + rng(seed + 1).normal(scale=0.05, size=value.shape) if name.startswith("b") else value
              for name, value in net.params.items()}
    return rng(seed + 2).random((5, 1, 28, 28)), rng(seed + 3).integers(0, 10, size=5), params


def check_lenet5_forward(s):
    X, _, params = _lenet5_case(58)
    close(s["lenet5_forward"](X, params)[0], lenet5(None, dtype=np.float64, params=params).scores(X))


def check_lenet5_loss(s):
    X, y, params = _lenet5_case(62)
    for reg in (0.0, 0.01):
        loss, grads = s["lenet5_loss"](X, y, params, reg)
        ref_loss, ref_grads = lenet5(None, dtype=np.float64, reg=reg, params=params).loss(X, y)
        close(loss, ref_loss)
        same_dicts(grads, ref_grads, rtol=1e-9, atol=1e-12)


def _bn_case(seed, shape):
    g = rng(seed)
    return g.normal(loc=2.0, scale=3.0, size=shape), g.normal(size=shape[1]), g.normal(size=shape[1])


def check_batchnorm_forward(s):
    for shape in ((8, 5), (4, 3, 3, 2)):
        x, gamma, beta = _bn_case(66, shape)
        ours, ref = {"mode": "train", "momentum": 0.8}, {"mode": "train", "momentum": 0.8}
        for _ in range(2):
            close(s["batchnorm_forward"](x, gamma, beta, ours)[0],
                  batchnorm.batchnorm_forward(x, gamma, beta, ref)[0])
        close(ours["running_mean"], ref["running_mean"])
        close(ours["running_var"], ref["running_var"])
        ours["mode"] = ref["mode"] = "test"
        close(s["batchnorm_forward"](x[:2], gamma, beta, ours)[0],
              batchnorm.batchnorm_forward(x[:2], gamma, beta, ref)[0])


def check_batchnorm_backward(s):
    for shape in ((8, 5), (4, 3, 3, 2)):
        x, gamma, beta = _bn_case(67, shape)
        dout = rng(68).normal(size=shape)
        for mode in ("train", "test"):
            def bn_param(mode=mode, shape=shape):
                return {"mode": mode, "running_mean": np.full(shape[1], 0.5), "running_var": np.full(shape[1], 2.0)}
            ours_param, ref_param = bn_param(), bn_param()
            cache = s["batchnorm_forward"](x, gamma, beta, ours_param)[1]
            ref_cache = batchnorm.batchnorm_forward(x, gamma, beta, ref_param)[1]
            for ours, ref in zip(s["batchnorm_backward"](dout, cache), batchnorm.batchnorm_backward(dout, ref_cache)):
                close(ours, ref, rtol=1e-10, atol=1e-12)


CHECKS.update({
    ("09_lenet5", "conv_output_size"): check_conv_output_size,
    ("09_lenet5", "conv_forward_naive"): _conv_forward("conv_forward_naive", conv.conv_forward_naive),
    ("09_lenet5", "conv_forward"): _conv_forward("conv_forward", conv.conv_forward),
    ("09_lenet5", "conv_backward"): check_conv_backward,
    ("09_lenet5", "maxpool_forward"): check_maxpool_forward,
    ("09_lenet5", "maxpool_backward"): check_maxpool_backward,
    ("09_lenet5", "flatten_forward"): check_flatten_forward,
    ("09_lenet5", "flatten_backward"): check_flatten_backward,
    ("09_lenet5", "lenet5_forward"): check_lenet5_forward,
    ("09_lenet5", "lenet5_loss"): check_lenet5_loss,
    ("09_lenet5", "batchnorm_forward"): check_batchnorm_forward,
    ("09_lenet5", "batchnorm_backward"): check_batchnorm_backward,
})


# --- lesson 10: RNN, LSTM, GRU, bidirectional, embeddings, the LSTM classifier ---------------------

from course.nn import embedding, recurrent  # noqa: E402 - the lesson 10 checks, kept together
from course.nn.model import lstm_classifier  # noqa: E402

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _cell_case(seed, cell, N=3, T=5, D=4, H=3):
    g, G = rng(seed), GATES[cell]
    return (g.normal(size=(N, T, D)), g.normal(size=(N, H)), g.normal(scale=0.5, size=(D, G * H)),
            g.normal(scale=0.5, size=(H, G * H)), g.normal(scale=0.5, size=G * H))


def _step_forward(cell):
    def check(s):
        X, h0, Wx, Wh, b = _cell_case(120, cell)
        name = f"{cell}_step_forward"
        if cell == "lstm":
            c0 = rng(121).normal(size=h0.shape)
            ours, ref = s[name](X[:, 0], h0, c0, Wx, Wh, b), recurrent.lstm_step_forward(X[:, 0], h0, c0, Wx, Wh, b)
            close(ours[0], ref[0])
            close(ours[1], ref[1])
        else:
            close(s[name](X[:, 0], h0, Wx, Wh, b)[0], getattr(recurrent, name)(X[:, 0], h0, Wx, Wh, b)[0])
    return check


def _step_backward(cell):
    def check(s):
        X, h0, Wx, Wh, b = _cell_case(122, cell)
        g = rng(123)
        forward, backward = f"{cell}_step_forward", f"{cell}_step_backward"
        if cell == "lstm":
            c0, dh, dc = g.normal(size=h0.shape), g.normal(size=h0.shape), g.normal(size=h0.shape)
            ours = s[backward](dh, dc, s[forward](X[:, 0], h0, c0, Wx, Wh, b)[2])
            ref = recurrent.lstm_step_backward(dh, dc, recurrent.lstm_step_forward(X[:, 0], h0, c0, Wx, Wh, b)[2])
        else:
            dh = g.normal(size=h0.shape)
            ours = s[backward](dh, s[forward](X[:, 0], h0, Wx, Wh, b)[1])
            ref = getattr(recurrent, backward)(dh, getattr(recurrent, forward)(X[:, 0], h0, Wx, Wh, b)[1])
        assert len(ours) == len(ref)
        for a, r in zip(ours, ref):
            close(a, r, rtol=1e-10)
    return check


def _sequence(cell, part):
    def check(s):
        X, h0, Wx, Wh, b = _cell_case(124, cell)
        forward, backward = recurrent.CELLS[cell]
        H_ours, cache = s[f"{cell}_forward"](X, h0, Wx, Wh, b)
        H_ref, ref_cache = forward(X, h0, Wx, Wh, b)
        close(H_ours, H_ref, rtol=1e-10)
        if part == "backward":
            dH = rng(125).normal(size=H_ref.shape)
            for a, r in zip(s[f"{cell}_backward"](dH, cache), backward(dH, ref_cache)):
                close(a, r, rtol=1e-9, atol=1e-12)
        X32 = [a.astype(np.float32) for a in (X, h0, Wx, Wh, b)]
        close(s[f"{cell}_forward"](*X32)[0], forward(*X32)[0], rtol=1e-4, atol=1e-5)
    return check


def _bidirectional(part):
    def check(s):
        X = rng(126).normal(size=(2, 4, 3))
        for cell in ("rnn", "lstm", "gru"):
            params = [_cell_case(127 + k, cell, D=3, H=2)[2:] for k in range(2)]
            pair = (s[f"{cell}_forward"], s[f"{cell}_backward"])
            out, cache = s["bidirectional_forward"](X, pair, *params)
            ref_out, ref_cache = recurrent.bidirectional_forward(X, cell, *params)
            close(out, ref_out, rtol=1e-10)
            if part == "backward":
                dout = rng(129).normal(size=out.shape)
                dX, gf, gb = s["bidirectional_backward"](dout, cache)
                rdX, rgf, rgb = recurrent.bidirectional_backward(dout, ref_cache)
                close(dX, rdX, rtol=1e-9, atol=1e-12)
                for a, r in zip((*gf, *gb), (*rgf, *rgb)):
                    close(a, r, rtol=1e-9, atol=1e-12)
    return check


def check_embedding(s):
    W, tokens = rng(130).normal(size=(6, 3)), rng(131).integers(0, 6, size=(4, 5))
    out, cache = s["embedding_forward"](tokens, W)
    ref_out, ref_cache = embedding.embedding_forward(tokens, W)
    close(out, ref_out)
    dout = rng(132).normal(size=out.shape)
    close(s["embedding_backward"](dout, cache), embedding.embedding_backward(dout, ref_cache))


def _lstm_classifier_case(seed, pool):
    net = lstm_classifier(rng(seed), num_inputs=4, num_hiddens=3, num_classes=5, input_shape=None,
                          dtype=np.float64, pool=pool)
    params = {name: value + rng(seed + 1).normal(scale=0.1, size=value.shape) for name, value in net.params.items()}
    return rng(seed + 2).normal(size=(6, 7, 4)), rng(seed + 3).integers(0, 5, size=6), params


def check_lstm_classifier_scores(s):
    for pooling in ("last", "mean"):
        X, _, params = _lstm_classifier_case(133, pooling)
        ref = lstm_classifier(None, num_inputs=4, num_hiddens=3, num_classes=5, input_shape=None, dtype=np.float64,
                              pool=pooling, params=params)
        close(s["lstm_classifier_scores"](X, params, pooling), ref.scores(X), rtol=1e-10)


def check_lstm_classifier_loss(s):
    for pooling in ("last", "mean"):
        X, y, params = _lstm_classifier_case(137, pooling)
        loss, grads = s["lstm_classifier_loss"](X, y, params, pooling)
        ref = lstm_classifier(None, num_inputs=4, num_hiddens=3, num_classes=5, input_shape=None, dtype=np.float64,
                              pool=pooling, params=params)
        ref_loss, ref_grads = ref.loss(X, y)
        close(loss, ref_loss)
        same_dicts(grads, ref_grads, rtol=1e-9, atol=1e-12)


CHECKS.update({("10_rnn", f"{cell}_step_{part}"): (_step_forward if part == "forward" else _step_backward)(cell)
               for cell in ("rnn", "lstm", "gru") for part in ("forward", "backward")})
CHECKS.update({("10_rnn", f"{cell}_{part}"): _sequence(cell, part)
               for cell in ("rnn", "lstm", "gru") for part in ("forward", "backward")})
CHECKS.update({
    ("10_rnn", "bidirectional_forward"): _bidirectional("forward"),
    ("10_rnn", "bidirectional_backward"): _bidirectional("backward"),
    ("10_rnn", "embedding_forward"): check_embedding,
    ("10_rnn", "embedding_backward"): check_embedding,
    ("10_rnn", "lstm_classifier_scores"): check_lstm_classifier_scores,
    ("10_rnn", "lstm_classifier_loss"): check_lstm_classifier_loss,
})


# --- lessons 11 and 12: the Keras rebuilds (their setup cell's `keras = load_keras()` runs too) --------

def _same_weights(model, reference):
    got, expected = model.get_weights(), reference.get_weights()
    assert [w.shape for w in got] == [w.shape for w in expected]
    for a, b in zip(got, expected):
        close(a, b, rtol=0, atol=0)


def check_build_keras_mlp(s):
    from course.keras_mlp import keras_mlp
    X = rng(160).normal(size=(4, 6)).astype(np.float32)
    for api, activation in (("sequential", "relu"), ("functional", "tanh")):
        model = s["build_keras_mlp"]((6, 5, 4, 3), activation=activation, api=api)
        reference = keras_mlp((6, 5, 4, 3), activation=activation, api=api)
        assert model.count_params() == reference.count_params()
        reference.set_weights(model.get_weights())          # same weights: the same function of X
        close(model.predict(X, verbose=0), reference.predict(X, verbose=0), rtol=1e-6, atol=1e-6)


def check_copy_weights_to_keras(s):
    from course.keras_mlp import dense_weights_to_keras, keras_mlp
    params = mlp((6, 5, 3), rng(161)).params
    _same_weights(s["copy_weights_to_keras"](params, keras_mlp((6, 5, 3))),
                  dense_weights_to_keras(params, keras_mlp((6, 5, 3))))


def check_keras_lenet5(s):
    from course.keras_cnn import keras_lenet5
    model, reference = s["keras_lenet5"](), keras_lenet5()
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    shapes = [tuple(layer.output.shape) for layer in reference.layers]
    assert [tuple(layer.output.shape) for layer in model.layers] == shapes
    assert model.count_params() == reference.count_params() == 61_706


def check_conv_kernel_to_keras(s):
    from course.keras_cnn import conv_kernel_to_keras
    W = rng(162).normal(size=(4, 3, 5, 2))
    close(s["conv_kernel_to_keras"](W), conv_kernel_to_keras(W), rtol=0, atol=0)


def check_lenet5_weights_to_keras(s):
    from course.keras_cnn import lenet5_weights_to_keras
    params = lenet5(rng(163), dtype=np.float64).params
    got, expected = s["lenet5_weights_to_keras"](params), lenet5_weights_to_keras(params)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        close(a, b, rtol=0, atol=0)


def check_activation_model(s):
    from course.keras_cnn import activation_model, keras_lenet5
    net = keras_lenet5()
    X = rng(164).random((2, 28, 28, 1)).astype(np.float32)
    names = ["relu2", "conv1"]
    got = s["activation_model"](net, names).predict(X, verbose=0)
    expected = activation_model(net, names).predict(X, verbose=0)
    for a, b in zip(got, expected):
        close(a, b, rtol=1e-6, atol=1e-6)


def check_permute_pixels(s):
    from course.keras_cnn import permute_pixels
    X, order = rng(165).random((3, 28, 28)), rng(166).permutation(784)
    close(s["permute_pixels"](X, order), permute_pixels(X, order), rtol=0, atol=0)
    close(s["permute_pixels"](X.reshape(3, 784), order), permute_pixels(X.reshape(3, 784), order), rtol=0, atol=0)


CHECKS.update({
    ("11_keras_mlp", "build_keras_mlp"): check_build_keras_mlp,
    ("11_keras_mlp", "copy_weights_to_keras"): check_copy_weights_to_keras,
    ("12_keras_lenet5", "keras_lenet5"): check_keras_lenet5,
    ("12_keras_lenet5", "conv_kernel_to_keras"): check_conv_kernel_to_keras,
    ("12_keras_lenet5", "lenet5_weights_to_keras"): check_lenet5_weights_to_keras,
    ("12_keras_lenet5", "activation_model"): check_activation_model,
    ("12_keras_lenet5", "permute_pixels"): check_permute_pixels,
})


# --- lesson 13: recurrent layers and text in Keras (course.keras_rnn) --------------------------------------

def check_recurrent_weights_to_keras(s):
    from course.keras_rnn import recurrent_weights_to_keras
    for cell, G in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        g = rng(180 + G)
        Wx, Wh, b = g.normal(size=(3, G * 5)), g.normal(size=(5, G * 5)), g.normal(size=G * 5)
        got, expected = s["recurrent_weights_to_keras"](cell, Wx, Wh, b), recurrent_weights_to_keras(cell, Wx, Wh, b)
        assert len(got) == len(expected) == 3
        for a, r in zip(got, expected):
            close(a, r, rtol=0, atol=0)
    for function in (s["recurrent_weights_to_keras"], recurrent_weights_to_keras):
        with pytest.raises(ValueError):
            function("lstm", Wx, Wh, b)                      # GRU-sized weights for an LSTM


def check_keras_weights_to_recurrent(s):
    from course.keras_rnn import keras_weights_to_recurrent
    for cell, G in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        g = rng(190 + G)
        bias = g.normal(size=(2, 15)) if cell == "gru" else g.normal(size=G * 5)
        if cell == "gru":
            bias[1, 10:] = 0
        weights = [g.normal(size=(3, G * 5)), g.normal(size=(5, G * 5)), bias]
        for a, r in zip(s["keras_weights_to_recurrent"](cell, weights), keras_weights_to_recurrent(cell, weights)):
            close(a, r)
    weights[2][1, 12] = 1.0                                   # a recurrent candidate bias: neither can copy it
    for function in (s["keras_weights_to_recurrent"], keras_weights_to_recurrent):
        with pytest.raises(ValueError):
            function("gru", weights)


def check_pad_and_truncate(s):
    from course.keras_rnn import pad_and_truncate
    seqs = [list(rng(200 + n).integers(1, 50, size=n)) for n in (0, 1, 4, 9, 15)]
    for maxlen in (1, 6, 20):
        for padding in ("pre", "post"):
            for truncating in ("pre", "post"):
                got = s["pad_and_truncate"](seqs, maxlen, padding=padding, truncating=truncating, value=-1)
                expected = pad_and_truncate(seqs, maxlen, padding=padding, truncating=truncating, value=-1)
                assert got.dtype == expected.dtype == np.int32
                close(got, expected, rtol=0, atol=0)


def check_conv1d_text_classifier(s):
    from course.keras_rnn import conv1d_text_classifier
    X = rng(210).integers(0, 300, size=(3, 40)).astype(np.int32)
    for args in ((300, 40), (300, 40, 8, 5, 3, 4)):
        model, reference = s["conv1d_text_classifier"](*args), conv1d_text_classifier(*args)
        assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
        assert model.count_params() == reference.count_params()
        reference.set_weights(model.get_weights())            # the same weights: the same function of a text
        close(model.predict(X, verbose=0), reference.predict(X, verbose=0), rtol=1e-6, atol=1e-6)


CHECKS.update({("13_keras_rnn", name): check for name, check in (
    ("recurrent_weights_to_keras", check_recurrent_weights_to_keras),
    ("keras_weights_to_recurrent", check_keras_weights_to_recurrent),
    ("pad_and_truncate", check_pad_and_truncate), ("conv1d_text_classifier", check_conv1d_text_classifier))})


# --- lesson 14: networks at one budget, the tasks' inputs, metrics by hand (course.lab, course.tasks) ------

def check_count_dense_params(s):
    from course.lab.models import dense_params
    for D, M in ((30, 48), (784, 36), (1, 1), (2_000, 25)):
        assert s["count_dense_params"](D, M) == dense_params(D, M)


def check_count_conv_params(s):
    from course.lab.models import conv_params
    for kernel, C, F in ((3, 1, 33), ((3, 3), 22, 44), ((5, 2), 3, 7), (5, 16, 207)):
        assert s["count_conv_params"](kernel, C, F) == conv_params(kernel, C, F)


def check_count_lstm_params(s):
    from course.lab.models import lstm_params
    for D, H in ((1, 30), (28, 72), (16, 58), (3, 1)):
        assert s["count_lstm_params"](D, H) == lstm_params(D, H)


def check_size_for_budget(s):
    from course.lab.models import ARCHITECTURES, BUDGETS, SIZES, param_count, size_for_budget
    for task, networks in ARCHITECTURES.items():
        for network in networks:
            count = lambda n, t=task, a=network: param_count(t, a, n)   # noqa: E731 - one line per case
            assert s["size_for_budget"](count, BUDGETS[task], SIZES) == size_for_budget(count, BUDGETS[task], SIZES)
    tie = (lambda n: 10 * n, 1_005, [101, 100])              # 1,010 and 1,000 are both 5 away: the first wins
    assert s["size_for_budget"](*tie) == size_for_budget(*tie)
    for function in (s["size_for_budget"], size_for_budget):
        with pytest.raises(ValueError):
            function(lambda n: 10 * n, 1_000, [1, 2, 3])


def check_tabular_lstm(s):
    from course.lab.models import tabular_lstm
    for args in ((30, 30, 2), (7, 5, 3)):
        model, reference = s["tabular_lstm"](*args), tabular_lstm(*args)
        assert [type(layer).__name__ for layer in model.layers] == [type(layer).__name__ for layer in reference.layers]
        assert model.count_params() == reference.count_params()
        reference.set_weights(model.get_weights())            # the same weights: the same function of a row
        X = rng(170).normal(size=(4, args[0])).astype(np.float32)
        close(model.predict(X, verbose=0), reference.predict(X, verbose=0), rtol=1e-6, atol=1e-6)


def check_bag_of_words(s):
    from course.tasks import bag_of_words
    for shape, V in (((5, 40), 2_000), ((3, 7), 9), ((1, 1), 1)):
        tokens = rng(171).integers(0, V, size=shape)
        close(s["bag_of_words"](tokens, V), bag_of_words(tokens, V), rtol=0, atol=0)


def check_precision_recall_f1(s):
    from course.lab.metrics import precision_recall_f1
    for n, K, top in ((50, 4, 4), (20, 5, 3), (3, 2, 1)):           # top < K: classes never seen or predicted
        y_true, y_pred = rng(172 + n).integers(0, top, n), rng(173 + n).integers(0, K, n)
        for a, r in zip(s["precision_recall_f1"](y_true, y_pred, K), precision_recall_f1(y_true, y_pred, K)):
            close(a, r)


def check_average_precision(s):
    from course.lab.metrics import average_precision
    for n, decimals in ((40, None), (200, 1), (7, 0)):
        y = rng(174 + n).integers(0, 2, n)
        y[0] = 1
        scores = rng(175 + n).normal(size=n)
        scores = scores if decimals is None else np.round(scores, decimals)   # ties
        close(s["average_precision"](y, scores), average_precision(y, scores))


CHECKS.update({("14_which_network", name): check for name, check in (
    ("count_dense_params", check_count_dense_params), ("count_conv_params", check_count_conv_params),
    ("count_lstm_params", check_count_lstm_params), ("size_for_budget", check_size_for_budget),
    ("tabular_lstm", check_tabular_lstm), ("bag_of_words", check_bag_of_words),
    ("precision_recall_f1", check_precision_recall_f1), ("average_precision", check_average_precision))})
