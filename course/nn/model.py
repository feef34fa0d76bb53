"""Models: a ``Sequential`` of small layer objects, and an adapter for functions over a params dict.

The model contract (CS231n's), which ``course.nn.train.fit`` trains and every network of the course
satisfies (the two-layer net, the deep net, LeNet-5, the LSTM classifier)::

    model.params                    dict name -> array, e.g. "W1" (D, M), "b1" (M,), ...
    scores = model.loss(X)          (N, C) class scores, test time (dropout off)
    loss, grads = model.loss(X, y)  training time: mean loss and a dict of gradients shaped like params

A layer object is a few lines around the functional layers of ``course.nn``: ``forward(params, X,
train) -> (out, cache)`` and ``backward(dout, cache) -> (dX, grads)``, where ``params`` is the model's
dict and the layer reads and writes only its own keys. Read a model top to bottom::

    model = Sequential([Dense(784, 256), Activation("relu"), Dropout(0.2),
                        Dense(256, 10)], rng=rng, reg=1e-5)
"""

from __future__ import annotations

import numpy as np

from course.nn.activations import activation_backward, activation_forward, check_activation
from course.nn.dense import dense_backward, dense_forward
from course.nn.dropout import check_rate, dropout_backward, dropout_forward
from course.nn.init import INITIALIZERS, check_layer_sizes, normal_init
from course.nn.losses import l2_penalty, mean_squared_error, softmax_cross_entropy

__all__ = ["Classifier", "Dense", "Activation", "Dropout", "Sequential", "FunctionModel", "mlp", "two_layer_net"]


def params_dtype(params):
    """The dtype the arrays of ``params`` share (their common type if they differ)."""
    return np.result_type(*[np.asarray(value).dtype for value in params.values()])


class Classifier:
    """What every model gets from its ``loss``: chunked test-time scores, predictions and evaluation."""

    def scores(self, X, chunk_size=5_000):
        """Test-time class scores (N, C) of every row of X (dropout off), ``chunk_size`` rows at a time.

        Rows are cast to the parameters' dtype, so a float32 data set is never copied whole into float64.
        """
        dtype = params_dtype(self.params)
        parts = [self.loss(np.asarray(X[i:i + chunk_size], dtype=dtype)) for i in range(0, len(X), chunk_size)]
        if not parts:
            raise ValueError("scores of an empty data set: X has no rows")
        return np.concatenate(parts)

    def predict(self, X, chunk_size=5_000):
        """The most probable class of every row of X at test time: (N,) int64."""
        return np.argmax(self.scores(X, chunk_size), axis=1).astype(np.int64)

    def evaluate(self, X, y, chunk_size=5_000):
        """Mean cross-entropy (no penalty, dropout off) and accuracy on (X, y): two floats."""
        S = self.scores(X, chunk_size)
        loss, _ = softmax_cross_entropy(S, y)
        return loss, float(np.mean(np.argmax(S, axis=1) == y))


class Dense:
    """A dense layer ``X @ W + b`` with weights drawn by ``init`` (a name in INITIALIZERS or a callable)."""

    def __init__(self, num_inputs, num_outputs, init="he_normal"):
        self.num_inputs, self.num_outputs, self.init = int(num_inputs), int(num_outputs), init
        self.names = None            # ("W{l}", "b{l}"), given by the model

    def build(self, index, rng, dtype):
        """Name the parameters "W{index}", "b{index}" and draw them (rng None: uninitialized)."""
        self.names = (f"W{index}", f"b{index}")
        if rng is None:              # the model was given its parameters: only the names and shapes
            W = np.empty((self.num_inputs, self.num_outputs), dtype=dtype)
        else:
            init = INITIALIZERS[self.init] if isinstance(self.init, str) else self.init
            W = np.asarray(init(self.num_inputs, self.num_outputs, rng), dtype=dtype)
        return {self.names[0]: W, self.names[1]: np.zeros(self.num_outputs, dtype=dtype)}

    def forward(self, params, X, train):
        return dense_forward(X, params[self.names[0]], params[self.names[1]])

    def backward(self, dout, cache, need_dX=True):
        if not need_dX:              # the first layer: nobody needs the gradient of the data
            X = cache[0]
            return None, {self.names[0]: X.T @ dout, self.names[1]: dout.sum(axis=0)}
        dX, dW, db = dense_backward(dout, cache)
        return dX, {self.names[0]: dW, self.names[1]: db}

    def __repr__(self):
        return f"Dense({self.num_inputs}, {self.num_outputs}, init={self.init!r})"


class Activation:
    """An activation by name ("relu", "leaky_relu", "elu", "tanh", "sigmoid"); no parameters.

    At training time a ReLU writes its output and gradient into arrays it keeps (valid until the next
    training step); otherwise, and at test time, the functions of course.nn.activations do the work.
    """

    names = ()

    def __init__(self, name):
        check_activation(name)
        self.name = name
        self.workspace = None        # a ReLU's output and gradient, reused between training steps

    def forward(self, params, X, train):
        if train and self.name == "relu" and isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.floating):
            # ReLU at training time writes into arrays it keeps: fresh ones of a few megabytes (LeNet-5's
            # feature maps) cost page faults at every step. Valid until the next training step.
            if self.workspace is None:
                self.workspace = _conv.Workspace()
            out = self.workspace.get("out", X.shape, X.dtype)
            np.maximum(X, 0, out=out)
            return out, ("relu", X, True)
        return activation_forward(X, self.name)

    def backward(self, dout, cache, need_dX=True):
        if len(cache) == 3:          # the ReLU of a training step: dout where the input was positive
            X, dout = cache[1], np.asarray(dout)
            mask = self.workspace.get("mask", X.shape, bool)
            np.greater(X, 0, out=mask)
            dX = self.workspace.get("dX", X.shape, np.result_type(dout))
            np.multiply(dout, mask, out=dX)
            return dX, {}
        return activation_backward(dout, cache), {}

    def __repr__(self):
        return f"Activation({self.name!r})"


class Dropout:
    """Inverted dropout with rate ``p``, active only at training time; masks drawn from the model's rng."""

    names = ()

    def __init__(self, p):
        check_rate(p)
        self.p, self.rng = p, None   # the rng is the model's, given by build

    def forward(self, params, X, train):
        return dropout_forward(X, self.p, train, self.rng)

    def backward(self, dout, cache, need_dX=True):
        return dropout_backward(dout, cache), {}

    def __repr__(self):
        return f"Dropout({self.p})"


LOSSES = {"softmax_cross_entropy": softmax_cross_entropy, "mse": mean_squared_error}


def check_loss(loss):
    """``loss`` if it names an entry of LOSSES, else ValueError."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    return loss


def r2_score(pred, y):
    """The coefficient of determination 1 - SS_res / SS_tot of (N, K) predictions (mean over outputs)."""
    pred = np.asarray(pred, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(pred.shape)
    ss_res = np.sum((y - pred) ** 2, axis=0)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    return float(np.mean(1 - ss_res / ss_tot))


class Sequential(Classifier):
    """Layers applied in order, ending in class scores; softmax cross-entropy plus L2 as the loss.

    With ``loss="mse"`` the same layers are a regression network: the last layer's outputs are the
    predictions, the loss is their mean squared error against real targets ``y`` (N,) or (N, K),
    ``evaluate`` returns (mse, R²) and ``predict`` the outputs (N,) for one output, else (N, K). In
    ``course.nn.fit``'s history the "train_acc"/"val_acc" columns then hold R² (``metric_name``).

    Parameters
    ----------
    layers : list of layer objects (Dense, Activation, Dropout, ...)
    rng : numpy Generator: the weights are drawn from it in layer order, and later the dropout masks
    reg : L2 strength on every weight matrix "W..." (biases are not penalized)
    dtype : dtype of the parameters (float64 for gradient checks, float32 for fast training)
    params : optional dict of starting parameters; without it the layers draw their own
    copy : copy ``params`` into new arrays of ``dtype`` (default); False uses the caller's dict and
        arrays themselves (training then changes them)
    loss : "softmax_cross_entropy" (classification, the default) or "mse" (regression)
    """

    def __init__(self, layers, rng, reg=0.0, dtype=np.float64, params=None, copy=True,
                 loss="softmax_cross_entropy"):
        self.layers, self.reg = list(layers), float(reg)
        self.loss_name = check_loss(loss)
        self.metric_name = "accuracy" if loss == "softmax_cross_entropy" else "r2"
        drawn, index = {}, 0
        for layer in self.layers:
            if hasattr(layer, "build"):
                index += 1
                drawn.update(layer.build(index, rng if params is None else None, dtype))
        if params is not None:
            missing = sorted(set(drawn) - set(params))
            if missing:
                raise KeyError(f"params is missing {missing}; the model has {sorted(drawn)}")
            for name, value in drawn.items():
                if np.shape(params[name]) != value.shape:
                    raise ValueError(f"params[{name!r}] has shape {np.shape(params[name])}, the model "
                                     f"needs {value.shape}")
            drawn = {name: np.array(params[name], dtype=dtype) for name in drawn} if copy else params
        self.params = drawn
        self.rng = rng

    @property
    def rng(self):
        """The generator of the dropout masks (the one the weights were drawn from, unless replaced)."""
        return self._rng

    @rng.setter
    def rng(self, rng):
        self._rng = rng
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng

    def loss(self, X, y=None):
        """Scores (N, C) without ``y``; ``(loss, grads)`` with ``y`` (N,) integer labels."""
        train = y is not None
        out, caches = X, []
        for layer in self.layers:
            out, cache = layer.forward(self.params, out, train)
            caches.append(cache)
        if not train:
            return out
        loss, dout = LOSSES[self.loss_name](out, y)
        grads = {}
        for i in range(len(self.layers) - 1, -1, -1):
            dout, layer_grads = self.layers[i].backward(dout, caches[i], need_dX=i > 0)
            grads.update(layer_grads)
        if self.reg:
            loss += l2_penalty(self.params, self.reg)
            for name in grads:
                if name.startswith("W"):
                    grads[name] += self.reg * self.params[name]
        return loss, {name: grads[name] for name in self.params}

    def predict(self, X, chunk_size=5_000):
        """Classes (N,) int64 for a classifier; for "mse" the outputs, (N,) for one output else (N, K)."""
        if self.loss_name == "softmax_cross_entropy":
            return super().predict(X, chunk_size)
        S = self.scores(X, chunk_size)
        return S[:, 0] if S.shape[1] == 1 else S

    def evaluate(self, X, y, chunk_size=5_000):
        """(mean cross-entropy, accuracy) for a classifier; (mean squared error, R²) for "mse"."""
        if self.loss_name == "softmax_cross_entropy":
            return super().evaluate(X, y, chunk_size)
        S = self.scores(X, chunk_size)
        loss, _ = mean_squared_error(S, y)
        return loss, r2_score(S, y)

    def __repr__(self):
        inner = ",\n    ".join(map(repr, self.layers))
        extra = "" if self.loss_name == "softmax_cross_entropy" else f", loss={self.loss_name!r}"
        return f"Sequential([\n    {inner}], reg={self.reg}{extra})"


class FunctionModel(Classifier):
    """The model contract around functions over a params dict (how lessons 05-08 write networks).

    Parameters
    ----------
    params : dict name -> array, the starting parameters (copied, so the caller's stay as they are)
    loss_and_grads : ``loss_and_grads(X, y, params) -> (loss, grads)``
    scores : ``scores(X, params) -> (N, C)`` test-time class scores
    dtype : dtype of the copied parameters (default: keep each array's own)
    """

    def __init__(self, params, loss_and_grads, scores, dtype=None):
        self.params = {name: np.array(value, dtype=dtype) for name, value in params.items()}
        self._loss_and_grads, self._scores = loss_and_grads, scores

    def loss(self, X, y=None):
        """Scores (N, C) without ``y``; ``(loss, grads)`` with ``y``."""
        if y is None:
            return self._scores(X, self.params)
        return self._loss_and_grads(X, y, self.params)


def mlp(layer_sizes, rng, activation="relu", dropout=0.0, reg=0.0, init="he_normal", dtype=np.float64,
        params=None, copy=True, loss="softmax_cross_entropy"):
    """A fully connected classifier: (dense -> activation -> dropout) per hidden layer, then dense.

    ``loss="mse"`` makes it a regressor with ``n_L`` linear outputs (see Sequential).

    Parameters
    ----------
    layer_sizes : (n_0, n_1, ..., n_L), inputs to classes, e.g. (784, 256, 128, 64, 10)
    rng : numpy Generator for the weights (drawn W1, W2, ... in order) and the dropout masks
    activation : hidden activation name;  dropout : rate after every hidden activation
    reg : L2 strength;  init : initializer name or callable;  dtype : parameter dtype
    params : optional starting parameters "W1", "b1", ...;  copy : see Sequential
    loss : "softmax_cross_entropy" (classification) or "mse" (regression)

    Returns
    -------
    model : Sequential whose params are "W{l}" (n_{l-1}, n_l), "b{l}" (n_l,)
    """
    sizes = check_layer_sizes(layer_sizes)
    check_activation(activation)
    check_rate(dropout)
    layers = []
    for l in range(1, len(sizes)):
        layers.append(Dense(sizes[l - 1], sizes[l], init))
        if l < len(sizes) - 1:
            layers.append(Activation(activation))
            if dropout:
                layers.append(Dropout(dropout))
    return Sequential(layers, rng, reg=reg, dtype=dtype, params=params, copy=copy, loss=loss)


def two_layer_net(num_inputs, num_hiddens, num_outputs, rng, reg=0.0, scale=None, dtype=np.float64,
                  params=None, copy=True):
    """The two-layer ReLU network of lessons 04-07: dense -> ReLU -> dense, He init (or std ``scale``)."""
    init = "he_normal" if scale is None else (lambda fan_in, fan_out, g: normal_init(fan_in, fan_out, scale, g))
    return mlp((num_inputs, num_hiddens, num_outputs), rng, "relu", 0.0, reg, init, dtype, params, copy)


# --- Convolutional layers (lesson 09) ------------------------------------------------------------
# Images are (N, C, H, W) everywhere (see course.nn.conv for why). Weights are named "W{index}" and
# biases "b{index}" like the dense layers', so the L2 penalty and the optimizers treat them alike.

from course.nn import batchnorm as _batchnorm  # noqa: E402 - the lesson 09 layers, kept together here
from course.nn import conv as _conv  # noqa: E402
from course.nn import pool as _pool  # noqa: E402
from course.nn import reshape as _reshape  # noqa: E402

__all__ += ["Conv2D", "MaxPool2D", "Flatten", "BatchNorm", "lenet5"]

INFERENCE_CHUNK = 1_024   # images per convolution at test time: bounds the patch matrix to ~100 MB

# The functions the layers below call, by name: lesson 09's exercises. ``functions={name: f}`` makes a
# layer (or lenet5, for all of them) call ``f`` instead, with the signature of the lesson's exercise.
LAYER_FUNCTIONS = ("conv_forward", "conv_backward", "maxpool_forward", "maxpool_backward",
                   "flatten_forward", "flatten_backward", "batchnorm_forward", "batchnorm_backward")


def check_functions(functions):
    """``functions`` as a dict {name in LAYER_FUNCTIONS: callable} ({} for None).

    A forward function comes with its backward function (the backward pass reads the forward pass's
    cache). Raises ValueError for an unknown name or half a pair, TypeError for a value that is not
    callable.
    """
    if functions is None:
        return {}
    functions = dict(functions)
    unknown = sorted(set(functions) - set(LAYER_FUNCTIONS))
    if unknown:
        raise ValueError(f"functions: unknown name{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; the layers accept {', '.join(LAYER_FUNCTIONS)}")
    for name, function in functions.items():
        if not callable(function):
            raise TypeError(f"functions[{name!r}] must be a function, got {type(function).__name__}")
    for forward, backward in zip(LAYER_FUNCTIONS[0::2], LAYER_FUNCTIONS[1::2]):
        if (forward in functions) != (backward in functions):
            given, missing = (forward, backward) if forward in functions else (backward, forward)
            raise ValueError(f"functions: {given!r} without {missing!r}; give both (the backward pass reads "
                             "the cache of the forward pass)")
    return functions


class Conv2D:
    """A convolution with ``num_filters`` filters of ``kernel_size`` x ``kernel_size`` over ``in_channels``.

    ``pad`` is a number of zeros on every side, or "same" (stride 1, odd kernel: the output keeps the
    input's size) or "valid" (no padding). Weights (F, C, K, K) are drawn like a dense layer's from
    the (C K K, F) matrix the convolution multiplies its patches by (``init``: a name in INITIALIZERS
    or a callable), so He's fan-in is C K K. ``input_shape`` (C, H, W), for a first layer, reads each
    sample of the input (rows of pixels, (H, W) images) as a (C, H, W) image.

    ``functions`` (see LAYER_FUNCTIONS) may hold ``conv_forward(X, W, b, stride, pad) -> (out, cache)``
    and ``conv_backward(dout, cache) -> (dX, dW, db)`` to call instead of course.nn.conv's (lesson 09's
    signatures: no workspace, and the input gradient is always computed).
    """

    def __init__(self, in_channels, num_filters, kernel_size, stride=1, pad="valid", init="he_normal",
                 input_shape=None, functions=None):
        self.in_channels, self.num_filters, self.kernel_size = int(in_channels), int(num_filters), int(kernel_size)
        self.stride, self.init = int(stride), init
        if pad == "same":
            if self.stride != 1:
                raise ValueError("'same' padding is defined here for stride 1 only")
            pad = _conv.same_padding(self.kernel_size)
        self.pad = 0 if pad == "valid" else int(pad)
        self.input_shape = None if input_shape is None else tuple(int(s) for s in input_shape)
        self.names, self.workspace = None, _conv.Workspace()
        functions = check_functions(functions)
        self.forward_fn, self.backward_fn = functions.get("conv_forward"), functions.get("conv_backward")

    def build(self, index, rng, dtype):
        """Name the parameters "W{index}" (F, C, K, K) and "b{index}" (F,) and draw them (rng None: empty)."""
        self.names = (f"W{index}", f"b{index}")
        C, F, K = self.in_channels, self.num_filters, self.kernel_size
        if rng is None:
            W = np.empty((F, C, K, K), dtype=dtype)
        else:
            init = INITIALIZERS[self.init] if isinstance(self.init, str) else self.init
            W = np.asarray(init(C * K * K, F, rng), dtype=dtype).T.reshape(F, C, K, K)
        return {self.names[0]: np.ascontiguousarray(W), self.names[1]: np.zeros(F, dtype=dtype)}

    def forward(self, params, X, train):
        W, b = params[self.names[0]], params[self.names[1]]
        shape = np.shape(X)
        if self.input_shape is not None:
            X = np.reshape(X, (shape[0],) + self.input_shape)
        given = self.forward_fn
        if train:
            if given is None:   # the workspace is reused from step to step
                out, cache = _conv.conv_forward(X, W, b, self.stride, self.pad, workspace=self.workspace)
            else:
                out, cache = given(X, W, b, self.stride, self.pad)
            return out, (cache, shape)
        # Test time: no backward pass follows; chunks keep the patch matrix of a big batch small.
        forward = _conv.conv_forward if given is None else given
        parts = [forward(X[i:i + INFERENCE_CHUNK], W, b, self.stride, self.pad)[0]
                 for i in range(0, len(X), INFERENCE_CHUNK)]
        return np.concatenate(parts) if len(parts) != 1 else parts[0], None

    def backward(self, dout, cache, need_dX=True):
        conv_cache, shape = cache
        if self.backward_fn is None:
            dX, dW, db = _conv.conv_backward(dout, conv_cache, need_dX=need_dX)
        else:
            dX, dW, db = self.backward_fn(dout, conv_cache)
            dX = dX if need_dX else None
        if dX is not None:
            dX = dX.reshape(shape)
        return dX, {self.names[0]: dW, self.names[1]: db}

    def __repr__(self):
        extra = f", input_shape={self.input_shape}" if self.input_shape else ""
        return (f"Conv2D({self.in_channels}, {self.num_filters}, {self.kernel_size}, stride={self.stride}, "
                f"pad={self.pad}{extra})")


class MaxPool2D:
    """2 x 2 max pooling with stride 2; the gradient goes to the first maximum of each window.

    At training time the output, masks and gradient live in the layer's workspace (see course.nn.pool).
    ``functions`` (see LAYER_FUNCTIONS) may hold ``maxpool_forward(X) -> (out, cache)`` and
    ``maxpool_backward(dout, cache) -> dX`` to call instead (without a workspace).
    """

    names = ()

    def __init__(self, functions=None):
        self.workspace = _conv.Workspace()   # reused from one training step to the next
        functions = check_functions(functions)
        self.forward_fn, self.backward_fn = functions.get("maxpool_forward"), functions.get("maxpool_backward")

    def forward(self, params, X, train):
        if self.forward_fn is not None:
            return self.forward_fn(X)
        return _pool.maxpool_forward(X, workspace=self.workspace if train else None)

    def backward(self, dout, cache, need_dX=True):
        if self.backward_fn is not None:
            return self.backward_fn(dout, cache), {}
        return _pool.maxpool_backward(dout, cache), {}

    def __repr__(self):
        return "MaxPool2D()"


class Flatten:
    """(N, C, H, W) feature maps -> (N, C H W) rows, for the dense layers that follow.

    ``functions`` (see LAYER_FUNCTIONS) may hold ``flatten_forward(X) -> (out, cache)`` and
    ``flatten_backward(dout, cache) -> dX`` to call instead of course.nn.reshape's.
    """

    names = ()

    def __init__(self, functions=None):
        functions = check_functions(functions)
        self.forward_fn, self.backward_fn = functions.get("flatten_forward"), functions.get("flatten_backward")

    def forward(self, params, X, train):
        if self.forward_fn is not None:
            return self.forward_fn(X)
        return _reshape.flatten_forward(X)

    def backward(self, dout, cache, need_dX=True):
        if self.backward_fn is not None:
            return self.backward_fn(dout, cache), {}
        return _reshape.flatten_backward(dout, cache), {}

    def __repr__(self):
        return "Flatten()"


class BatchNorm:
    """Batch normalization of ``num_features`` features (dense (N, D)) or channels (conv (N, C, H, W)).

    Parameters "gamma{index}" (ones) and "beta{index}" (zeros); the running mean and variance, used at
    test time, are state of the layer (``self.bn_param``), not parameters: no optimizer touches them
    and ``save_params`` does not save them. ``functions`` (see LAYER_FUNCTIONS) may hold
    ``batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)`` and ``batchnorm_backward(dout, cache)
    -> (dx, dgamma, dbeta)`` to call instead of course.nn.batchnorm's.
    """

    def __init__(self, num_features, momentum=0.9, eps=1e-5, functions=None):
        self.num_features = int(num_features)
        self.bn_param = {"momentum": momentum, "eps": eps}
        self.names = None
        functions = check_functions(functions)
        self.forward_fn = functions.get("batchnorm_forward")
        self.backward_fn = functions.get("batchnorm_backward")

    def build(self, index, rng, dtype):
        self.names = (f"gamma{index}", f"beta{index}")
        self.bn_param["running_mean"] = np.zeros(self.num_features, dtype=dtype)
        self.bn_param["running_var"] = np.ones(self.num_features, dtype=dtype)
        return {self.names[0]: np.ones(self.num_features, dtype=dtype),
                self.names[1]: np.zeros(self.num_features, dtype=dtype)}

    def forward(self, params, X, train):
        self.bn_param["mode"] = "train" if train else "test"
        forward = _batchnorm.batchnorm_forward if self.forward_fn is None else self.forward_fn
        return forward(X, params[self.names[0]], params[self.names[1]], self.bn_param)

    def backward(self, dout, cache, need_dX=True):
        backward = _batchnorm.batchnorm_backward if self.backward_fn is None else self.backward_fn
        dX, dgamma, dbeta = backward(dout, cache)
        return dX, {self.names[0]: dgamma, self.names[1]: dbeta}

    def __repr__(self):
        return f"BatchNorm({self.num_features})"


def lenet5(rng, activation="relu", dtype=np.float32, batchnorm=False, reg=0.0, init="he_normal",
           input_shape=(1, 28, 28), num_classes=10, params=None, copy=True, functions=None):
    """LeNet-5 for 28 x 28 images: conv 6@5x5 'same' -> pool -> conv 16@5x5 -> pool -> 120 -> 84 -> classes.

    The activation comes after each pooling (max pooling commutes with a non-decreasing activation,
    and the pooled maps are four times smaller); with ``batchnorm`` a BatchNorm layer sits between
    every convolution or hidden dense layer and what follows it.

    Parameters
    ----------
    rng : numpy Generator for the weights (conv1, conv2, dense 1-3, in this order)
    activation : hidden activation name;  dtype : parameter dtype (float32 trains twice as fast)
    batchnorm : insert batch normalization;  reg : L2 strength on every "W...";  init : initializer
    input_shape : (C, H, W) of an image; inputs may come as rows (N, C H W), (N, H, W) or (N, C, H, W)
    num_classes : outputs;  params, copy : see Sequential
    functions : optional {name: function} that the layers call instead of the library's, with lesson
        09's signatures (names in LAYER_FUNCTIONS, forward and backward in pairs):
        conv_forward(X (N, C, H, W), W (F, C, K, K), b (F,), stride, pad) -> (out (N, F, OH, OW), cache),
        conv_backward(dout, cache) -> (dX, dW, db); maxpool_forward(X (N, C, H, W)) -> (out (N, C, H/2,
        W/2), cache), maxpool_backward(dout, cache) -> dX; flatten_forward(X (N, C, H, W)) -> (out
        (N, C H W), cache), flatten_backward(dout, cache) -> dX; batchnorm_forward(x (N, D) or
        (N, C, H, W), gamma, beta, bn_param) -> (out, cache), batchnorm_backward(dout, cache) -> (dx,
        dgamma, dbeta). Without it the library's tuned functions run

    Returns
    -------
    model : Sequential with params W1 (6, C, 5, 5), b1, W2 (16, 6, 5, 5), b2, W3 (400, 120), b3,
        W4 (120, 84), b4, W5 (84, classes), b5 (and gamma/beta of the batch norms, which shift the
        indices of the layers after them)
    """
    check_activation(activation)
    fns = check_functions(functions)
    C, H, W = input_shape
    size = ((H // 2) - 4) // 2, ((W // 2) - 4) // 2             # after pool, valid 5x5 conv, pool

    def norm(n):
        return [BatchNorm(n, functions=fns)] if batchnorm else []

    layers = [Conv2D(C, 6, 5, pad="same", init=init, input_shape=input_shape, functions=fns), *norm(6),
              MaxPool2D(functions=fns), Activation(activation),
              Conv2D(6, 16, 5, init=init, functions=fns), *norm(16), MaxPool2D(functions=fns),
              Activation(activation), Flatten(functions=fns),
              Dense(16 * size[0] * size[1], 120, init), *norm(120), Activation(activation),
              Dense(120, 84, init), *norm(84), Activation(activation),
              Dense(84, num_classes, init)]
    return Sequential(layers, rng, reg=reg, dtype=dtype, params=params, copy=copy)


class Augmented(Classifier):
    """A model trained on augmented batches: ``loss(X, y)`` changes X by ``augment(X, rng)`` first.

    Test-time scores (``loss(X)``, ``scores``, ``evaluate``) see the images as they are. ``params`` is
    the wrapped model's own dict, so training this trains that model.

    Parameters
    ----------
    model : any model of the course (Sequential, FunctionModel, ...)
    augment : ``augment(X, rng) -> X`` of the same shape, e.g. ``course.nn.augment.flip_images``
    rng : numpy Generator for the random changes (default: seeded with 0)
    """

    def __init__(self, model, augment, rng=None):
        self.model, self.augment = model, augment
        self.rng = np.random.default_rng(0) if rng is None else rng

    @property
    def params(self):
        return self.model.params

    def loss(self, X, y=None):
        """Scores (N, C) of X as it is without ``y``; ``(loss, grads)`` on ``augment(X)`` with it."""
        if y is None:
            return self.model.loss(X)
        return self.model.loss(self.augment(X, self.rng), y)

    def __repr__(self):
        return f"Augmented({self.model!r}, {getattr(self.augment, '__name__', self.augment)})"


__all__ += ["Augmented"]


# --- Recurrent layers (lesson 10) ----------------------------------------------------------------
# Sequences are batch-first (N, T, D) (see course.nn.recurrent). A recurrent layer's parameters are
# "Wx{index}" (D, G H), "Wh{index}" (H, G H) and "b{index}" (G H,); an embedding table is
# "E{index}" (V, D) (not "W...": the L2 penalty leaves it alone, as Keras' default does).

from course.nn import embedding as _embedding  # noqa: E402 - the lesson 10 layers, kept together here
from course.nn import recurrent as _recurrent  # noqa: E402

__all__ += ["Recurrent", "LSTM", "GRU", "SimpleRNN", "Embedding", "TimeFlatten", "SequenceModel",
            "lstm_classifier", "char_language_model", "orthogonal_init"]


def orthogonal_init(num_rows, num_cols, rng):
    """A (num_rows, num_cols) matrix with orthonormal rows or columns (Keras' recurrent default)."""
    A = rng.standard_normal((max(num_rows, num_cols), min(num_rows, num_cols)))
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))
    return Q if num_rows >= num_cols else Q.T


class Recurrent:
    """A recurrent layer ("rnn", "lstm" or "gru") over (N, T, D) sequences, starting from zero states.

    Parameters
    ----------
    cell : "rnn", "lstm" or "gru"
    num_inputs : D;  num_hiddens : H
    return_sequences : output every hidden state (N, T, H); default only the last one (N, H)
    pool : with return_sequences False, "last" (the last state) or "mean" (the mean over time)
    input_shape : (T, D) to accept rows (N, T D) (e.g. Fashion-MNIST images as 784 pixels)

    Weights as Keras draws them: Xavier uniform Wx, orthogonal Wh (per gate), zero biases with the
    LSTM's forget-gate bias at 1 (so that it remembers by default at the start).
    """

    def __init__(self, cell, num_inputs, num_hiddens, return_sequences=False, pool="last", input_shape=None):
        if cell not in _recurrent.CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(_recurrent.CELLS)}")
        if pool not in ("last", "mean"):
            raise ValueError(f"pool must be 'last' or 'mean', got {pool!r}")
        self.cell, self.num_inputs, self.num_hiddens = cell, int(num_inputs), int(num_hiddens)
        self.return_sequences, self.pool, self.input_shape = return_sequences, pool, input_shape
        self.forward_fn, self.backward_fn = _recurrent.CELLS[cell]
        self.names = None
        # The LSTM reuses its temporary arrays from one training step to the next (see recurrent.py).
        self.workspace = _conv.Workspace() if cell == "lstm" else None

    def build(self, index, rng, dtype):
        self.names = (f"Wx{index}", f"Wh{index}", f"b{index}")
        G, D, H = _recurrent.GATES[self.cell], self.num_inputs, self.num_hiddens
        if rng is None:
            Wx, Wh = np.empty((D, G * H), dtype=dtype), np.empty((H, G * H), dtype=dtype)
        else:
            Wx = INITIALIZERS["xavier_uniform"](D, G * H, rng)
            Wh = np.concatenate([orthogonal_init(H, H, rng) for _ in range(G)], axis=1)
        b = np.zeros(G * H, dtype=dtype)
        if self.cell == "lstm":
            b[H:2 * H] = 1
        return {self.names[0]: np.asarray(Wx, dtype=dtype), self.names[1]: np.asarray(Wh, dtype=dtype),
                self.names[2]: b}

    def _run(self, params, X, workspace):
        Wx, Wh, b = (params[name] for name in self.names)
        h0 = np.zeros((X.shape[0], self.num_hiddens), dtype=np.result_type(X, Wh))
        if workspace is None:
            return self.forward_fn(X, h0, Wx, Wh, b)
        return self.forward_fn(X, h0, Wx, Wh, b, workspace=workspace)

    def _pool(self, H_all):
        return np.ascontiguousarray(H_all[:, -1] if self.pool == "last" else H_all.mean(axis=1))

    def forward(self, params, X, train):
        if self.input_shape is not None and X.ndim == 2:
            X = X.reshape(len(X), *self.input_shape)
        if not train and not self.return_sequences:
            # Test time: chunks of INFERENCE_CHUNK sequences, so that the stored gates stay small.
            outs = [self._pool(self._run(params, X[k:k + INFERENCE_CHUNK], None)[0])
                    for k in range(0, len(X), INFERENCE_CHUNK)]
            return np.concatenate(outs), None
        H_all, cache = self._run(params, X, self.workspace if train else None)
        if self.return_sequences:
            return H_all, (cache, H_all.shape)
        return self._pool(H_all), (cache, H_all.shape)

    def backward(self, dout, cache, need_dX=True):
        cache, shape = cache
        if self.return_sequences:
            dH = dout
        elif self.pool == "last":
            # Only the last state has a gradient: a zero array with the last step written (reused).
            dH = np.zeros(shape, dtype=dout.dtype) if self.workspace is None else \
                self.workspace.get("dH", shape, dout.dtype, zero=True)
            dH[:, -1] = dout
        else:
            dH = np.broadcast_to(dout[:, None] / shape[1], shape)
        if self.cell == "lstm":      # the LSTM skips the input gradient's product when nobody needs it
            dX, _, dWx, dWh, db = self.backward_fn(dH, cache, need_dX=need_dX)
        else:
            dX, _, dWx, dWh, db = self.backward_fn(dH, cache)
        return (dX if need_dX else None), dict(zip(self.names, (dWx, dWh, db)))

    def __repr__(self):
        extra = ", return_sequences=True" if self.return_sequences else (", pool='mean'" if self.pool == "mean" else "")
        return f"{type(self).__name__}({self.num_inputs}, {self.num_hiddens}{extra})"


class LSTM(Recurrent):
    """An LSTM layer (see Recurrent): ``LSTM(28, 128)``."""

    def __init__(self, num_inputs, num_hiddens, **kwargs):
        super().__init__("lstm", num_inputs, num_hiddens, **kwargs)


class GRU(Recurrent):
    """A GRU layer, Keras' reset_after form (see Recurrent and course.nn.recurrent)."""

    def __init__(self, num_inputs, num_hiddens, **kwargs):
        super().__init__("gru", num_inputs, num_hiddens, **kwargs)


class SimpleRNN(Recurrent):
    """A vanilla tanh RNN layer (see Recurrent)."""

    def __init__(self, num_inputs, num_hiddens, **kwargs):
        super().__init__("rnn", num_inputs, num_hiddens, **kwargs)


class Embedding:
    """A lookup table (V, D) for integer tokens (N, T) -> (N, T, D); parameter "E{index}", N(0, 1) rows.

    The model's inputs arrive as the parameters' dtype (``fit`` casts every batch): the tokens are
    turned back into integers here.
    """

    def __init__(self, vocab_size, dim):
        self.vocab_size, self.dim, self.names = int(vocab_size), int(dim), None

    def build(self, index, rng, dtype):
        self.names = (f"E{index}",)
        E = (np.empty if rng is None else lambda shape, dtype: rng.standard_normal(shape).astype(dtype))(
            (self.vocab_size, self.dim), dtype=dtype)
        return {self.names[0]: E}

    def forward(self, params, X, train):
        return _embedding.embedding_forward(np.asarray(X).astype(np.intp), params[self.names[0]])

    def backward(self, dout, cache, need_dX=True):
        return None, {self.names[0]: _embedding.embedding_backward(dout, cache)}

    def __repr__(self):
        return f"Embedding({self.vocab_size}, {self.dim})"


class TimeFlatten:
    """(N, T, H) states -> (N T, H) rows, so that one Dense layer scores every time step."""

    names = ()

    def forward(self, params, X, train):
        return X.reshape(-1, X.shape[-1]), X.shape

    def backward(self, dout, cache, need_dX=True):
        return dout.reshape(cache), {}

    def __repr__(self):
        return "TimeFlatten()"


class SequenceModel(Sequential):
    """A Sequential that predicts a label at every time step: y is (N, T), the scores (N T, C).

    The loss is the mean cross-entropy over all N T positions (a language model's next-token loss).
    """

    def loss(self, X, y=None):
        return super().loss(X, None if y is None else np.asarray(y).reshape(-1))

    def scores(self, X, chunk_size=500):
        return super().scores(X, chunk_size)

    def evaluate(self, X, y, chunk_size=500):
        S = self.scores(X, chunk_size)
        y = np.asarray(y).reshape(-1)
        loss, _ = softmax_cross_entropy(S, y)
        return loss, float(np.mean(np.argmax(S, axis=1) == y))


def lstm_classifier(rng, num_inputs=28, num_hiddens=128, num_classes=10, cell="lstm", pool="last",
                    input_shape=(28, 28), dtype=np.float32, reg=0.0, params=None, copy=True):
    """A recurrent classifier: a recurrent layer over the rows, then a dense layer on its last state.

    For Fashion-MNIST read row by row: 28 steps of 28 pixels (``input_shape``), images as (N, 28, 28)
    or rows (N, 784).

    Returns
    -------
    model : Sequential with params Wx1 (D, G H), Wh1 (H, G H), b1 (G H,), W2 (H, classes), b2
    """
    layers = [Recurrent(cell, num_inputs, num_hiddens, pool=pool, input_shape=input_shape),
              Dense(num_hiddens, num_classes, init="xavier_uniform")]
    return Sequential(layers, rng, reg=reg, dtype=dtype, params=params, copy=copy)


def char_language_model(rng, vocab_size, embedding_dim=32, num_hiddens=256, cell="lstm", dtype=np.float32,
                        params=None, copy=True):
    """A character-level language model: embedding -> recurrent layer (every step) -> dense scores.

    Trained on (N, T) windows of token ids with targets the same windows shifted by one character.

    Returns
    -------
    model : SequenceModel with params E1 (V, E), Wx2, Wh2, b2, W3 (H, V), b3
    """
    layers = [Embedding(vocab_size, embedding_dim),
              Recurrent(cell, embedding_dim, num_hiddens, return_sequences=True), TimeFlatten(),
              Dense(num_hiddens, vocab_size, init="xavier_uniform")]
    return SequenceModel(layers, rng, dtype=dtype, params=params, copy=copy)
