"""course.nn's convolutional layers: conv, pool, flatten, batch norm, the layer objects and LeNet-5.

Each fast layer is checked against its definition (the naive loops), against centred differences, and
against TensorFlow on the same inputs and weights (forward values and GradientTape gradients).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course.gradcheck import numeric_gradient, numeric_gradient_array, relative_error
from course.nn import batchnorm, conv, pool, reshape
from course.nn.model import BatchNorm, Conv2D, Dense, Flatten, MaxPool2D, Sequential, lenet5
from course.nn.train import fit
from course.plots import feature_map_grid

# (N, C, H, W, F, K, stride, pad): channels 1 and several, padding 0 / 'same' / more, strides 1-3,
# rectangular images, kernels of 1 to the whole padded image.
CASES = [(2, 3, 7, 8, 4, 3, 1, 1), (2, 1, 9, 9, 2, 5, 2, 2), (3, 2, 6, 5, 3, 2, 3, 0), (1, 2, 5, 5, 2, 5, 1, 0),
         (2, 3, 8, 7, 2, 3, 2, 1), (2, 4, 6, 6, 3, 1, 1, 0), (1, 1, 4, 4, 2, 3, 1, 3), (2, 6, 14, 14, 16, 5, 1, 0)]


def case(N, C, H, W, F, K, seed=0):
    g = np.random.default_rng(seed)
    return g.normal(size=(N, C, H, W)), g.normal(size=(F, C, K, K)), g.normal(size=F)


def close(a, b, rtol=1e-10, atol=1e-10):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)


# --- convolution --------------------------------------------------------------------------------

@pytest.mark.parametrize("N, C, H, W, F, K, stride, pad", CASES)
def test_fast_conv_equals_naive_conv_forward_and_backward(N, C, H, W, F, K, stride, pad):
    """Do conv_forward / conv_backward compute what the naive loops do, for every padding, stride and channel count?"""
    X, Wt, b = case(N, C, H, W, F, K)
    naive, naive_cache = conv.conv_forward_naive(X, Wt, b, stride, pad)
    fast, fast_cache = conv.conv_forward(X, Wt, b, stride, pad)
    OH, OW = (H + 2 * pad - K) // stride + 1, (W + 2 * pad - K) // stride + 1
    assert naive.shape == fast.shape == (N, F, OH, OW)
    close(fast, naive)
    dout = np.random.default_rng(1).normal(size=fast.shape)
    for ours, reference in zip(conv.conv_backward(dout, fast_cache), conv.conv_backward_naive(dout, naive_cache)):
        close(ours, reference)
    dX, dW, db = conv.conv_backward(dout, fast_cache, need_dX=False)
    assert dX is None
    close(dW, conv.conv_backward_naive(dout, naive_cache)[1])


@pytest.mark.parametrize("N, C, H, W, F, K, stride, pad", [(7, 2, 9, 8, 3, 3, 1, 1), (5, 3, 9, 9, 2, 3, 2, 1)])
def test_chunked_conv_equals_naive_conv_with_a_workspace(monkeypatch, N, C, H, W, F, K, stride, pad):
    """With chunks of 2 images (the last one shorter) and a reused workspace, do conv_forward and
    conv_backward still compute what the naive loops do, step after step?"""
    X, Wt, b = case(N, C, H, W, F, K)
    OH, OW = (H + 2 * pad - K) // stride + 1, (W + 2 * pad - K) // stride + 1
    Ww = W + 2 * pad if stride == 1 else OW
    monkeypatch.setattr(conv, "CHUNK_BYTES", 2 * C * K * K * OH * Ww * 8)    # two float64 images per chunk
    workspace = conv.Workspace()
    for step in range(2):                    # the second step reuses the first one's arrays
        Xs = X + step
        fast, fast_cache = conv.conv_forward(Xs, Wt, b, stride, pad, workspace=workspace)
        assert fast_cache[-1] == 2
        naive, naive_cache = conv.conv_forward_naive(Xs, Wt, b, stride, pad)
        close(fast, naive)
        dout = np.random.default_rng(step).normal(size=fast.shape)
        for ours, reference in zip(conv.conv_backward(dout, fast_cache), conv.conv_backward_naive(dout, naive_cache)):
            close(ours, reference)


@pytest.mark.parametrize("N, C, H, W, F, K, stride, pad", CASES[:5])
def test_im2col_is_the_convolution_and_col2im_its_adjoint(N, C, H, W, F, K, stride, pad):
    """Is W @ im2col(X) the convolution, and <im2col(X), G> = <X, col2im(G)> for any G?"""
    X, Wt, b = case(N, C, H, W, F, K)
    cols = conv.im2col(X, (K, K), stride, pad)
    out = conv.conv_forward_naive(X, Wt, b, stride, pad)[0]
    OH, OW = out.shape[2:]
    assert cols.shape == (C * K * K, N * OH * OW)
    close((Wt.reshape(F, -1) @ cols).reshape(F, N, OH, OW).transpose(1, 0, 2, 3) + b[:, None, None], out)
    G = np.random.default_rng(2).normal(size=cols.shape)
    close(np.sum(cols * G), np.sum(X * conv.col2im(G, X.shape, (K, K), stride, pad)))


@pytest.mark.parametrize("N, C, H, W, F, K, stride, pad", CASES[:6])
def test_conv_backward_matches_numeric_gradients(N, C, H, W, F, K, stride, pad):
    """Are conv_backward's dX, dW and db the centred-difference gradients (relative error < 1e-7)?"""
    X, Wt, b = case(N, C, H, W, F, K, seed=3)
    out, cache = conv.conv_forward(X, Wt, b, stride, pad)
    dout = np.random.default_rng(4).normal(size=out.shape)
    dX, dW, db = conv.conv_backward(dout, cache)
    numeric = [numeric_gradient_array(lambda v: conv.conv_forward(v, Wt, b, stride, pad)[0], X.copy(), dout),
               numeric_gradient_array(lambda v: conv.conv_forward(X, v, b, stride, pad)[0], Wt.copy(), dout),
               numeric_gradient_array(lambda v: conv.conv_forward(X, Wt, v, stride, pad)[0], b.copy(), dout)]
    for name, analytic, num in zip(("dX", "dW", "db"), (dX, dW, db), numeric):
        assert relative_error(analytic, num) < 1e-7, name


def test_conv_output_size_and_same_padding():
    """Does the output size follow (H + 2P - K) // S + 1, with 'same' padding keeping the size at stride 1?"""
    assert conv.conv_output_size(28, 5, 1, 2) == 28
    assert conv.conv_output_size(14, 5) == 10
    assert conv.conv_output_size(7, 3, 2, 1) == 4
    assert conv.conv_output_size(8, 3, 3, 0) == 2        # the floor: the last column is never reached
    assert conv.same_padding(5) == 2 and conv.same_padding(3) == 1
    with pytest.raises(ValueError, match="odd"):
        conv.same_padding(4)


def test_conv_errors_say_what_is_wrong():
    """Are a kernel larger than the padded input, a wrong rank, mismatched channels and bad strides clear errors?"""
    X, Wt, b = case(2, 3, 4, 4, 2, 3)
    for forward in (conv.conv_forward, conv.conv_forward_naive):
        with pytest.raises(ValueError, match="larger than the padded input"):
            forward(X, np.ones((2, 3, 7, 7)), b)
        with pytest.raises(ValueError, match="larger than the padded input"):
            forward(X, np.ones((2, 3, 5, 5)), b, 1, 0)
        forward(X, np.ones((2, 3, 5, 5)), b, 1, 1)        # ... and fits with one pixel of padding
        with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
            forward(X[0], Wt, b)
        with pytest.raises(ValueError, match=r"\(F, C, KH, KW\)"):
            forward(X, Wt[0], b)
        with pytest.raises(ValueError, match="channels"):
            forward(X, np.ones((2, 2, 3, 3)), b)
        with pytest.raises(ValueError, match="one bias per filter"):
            forward(X, Wt, np.ones(3))
        with pytest.raises(ValueError, match="stride"):
            forward(X, Wt, b, 0)
        with pytest.raises(ValueError, match="pad"):
            forward(X, Wt, b, 1, -1)
    _, cache = conv.conv_forward(X, Wt, b)
    with pytest.raises(ValueError, match="output's shape"):
        conv.conv_backward(np.ones((2, 2, 3, 3)), cache)


def test_conv_keeps_float32_and_a_workspace_changes_nothing():
    """Does float32 stay float32, and does reusing a Workspace give the same results as fresh arrays?"""
    X, Wt, b = (a.astype(np.float32) for a in case(4, 3, 9, 9, 5, 3))
    workspace = conv.Workspace()
    plain, plain_cache = conv.conv_forward(X, Wt, b, 1, 1)
    dout = np.random.default_rng(5).normal(size=plain.shape).astype(np.float32)
    expected = conv.conv_backward(dout, plain_cache)
    for _ in range(3):                                    # the second and third calls reuse the arrays
        out, cache = conv.conv_forward(X, Wt, b, 1, 1, workspace=workspace)
        grads = conv.conv_backward(dout, cache)
        assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
        np.testing.assert_array_equal(out, plain)
        for g, e in zip(grads, expected):
            np.testing.assert_array_equal(g, e)
    other = conv.conv_forward(X[:2], Wt, b, 1, 1, workspace=workspace)[0]   # another batch size
    np.testing.assert_allclose(other, plain[:2], rtol=1e-5, atol=1e-5)   # BLAS blocks by size: float32 rounding


# --- pooling and flatten --------------------------------------------------------------------------

def test_maxpool_values_shapes_and_numeric_gradient():
    """Is each output its window's maximum, an odd last row or column dropped, and the gradient the numeric one?"""
    X = np.random.default_rng(6).normal(size=(2, 3, 7, 6))
    out, cache = pool.maxpool_forward(X)
    assert out.shape == (2, 3, 3, 3)
    close(out, X[:, :, :6, :6].reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5)))
    dout = np.random.default_rng(7).normal(size=out.shape)
    dX = pool.maxpool_backward(dout, cache)
    assert dX.shape == X.shape and np.all(dX[:, :, 6] == 0)
    assert relative_error(dX, numeric_gradient_array(lambda v: pool.maxpool_forward(v)[0], X.copy(), dout)) < 1e-7


def test_maxpool_sends_each_gradient_to_exactly_one_maximum_of_a_tied_window():
    """With ties (flat background, equal maxima) does one input per window, the first in reading order, get it?"""
    X = np.zeros((1, 1, 4, 4))                        # the top-left window: four zeros (background)
    X[0, 0, 0:2, 2:4] = [[1.0, 3.0], [3.0, 2.0]]      # top-right: 3 twice, top right and bottom left
    X[0, 0, 2:4, 0:2] = [[-1.0, -2.0], [5.0, 5.0]]    # bottom-left: 5 twice in the bottom row
    X[0, 0, 2:4, 2:4] = 7.0                           # bottom-right: all four equal
    out, cache = pool.maxpool_forward(X)
    close(out, [[[[0.0, 3.0], [5.0, 7.0]]]])
    dX = pool.maxpool_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    expected = np.zeros((4, 4))
    expected[0, 0], expected[0, 3], expected[3, 0], expected[2, 2] = 1.0, 2.0, 3.0, 4.0
    close(dX[0, 0], expected)
    # A 28 x 28 map of background (all zeros): every window passes on exactly its own gradient once.
    flat = np.zeros((2, 3, 28, 28))
    out, cache = pool.maxpool_forward(flat)
    dout = np.random.default_rng(8).normal(size=out.shape)
    dX = pool.maxpool_backward(dout, cache)
    assert np.count_nonzero(dX) == dout.size
    close(dX.reshape(2, 3, 14, 2, 14, 2).sum(axis=(3, 5)), dout)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(3, 2, 8, 6), (2, 3, 7, 9), (1, 1, 2, 2), (4, 6, 28, 28)])
def test_fast_maxpool_equals_the_naive_loops(dtype, shape):
    """Does the two-halves max pooling (columns, then rows, with a reused workspace) give the loops' outputs
    and gradients exactly, in float64 and float32, odd sizes and ties included, call after call?"""
    rng = np.random.default_rng(30)
    X = rng.normal(size=shape).astype(dtype)
    X[X < 0.3] = 0                                        # many ties, like a ReLU map or a flat background
    X[..., 1::3] = np.round(X[..., 1::3], 1)              # and ties between non-zero neighbours
    out_ref, cache_ref = pool.maxpool_forward_naive(X)
    dout = rng.normal(size=out_ref.shape).astype(dtype)
    dX_ref = pool.maxpool_backward_naive(dout, cache_ref)
    workspace = conv.Workspace()
    for ws in (None, workspace, workspace):               # fresh arrays, then the same workspace twice
        out, cache = pool.maxpool_forward(X, workspace=ws)
        assert out.dtype == dtype and out.shape == out_ref.shape
        np.testing.assert_array_equal(out, out_ref)
        dX = pool.maxpool_backward(dout, cache)
        assert dX.dtype == dtype and dX.shape == X.shape
        np.testing.assert_array_equal(dX, dX_ref)


def test_naive_maxpool_matches_numeric_gradients():
    """Is the reference itself right: the loops' gradient against centred differences (no ties)?"""
    X = np.random.default_rng(31).normal(size=(2, 2, 5, 4))
    out, cache = pool.maxpool_forward_naive(X)
    dout = np.random.default_rng(32).normal(size=out.shape)
    assert relative_error(pool.maxpool_backward_naive(dout, cache),
                          numeric_gradient_array(lambda v: pool.maxpool_forward_naive(v)[0], X.copy(), dout)) < 1e-7


def test_training_layers_with_workspaces_equal_the_plain_functions():
    """Do the layers that keep arrays between training steps (Conv2D, MaxPool2D, ReLU) give, step after step,
    what the functions without workspaces give (outputs and input gradients)?"""
    from course.nn.activations import relu_backward, relu_forward
    from course.nn.model import Activation
    rng = np.random.default_rng(33)
    X = rng.normal(size=(5, 3, 9, 8)).astype(np.float32)
    conv_layer, pool_layer, relu_layer = Conv2D(3, 4, 3, pad="same"), MaxPool2D(), Activation("relu")
    params = conv_layer.build(1, rng, np.float32)
    plain_out, plain_cache = conv.conv_forward(X, params["W1"], params["b1"], 1, 1)
    pooled, pool_cache = pool.maxpool_forward(plain_out)
    activated, relu_cache = relu_forward(pooled)
    dout = rng.normal(size=activated.shape).astype(np.float32)
    d_pooled = relu_backward(dout, relu_cache)
    d_conv = pool.maxpool_backward(d_pooled, pool_cache)
    dX_plain = conv.conv_backward(d_conv, plain_cache)[0]
    for _ in range(3):
        out, c1 = conv_layer.forward(params, X, True)
        p, c2 = pool_layer.forward(params, out, True)
        a, c3 = relu_layer.forward(params, p, True)
        np.testing.assert_array_equal(a, activated)
        g3 = relu_layer.backward(dout, c3)[0]
        g2 = pool_layer.backward(g3, c2)[0]
        np.testing.assert_array_equal(g2, d_conv)
        np.testing.assert_array_equal(conv_layer.backward(g2, c1)[0], dX_plain)


def test_maxpool_errors_and_float32():
    """Are a wrong rank and a too small input clear errors, and is float32 kept?"""
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        pool.maxpool_forward(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="H, W >= 2"):
        pool.maxpool_forward(np.zeros((1, 1, 1, 4)))
    X = np.random.default_rng(9).normal(size=(2, 2, 4, 4)).astype(np.float32)
    out, cache = pool.maxpool_forward(X)
    assert out.dtype == np.float32
    assert pool.maxpool_backward(np.ones_like(out), cache).dtype == np.float32


def test_flatten_and_reshape_round_trip():
    """Does flatten keep the samples and C order, and do both backward passes restore the input's shape?"""
    X = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    out, cache = reshape.flatten_forward(X)
    np.testing.assert_array_equal(out, X.reshape(2, 12))
    np.testing.assert_array_equal(reshape.flatten_backward(out * 2, cache), X * 2)
    images, cache = reshape.reshape_forward(np.zeros((5, 784)), (1, 28, 28))
    assert images.shape == (5, 1, 28, 28) and reshape.reshape_backward(images, cache).shape == (5, 784)
    with pytest.raises(ValueError):
        reshape.reshape_forward(np.zeros((5, 780)), (1, 28, 28))
    with pytest.raises(ValueError):
        reshape.flatten_forward(np.zeros(5))


# --- batch normalization --------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 3, 2)])
def test_batchnorm_training_normalizes_and_matches_numeric_gradients(shape):
    """In training mode is each output feature gamma * (zero mean, unit variance) + beta, with numeric gradients?"""
    g = np.random.default_rng(10)
    x = g.normal(loc=3.0, scale=2.5, size=shape)
    gamma, beta = g.normal(size=shape[1]), g.normal(size=shape[1])
    out, cache = batchnorm.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    axes = batchnorm.batchnorm_axes(x)
    normalized = (out - batchnorm._per_feature(beta, x)) / batchnorm._per_feature(gamma, x)
    close(normalized.mean(axis=axes), 0.0, atol=1e-10)
    close(normalized.var(axis=axes), 1.0, rtol=1e-4)          # eps = 1e-5 in the denominator
    dout = g.normal(size=shape)
    dx, dgamma, dbeta = batchnorm.batchnorm_backward(dout, cache)

    def f(x_, gamma_, beta_):
        return batchnorm.batchnorm_forward(x_, gamma_, beta_, {"mode": "train"})[0]

    assert relative_error(dx, numeric_gradient_array(lambda v: f(v, gamma, beta), x.copy(), dout)) < 1e-7
    assert relative_error(dgamma, numeric_gradient_array(lambda v: f(x, v, beta), gamma.copy(), dout)) < 1e-7
    assert relative_error(dbeta, numeric_gradient_array(lambda v: f(x, gamma, v), beta.copy(), dout)) < 1e-7


def test_batchnorm_inference_uses_the_running_statistics():
    """Does test mode normalize with the running mean and variance (not the batch's), which training updates?"""
    g = np.random.default_rng(11)
    bn_param = {"mode": "train", "momentum": 0.5}
    gamma, beta = np.ones(3), np.zeros(3)
    batches = [g.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 3.0, 0.5], size=(200, 3)) for _ in range(3)]
    mean, var = np.zeros(3), np.ones(3)
    for x in batches:
        batchnorm.batchnorm_forward(x, gamma, beta, bn_param)
        mean, var = 0.5 * mean + 0.5 * x.mean(axis=0), 0.5 * var + 0.5 * x.var(axis=0)
    close(bn_param["running_mean"], mean)
    close(bn_param["running_var"], var)
    bn_param["mode"] = "test"
    x = g.normal(size=(4, 3))                         # a batch with other statistics entirely
    out, cache = batchnorm.batchnorm_forward(x, 2 * gamma, beta + 1, bn_param)
    close(out, 2 * (x - mean) / np.sqrt(var + 1e-5) + 1)
    close(bn_param["running_mean"], mean)             # test mode leaves the statistics alone
    dout = g.normal(size=x.shape)
    dx = batchnorm.batchnorm_backward(dout, cache)[0]
    close(dx, dout * 2 / np.sqrt(var + 1e-5))
    one = batchnorm.batchnorm_forward(x[:1], gamma, beta, bn_param)[0]    # one image at test time works
    close(one, (x[:1] - mean) / np.sqrt(var + 1e-5))
    with pytest.raises(ValueError, match="mode"):
        batchnorm.batchnorm_forward(x, gamma, beta, {"mode": "eval"})
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        batchnorm.batchnorm_forward(np.zeros((2, 3, 4)), gamma, beta, {"mode": "train"})


# --- layer objects and LeNet-5 ----------------------------------------------------------------------

def test_lenet5_layers_params_and_float32():
    """Does lenet5 hold the LeNet-5 layers with W1..W5 / b1..b5 of the right shapes, in float32 by default?"""
    net = lenet5(np.random.default_rng(0))
    shapes = {name: value.shape for name, value in net.params.items()}
    assert shapes == {"W1": (6, 1, 5, 5), "b1": (6,), "W2": (16, 6, 5, 5), "b2": (16,), "W3": (400, 120),
                      "b3": (120,), "W4": (120, 84), "b4": (84,), "W5": (84, 10), "b5": (10,)}
    assert all(value.dtype == np.float32 for value in net.params.values())
    assert abs(net.params["W2"].std() / np.sqrt(2 / 150) - 1) < 0.1     # He: fan-in C K K = 150
    X = np.random.default_rng(1).random((3, 784), dtype=np.float32)
    scores = net.scores(X)
    assert scores.shape == (3, 10) and scores.dtype == np.float32
    np.testing.assert_allclose(net.scores(X.reshape(3, 28, 28)), scores)
    np.testing.assert_allclose(net.scores(X.reshape(3, 1, 28, 28)), scores)
    loss, grads = net.loss(X, np.array([0, 1, 2]))
    assert all(grads[k].dtype == np.float32 and grads[k].shape == v for k, v in shapes.items())
    names = list(lenet5(np.random.default_rng(0), batchnorm=True).params)
    assert names[:4] == ["W1", "b1", "gamma2", "beta2"]


@pytest.mark.parametrize("batch_norm, activation", [(False, "relu"), (False, "tanh"), (True, "relu")])
def test_lenet5_loss_gradients_match_numeric_gradients(batch_norm, activation):
    """Are LeNet-5's loss gradients (with L2, with or without batch norm) the centred differences, in float64?"""
    g = np.random.default_rng(12)
    X, y = g.random((3, 1, 28, 28)), np.array([3, 1, 4])
    net = lenet5(np.random.default_rng(13), activation=activation, dtype=np.float64, batchnorm=batch_norm, reg=0.01)
    for name in net.params:
        if name.startswith("b"):
            net.params[name] += g.normal(scale=0.1, size=net.params[name].shape)   # no unit at ReLU's kink
    _, grads = net.loss(X, y)
    for name, value in net.params.items():       # three entries of every parameter array
        for flat_index in np.random.default_rng(len(name)).choice(value.size, 3, replace=False):
            index = np.unravel_index(flat_index, value.shape)

            def f(v, name=name, index=index):
                old = net.params[name][index]
                net.params[name][index] = v[0]
                loss = net.loss(X, y)[0]
                net.params[name][index] = old
                return loss

            numeric = numeric_gradient(f, np.array([value[index]]))[0]
            # A bias right before a batch norm has a zero gradient (the norm removes the mean): compare
            # the absolute difference there, the relative error everywhere else.
            assert relative_error(grads[name][index], numeric) < 1e-6 or abs(grads[name][index] - numeric) < 1e-9, \
                (name, index, grads[name][index], numeric)


def counting(function, calls, name):
    """``function`` with lesson 09's signature (no workspace, no need_dX), counting its calls in ``calls``."""
    def wrapper(*args):
        calls[name] = calls.get(name, 0) + 1
        return function(*args)
    return wrapper


def test_lenet5_functions_are_called_instead_of_the_library_ones():
    """Does lenet5(functions=...) run the given functions (lesson 09's signatures) in every layer, at training
    and test time, and give the library's loss, gradients and scores when they compute the same thing?"""
    given = {"conv_forward": conv.conv_forward_naive, "conv_backward": conv.conv_backward_naive,
             "maxpool_forward": pool.maxpool_forward_naive, "maxpool_backward": pool.maxpool_backward_naive,
             "flatten_forward": reshape.flatten_forward, "flatten_backward": reshape.flatten_backward,
             "batchnorm_forward": batchnorm.batchnorm_forward, "batchnorm_backward": batchnorm.batchnorm_backward}
    calls = {}
    functions = {name: counting(f, calls, name) for name, f in given.items()}
    g = np.random.default_rng(40)
    X, y = g.random((2, 1, 28, 28)), np.array([3, 7])
    ours = lenet5(np.random.default_rng(41), dtype=np.float64, batchnorm=True, functions=functions)
    library = lenet5(np.random.default_rng(41), dtype=np.float64, batchnorm=True)
    loss, grads = ours.loss(X, y)
    assert calls == {"conv_forward": 2, "conv_backward": 2, "maxpool_forward": 2, "maxpool_backward": 2,
                     "flatten_forward": 1, "flatten_backward": 1, "batchnorm_forward": 4, "batchnorm_backward": 4}
    library_loss, library_grads = library.loss(X, y)
    close(loss, library_loss)
    for name in library_grads:
        close(grads[name], library_grads[name], rtol=1e-8, atol=1e-12)
    close(ours.scores(X), library.scores(X))          # test time: the given functions too
    assert calls["conv_forward"] == 4 and calls["maxpool_forward"] == 4 and calls["batchnorm_forward"] == 8


def test_a_wrong_given_function_changes_lenet5s_loss():
    """Is a given function's output really used: does a convolution that doubles its output change the loss?"""
    functions = {"conv_forward": lambda X, W, b, stride, pad: conv.conv_forward(X, 2 * W, 2 * b, stride, pad),
                 "conv_backward": lambda dout, cache: conv.conv_backward(dout, cache)}
    X, y = np.random.default_rng(42).random((4, 784)), np.array([0, 1, 2, 3])
    right = lenet5(np.random.default_rng(43), dtype=np.float64).loss(X, y)[0]
    wrong = lenet5(np.random.default_rng(43), dtype=np.float64, functions=functions).loss(X, y)[0]
    assert abs(wrong - right) > 1e-3


def test_lenet5_functions_refuse_unknown_names_half_pairs_and_non_functions():
    """Does functions= name the bad key and list the accepted ones, refuse a forward without its backward,
    and a value that is not a function, in lenet5 and in each layer?"""
    with pytest.raises(ValueError, match=r"unknown name 'conv_fwd'; the layers accept conv_forward, conv_backward, "
                                         r"maxpool_forward, .*batchnorm_backward"):
        lenet5(np.random.default_rng(0), functions={"conv_fwd": conv.conv_forward_naive})
    with pytest.raises(ValueError, match="unknown names 'a', 'b'"):
        MaxPool2D(functions={"a": len, "b": len})
    with pytest.raises(ValueError, match="'maxpool_forward' without 'maxpool_backward'"):
        lenet5(np.random.default_rng(0), functions={"maxpool_forward": pool.maxpool_forward_naive})
    with pytest.raises(ValueError, match="'batchnorm_backward' without 'batchnorm_forward'"):
        BatchNorm(3, functions={"batchnorm_backward": batchnorm.batchnorm_backward})
    with pytest.raises(TypeError, match=r"functions\['flatten_forward'\] must be a function, got int"):
        Flatten(functions={"flatten_forward": 1, "flatten_backward": reshape.flatten_backward})
    with pytest.raises(ValueError, match="unknown name 'relu_forward'"):
        Conv2D(1, 2, 3, functions={"relu_forward": len})


def test_sequential_of_conv_layers_trains_with_fit():
    """Does fit train a small Sequential of Conv2D, BatchNorm, MaxPool2D, Flatten and Dense on a toy image task?"""
    g = np.random.default_rng(14)
    X = g.normal(scale=0.1, size=(200, 1, 8, 8))
    y = g.integers(0, 2, size=200)
    X[y == 1, 0, 2:6, 3:5] += 1.0                     # class 1: a vertical bar
    net = Sequential([Conv2D(1, 4, 3, pad="same"), BatchNorm(4), MaxPool2D(), Flatten(), Dense(64, 2)],
                     np.random.default_rng(15))
    history = fit(net, (X[:150], y[:150], X[150:], y[150:]), num_epochs=8, batch_size=25, lr=1e-2, progress=False)
    assert history["val_acc"][-1] > 0.95
    assert net.layers[1].bn_param["running_var"].shape == (4,)


def test_conv2d_layer_chunks_at_test_time():
    """Does a Conv2D layer give the same test-time output whether or not the batch is cut into chunks?"""
    from course.nn import model
    layer = Conv2D(2, 3, 3, pad=1)
    params = layer.build(1, np.random.default_rng(16), np.float64)
    X = np.random.default_rng(17).normal(size=(10, 2, 5, 5))
    whole, _ = layer.forward(params, X, train=False)
    old, model.INFERENCE_CHUNK = model.INFERENCE_CHUNK, 3
    try:
        chunked, _ = layer.forward(params, X, train=False)
    finally:
        model.INFERENCE_CHUNK = old
    close(chunked, whole)
    close(whole, conv.conv_forward_naive(X, params["W1"], params["b1"], 1, 1)[0])


# --- against TensorFlow -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tf():
    pytest.importorskip("tensorflow")
    from course.frameworks import load_keras
    load_keras()
    import tensorflow
    return tensorflow


def nhwc(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 2), (2, 1)])
def test_conv_and_its_gradients_agree_with_tensorflow(tf, stride, pad):
    """Do conv_forward and conv_backward agree with tf.nn.conv2d and its GradientTape gradients (float64)?"""
    X, Wt, b = case(3, 4, 9, 9, 5, 3, seed=18)
    out, cache = conv.conv_forward(X, Wt, b, stride, pad)
    dout = np.random.default_rng(19).normal(size=out.shape)
    x_tf, w_tf, b_tf = tf.Variable(nhwc(X)), tf.Variable(Wt.transpose(2, 3, 1, 0)), tf.Variable(b)
    with tf.GradientTape() as tape:
        y_tf = tf.nn.conv2d(x_tf, w_tf, strides=stride, padding=[[0, 0], [pad, pad], [pad, pad], [0, 0]]) + b_tf
        objective = tf.reduce_sum(y_tf * nhwc(dout))
    dx_tf, dw_tf, db_tf = tape.gradient(objective, [x_tf, w_tf, b_tf])
    close(nhwc(out), y_tf.numpy())
    dX, dW, db = conv.conv_backward(dout, cache)
    close(nhwc(dX), dx_tf.numpy())
    close(dW.transpose(2, 3, 1, 0), dw_tf.numpy())
    close(db, db_tf.numpy())


def test_maxpool_and_its_tie_breaking_agree_with_tensorflow(tf):
    """Does maxpool route the gradient like tf.nn.max_pool2d's GradientTape, also in windows of ties?"""
    g = np.random.default_rng(20)
    X = np.round(g.normal(size=(2, 3, 8, 10)), 0)     # rounded: many ties
    X[:, :, :4, :4] = 0.0                             # and a flat background
    out, cache = pool.maxpool_forward(X)
    dout = g.normal(size=out.shape)
    x_tf = tf.Variable(nhwc(X))
    with tf.GradientTape() as tape:
        y_tf = tf.nn.max_pool2d(x_tf, 2, 2, "VALID")
        objective = tf.reduce_sum(y_tf * nhwc(dout))
    close(nhwc(out), y_tf.numpy())
    close(nhwc(pool.maxpool_backward(dout, cache)), tape.gradient(objective, x_tf).numpy())


def test_lenet5_loss_and_gradients_agree_with_keras(tf):
    """Does lenet5's loss and every gradient agree with the same Keras LeNet-5 (same weights, float64, GradientTape)?"""
    import keras

    from benchmarks.lenet5_vs_keras import to_keras_weights
    net = lenet5(np.random.default_rng(21), dtype=np.float64)
    for name in net.params:
        if name.startswith("b"):
            net.params[name] += np.random.default_rng(22).normal(scale=0.05, size=net.params[name].shape)
    X, y = np.random.default_rng(23).random((16, 28, 28)), np.arange(16) % 10
    layers = keras.layers
    model = keras.Sequential([keras.Input((28, 28, 1), dtype="float64"),
                              layers.Conv2D(6, 5, padding="same", activation="relu", dtype="float64"),
                              layers.MaxPooling2D(2, dtype="float64"),
                              layers.Conv2D(16, 5, activation="relu", dtype="float64"),
                              layers.MaxPooling2D(2, dtype="float64"), layers.Flatten(dtype="float64"),
                              layers.Dense(120, activation="relu", dtype="float64"),
                              layers.Dense(84, activation="relu", dtype="float64"), layers.Dense(10, dtype="float64")])
    model.set_weights(to_keras_weights(net.params))
    with tf.GradientTape() as tape:
        scores = model(X[..., None], training=True)
        loss = keras.ops.mean(keras.ops.sparse_categorical_crossentropy(y, scores, from_logits=True))
    keras_grads = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
    our_loss, our_grads = net.loss(X, y)
    close(our_loss, float(loss))
    close(net.scores(X), scores.numpy())
    for ours, theirs in zip(to_keras_weights(our_grads), keras_grads):
        close(ours, theirs)


# --- the feature-map plot of lesson 09 ------------------------------------------------------------

def test_feature_map_grid_draws_maps_and_vectors():
    """Does feature_map_grid draw one panel per (C, H, W) map, one bar chart for a vector, and refuse other shapes?"""
    fig = plt.figure()
    assert len(feature_map_grid(fig, np.random.default_rng(0).random((6, 5, 5)), title="maps")) == 6
    assert fig._suptitle.get_text() == "maps"
    plt.close(fig)
    fig = plt.figure()
    (ax,) = feature_map_grid(fig, np.arange(10.0))
    assert len(ax.patches) == 10
    plt.close(fig)
    with pytest.raises(ValueError, match="feature_map_grid"):
        feature_map_grid(plt.figure(), np.zeros((2, 2)))
    plt.close("all")


# --- data augmentation --------------------------------------------------------------------------------

def test_flip_images_mirrors_the_chosen_images_only():
    """Does flip_images mirror each image left-right with probability p, for images and for rows of pixels?"""
    from course.nn.augment import flip_images
    X = np.random.default_rng(24).random((200, 1, 4, 5))
    flipped = flip_images(X, np.random.default_rng(25))
    mirrored = np.all(flipped == X[..., ::-1], axis=(1, 2, 3))
    unchanged = np.all(flipped == X, axis=(1, 2, 3))
    assert np.all(mirrored | unchanged) and 70 < mirrored.sum() < 130
    np.testing.assert_array_equal(mirrored, np.random.default_rng(25).random(200) < 0.5)
    np.testing.assert_array_equal(flip_images(X, np.random.default_rng(0), p=0.0), X)
    rows = X.reshape(200, 20)
    np.testing.assert_array_equal(flip_images(rows, np.random.default_rng(0), p=1.0, image_shape=(4, 5)),
                                  X[..., ::-1].reshape(200, 20))
    assert flip_images(X.astype(np.float32), np.random.default_rng(0)).dtype == np.float32


def test_augmented_trains_on_changed_batches_and_scores_the_originals():
    """Does Augmented compute the training loss on augment(X), test-time scores on X, and share the model's params?"""
    from course.nn.model import Augmented
    net = lenet5(np.random.default_rng(26), dtype=np.float64)
    model = Augmented(net, lambda X, g: X[..., ::-1], rng=np.random.default_rng(0))
    X, y = np.random.default_rng(27).random((4, 1, 28, 28)), np.array([1, 2, 3, 4])
    loss, grads = model.loss(X, y)
    expected_loss, expected_grads = net.loss(X[..., ::-1], y)
    close(loss, expected_loss)
    for name in grads:
        close(grads[name], expected_grads[name])
    close(model.scores(X), net.scores(X))
    assert model.params is net.params
    before = net.params["W1"].copy()
    fit(model, (X, y), num_epochs=1, batch_size=2, progress=False)
    assert not np.array_equal(net.params["W1"], before)     # fit trained the wrapped network
