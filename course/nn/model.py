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
from course.nn.losses import l2_penalty, softmax_cross_entropy

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
    """An activation by name ("relu", "leaky_relu", "elu", "tanh", "sigmoid"); no parameters."""

    names = ()

    def __init__(self, name):
        check_activation(name)
        self.name = name

    def forward(self, params, X, train):
        return activation_forward(X, self.name)

    def backward(self, dout, cache, need_dX=True):
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


class Sequential(Classifier):
    """Layers applied in order, ending in class scores; softmax cross-entropy plus L2 as the loss.

    Parameters
    ----------
    layers : list of layer objects (Dense, Activation, Dropout, ...)
    rng : numpy Generator: the weights are drawn from it in layer order, and later the dropout masks
    reg : L2 strength on every weight matrix "W..." (biases are not penalized)
    dtype : dtype of the parameters (float64 for gradient checks, float32 for fast training)
    params : optional dict of starting parameters; without it the layers draw their own
    copy : copy ``params`` into new arrays of ``dtype`` (default); False uses the caller's dict and
        arrays themselves (training then changes them)
    """

    def __init__(self, layers, rng, reg=0.0, dtype=np.float64, params=None, copy=True):
        self.layers, self.reg = list(layers), float(reg)
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
        loss, dout = softmax_cross_entropy(out, y)
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

    def __repr__(self):
        inner = ",\n    ".join(map(repr, self.layers))
        return f"Sequential([\n    {inner}], reg={self.reg})"


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
        params=None, copy=True):
    """A fully connected classifier: (dense -> activation -> dropout) per hidden layer, then dense.

    Parameters
    ----------
    layer_sizes : (n_0, n_1, ..., n_L), inputs to classes, e.g. (784, 256, 128, 64, 10)
    rng : numpy Generator for the weights (drawn W1, W2, ... in order) and the dropout masks
    activation : hidden activation name;  dropout : rate after every hidden activation
    reg : L2 strength;  init : initializer name or callable;  dtype : parameter dtype
    params : optional starting parameters "W1", "b1", ...;  copy : see Sequential

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
    return Sequential(layers, rng, reg=reg, dtype=dtype, params=params, copy=copy)


def two_layer_net(num_inputs, num_hiddens, num_outputs, rng, reg=0.0, scale=None, dtype=np.float64,
                  params=None, copy=True):
    """The two-layer ReLU network of lessons 04-07: dense -> ReLU -> dense, He init (or std ``scale``)."""
    init = "he_normal" if scale is None else (lambda fan_in, fan_out, g: normal_init(fan_in, fan_out, scale, g))
    return mlp((num_inputs, num_hiddens, num_outputs), rng, "relu", 0.0, reg, init, dtype, params, copy)
