"""A fully connected network of any depth, with inverted dropout and L2 weight decay (lesson 08).

Lesson 08 has students write :func:`init_deep`, :func:`dropout_forward`, :func:`dropout_backward`,
:func:`deep_forward`, :func:`deep_backward`, :func:`l2_penalty` and :func:`deep_loss` themselves;
this module is the reference that the benchmarks (``benchmarks/``) and later lessons import, so that
they never depend on a notebook. It also holds the layer building blocks of lesson 06 in the same
forward/backward/cache style (as in CS231n)::

    out, cache = dense_forward(X, W, b)          dX, dW, db = dense_backward(dout, cache)
    A, cache = activation_forward(Z, "relu")      dZ = activation_backward(dA, cache)
    loss, dscores = softmax_cross_entropy(scores, y)

The network, for inputs ``X`` of shape (N, n_0) and layer sizes ``(n_0, n_1, ..., n_L)``::

    A_0 = X
    A_l = dropout(f(A_{l-1} @ W_l + b_l))        l = 1, ..., L-1   (N, n_l)  hidden layers
    S   = A_{L-1} @ W_L + b_L                                      (N, n_L)  class scores

Parameters live in a dict ``params`` with ``"W1"`` (n_0, n_1), ``"b1"`` (n_1,), ..., ``"WL"``,
``"bL"``; gradients come back in a dict with the same keys. Everything is vectorized NumPy: one matrix
product per layer for the whole batch, no loop over samples or units.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = [
    "dense_forward", "dense_backward", "relu_forward", "relu_backward", "leaky_relu_forward",
    "leaky_relu_backward", "elu_forward", "elu_backward", "tanh_forward", "tanh_backward",
    "sigmoid_forward", "sigmoid_backward", "ACTIVATIONS", "activation_forward",
    "activation_backward", "softmax_cross_entropy", "INIT_METHODS", "init_deep", "num_layers",
    "dropout_forward", "dropout_backward", "deep_forward", "deep_backward", "l2_penalty",
    "deep_loss", "deep_scores", "deep_predict", "evaluate", "fit",
]

LEAKY_SLOPE = 0.01


# --------------------------------------------------------------------------------------------
# Layers (lesson 06): forward returns (out, cache), backward turns dout into the input gradients
# --------------------------------------------------------------------------------------------

def dense_forward(X, W, b):
    """Affine layer ``X @ W + b``.

    Parameters
    ----------
    X : (N, D) inputs;  W : (D, M) weights;  b : (M,) biases

    Returns
    -------
    out : (N, M)
    cache : (X, W), what the backward pass needs
    """
    return X @ W + b, (X, W)


def dense_backward(dout, cache):
    """Gradients of an affine layer.

    Parameters
    ----------
    dout : (N, M) gradient of the loss with respect to the layer's output
    cache : (X, W) from :func:`dense_forward`

    Returns
    -------
    dX : (N, D);  dW : (D, M);  db : (M,)
    """
    X, W = cache
    return dout @ W.T, X.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    """ReLU ``max(0, x)``; returns (out, cache) with out the shape of x."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """ReLU passes the gradient where its input was positive."""
    return dout * (cache > 0)


def leaky_relu_forward(x):
    """Leaky ReLU with slope 0.01 for negative inputs; returns (out, cache)."""
    return np.where(x > 0, x, LEAKY_SLOPE * x), x


def leaky_relu_backward(dout, cache):
    """Gradient of the leaky ReLU: 1 for positive inputs, 0.01 otherwise."""
    return dout * np.where(cache > 0, 1.0, LEAKY_SLOPE)


def elu_forward(x):
    """ELU (alpha = 1): ``x`` for x > 0, ``exp(x) - 1`` otherwise, without overflow; returns (out, cache)."""
    out = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))   # exp of a positive x is never computed
    return out, (x, out)


def elu_backward(dout, cache):
    """Gradient of the ELU: 1 for x > 0, ``out + 1 = exp(x)`` otherwise."""
    x, out = cache
    return dout * np.where(x > 0, 1.0, out + 1.0)


def tanh_forward(x):
    """tanh; returns (out, cache) with the output as cache (its derivative is 1 - out**2)."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """Gradient of tanh: ``1 - tanh(x)**2``."""
    return dout * (1.0 - cache ** 2)


def sigmoid_forward(x):
    """Logistic sigmoid, written with tanh so that it never overflows; returns (out, cache)."""
    out = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward(dout, cache):
    """Gradient of the sigmoid: ``s * (1 - s)``."""
    return dout * cache * (1.0 - cache)


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "elu": (elu_forward, elu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
}


def _check_activation(name):
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid names are: {', '.join(ACTIVATIONS)}")


def activation_forward(Z, name):
    """The activation called ``name`` applied to every entry of Z.

    Parameters
    ----------
    Z : array of any shape, e.g. (N, M) pre-activations
    name : a key of ACTIVATIONS ("relu", "leaky_relu", "elu", "tanh", "sigmoid")

    Returns
    -------
    A : array of the shape of Z
    cache : (name, what that activation's backward needs)

    Raises
    ------
    ValueError : unknown name (the message lists the valid names)
    """
    _check_activation(name)
    A, inner = ACTIVATIONS[name][0](Z)
    return A, (name, inner)


def activation_backward(dA, cache):
    """Gradient with respect to the activation's input, from ``dA`` (the shape of Z) and its cache."""
    name, inner = cache
    return ACTIVATIONS[name][1](dA, inner)


def softmax_cross_entropy(scores, y):
    """Mean cross-entropy of the softmax of ``scores`` against integer labels, and its gradient.

    Computed with a stable log-softmax (the row maximum is subtracted first), so huge scores give a
    finite loss.

    Parameters
    ----------
    scores : (N, C) class scores (logits)
    y : (N,) integer labels in 0..C-1

    Returns
    -------
    loss : float, ``-mean_n log softmax(scores)[n, y_n]``
    dscores : (N, C) gradient of ``loss`` with respect to ``scores``: ``(P - Y) / N``
    """
    scores = np.asarray(scores)
    y = np.asarray(y)
    num_samples = scores.shape[0]
    rows = np.arange(num_samples)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))   # (N, C)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= num_samples
    return float(loss), dscores


# --------------------------------------------------------------------------------------------
# The deep network
# --------------------------------------------------------------------------------------------

# Standard deviation of the weights of a layer with fan_in inputs and fan_out outputs (lesson 03).
INIT_METHODS = {
    "he_normal": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "xavier_normal": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
    "lecun_normal": lambda fan_in, fan_out: np.sqrt(1.0 / fan_in),
}


def init_deep(layer_sizes, rng, method="he_normal"):
    """Random weights and zero biases of a fully connected network with the given layer sizes.

    Parameters
    ----------
    layer_sizes : sequence of L + 1 positive integers (n_0, ..., n_L): inputs, then the units of
        each layer; the last is the number of classes, e.g. (784, 256, 128, 64, 10)
    rng : numpy Generator; W1, W2, ... are drawn in this order as ``std * rng.standard_normal``
    method : "he_normal" (std sqrt(2 / fan_in), for ReLU), "xavier_normal"
        (sqrt(2 / (fan_in + fan_out))) or "lecun_normal" (sqrt(1 / fan_in))

    Returns
    -------
    params : dict with "W{l}" (n_{l-1}, n_l) and "b{l}" zeros (n_l,) for l = 1..L, float64

    Raises
    ------
    ValueError : unknown method, fewer than two sizes, or a size that is not a positive integer
    """
    if method not in INIT_METHODS:
        raise ValueError(f"unknown initialization method {method!r}; valid names are: "
                         + ", ".join(INIT_METHODS))
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least two sizes (inputs and outputs), got {sizes}")
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer sizes must be positive integers, got {n!r} in {sizes}")
    params = {}
    for l in range(1, len(sizes)):
        fan_in, fan_out = int(sizes[l - 1]), int(sizes[l])
        params[f"W{l}"] = INIT_METHODS[method](fan_in, fan_out) * rng.standard_normal((fan_in, fan_out))
        params[f"b{l}"] = np.zeros(fan_out)
    return params


def num_layers(params):
    """L, the number of weight matrices W1, W2, ... in ``params``."""
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    if L == 0:
        raise ValueError(f"params holds no weight matrix 'W1'; its keys are {sorted(params)}")
    return L


def _check_p(p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0 <= p < 1:
        raise ValueError(f"the dropout rate p must be a number with 0 <= p < 1, got {p!r}")


def dropout_forward(x, p, train, rng=None):
    """Inverted dropout: at training time zero each entry with probability p and scale the rest.

    At training time (and p > 0) a uniform number is drawn for every entry, ``u = rng.random(x.shape)``;
    entries with ``u < p`` are dropped and the others multiplied by ``1 / (1 - p)``, so that the
    expected output equals the input. At test time (or p = 0) the layer is the identity and no random
    number is drawn.

    Parameters
    ----------
    x : array of any shape, e.g. (N, M) activations
    p : probability of dropping an entry, 0 <= p < 1
    train : True at training time, False at test time
    rng : numpy Generator, needed at training time when p > 0

    Returns
    -------
    out : array of the shape of x
    mask : None when nothing was dropped, else a float array of the shape of x holding 0 for the
        dropped entries and 1 / (1 - p) for the kept ones (``out = x * mask``)

    Raises
    ------
    ValueError : p outside [0, 1), or no rng at training time with p > 0
    """
    _check_p(p)
    if not train or p == 0:
        return x, None
    if rng is None:
        raise ValueError("dropout at training time needs a random generator: pass rng=...")
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout: the upstream gradient through the same mask (``dout`` if mask is None)."""
    return dout if mask is None else dout * mask


def deep_forward(X, params, activation="relu", dropout=0.0, train=False, rng=None):
    """Class scores of the network, and the caches the backward pass needs.

    Every hidden layer is dense -> activation -> dropout; the last layer is dense only (scores).

    Parameters
    ----------
    X : (N, n_0) inputs
    params : dict "W1", "b1", ..., "WL", "bL" (see :func:`init_deep`)
    activation : name of the hidden activation, a key of ACTIVATIONS
    dropout : dropout rate p of every hidden layer, 0 <= p < 1
    train : True at training time (dropout active), False at test time (dropout is the identity)
    rng : numpy Generator for the dropout masks (needed when train and dropout > 0)

    Returns
    -------
    scores : (N, n_L) class scores
    caches : list of L tuples ``(dense_cache, activation_cache, mask)``; for the last layer
        the last two are None
    """
    _check_activation(activation)
    _check_p(dropout)
    L = num_layers(params)
    A = X
    caches = []
    for l in range(1, L):
        Z, dense_cache = dense_forward(A, params[f"W{l}"], params[f"b{l}"])   # (N, n_l)
        A, act_cache = activation_forward(Z, activation)
        A, mask = dropout_forward(A, dropout, train, rng)
        caches.append((dense_cache, act_cache, mask))
    scores, dense_cache = dense_forward(A, params[f"W{L}"], params[f"b{L}"])
    caches.append((dense_cache, None, None))
    return scores, caches


def deep_backward(dscores, caches):
    """Gradients of every parameter, from the gradient of the loss with respect to the scores.

    Parameters
    ----------
    dscores : (N, n_L) gradient with respect to the scores
    caches : the list returned by :func:`deep_forward`

    Returns
    -------
    grads : dict with "W{l}" (n_{l-1}, n_l) and "b{l}" (n_l,) for l = 1..L
    """
    L = len(caches)
    grads = {}
    dA = dscores
    for l in range(L, 0, -1):
        dense_cache, act_cache, mask = caches[l - 1]
        if l < L:   # the last layer has no activation and no dropout
            dA = activation_backward(dropout_backward(dA, mask), act_cache)
        dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dA, dense_cache)
    return {key: grads[key] for l in range(1, L + 1) for key in (f"W{l}", f"b{l}")}


def l2_penalty(params, reg):
    """The L2 penalty ``0.5 * reg * sum_l sum(W_l ** 2)``; biases are not penalized.

    Parameters
    ----------
    params : dict "W1", "b1", ..., "WL", "bL"
    reg : penalty strength, >= 0

    Returns
    -------
    penalty : float
    """
    return float(0.5 * reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, num_layers(params) + 1)))


def deep_loss(X, y, params, reg=0.0, dropout=0.0, train=True, rng=None, activation="relu"):
    """Mean cross-entropy plus the L2 penalty, and its gradient with respect to every parameter.

    Parameters
    ----------
    X : (N, n_0) inputs;  y : (N,) integer labels in 0..n_L-1
    params : dict "W1", "b1", ..., "WL", "bL"
    reg : L2 strength (weights only)
    dropout : dropout rate of the hidden layers
    train : dropout is applied only when True
    rng : numpy Generator for the dropout masks
    activation : hidden activation name

    Returns
    -------
    loss : float, data loss + :func:`l2_penalty`
    grads : dict of arrays shaped like ``params``; each weight gradient includes ``reg * W``
    """
    scores, caches = deep_forward(X, params, activation, dropout, train, rng)
    data_loss, dscores = softmax_cross_entropy(scores, y)
    grads = deep_backward(dscores, caches)
    for l in range(1, len(caches) + 1):
        grads[f"W{l}"] = grads[f"W{l}"] + reg * params[f"W{l}"]
    return data_loss + l2_penalty(params, reg), grads


def deep_scores(X, params, activation="relu", forward=None, chunk_size=5_000):
    """Test-time scores (dropout off), computed ``chunk_size`` rows at a time.

    Parameters
    ----------
    X : (N, n_0) inputs;  params : the network
    activation : hidden activation name
    forward : the forward function to use (default :func:`deep_forward`), e.g. a student's own

    Returns
    -------
    scores : (N, n_L) float64
    """
    forward = deep_forward if forward is None else forward
    X = np.asarray(X)
    parts = [forward(np.asarray(X[i:i + chunk_size], dtype=np.float64), params, activation, 0.0, False,
                     None)[0] for i in range(0, len(X), chunk_size)]
    return np.concatenate(parts) if parts else np.zeros((0, params[f"W{num_layers(params)}"].shape[1]))


def deep_predict(X, params, activation="relu", forward=None):
    """Most probable class of every row of X at test time: (N,) int64."""
    return np.argmax(deep_scores(X, params, activation, forward), axis=1).astype(np.int64)


def evaluate(X, y, params, activation="relu", forward=None):
    """Data loss (mean cross-entropy, no penalty) and accuracy of the network at test time."""
    scores = deep_scores(X, params, activation, forward)
    loss, _ = softmax_cross_entropy(scores, y)
    return loss, float(np.mean(np.argmax(scores, axis=1) == y))


def fit(params, X_train, y_train, X_val, y_val, num_epochs=10, batch_size=128, lr=1e-3, reg=0.0,
        dropout=0.0, activation="relu", optimizer="adam", lr_decay=1.0, rng=None, loss_fn=None,
        forward=None, eval_size=10_000, progress=True, label=""):
    """Train the network by minibatch gradient descent, recording train and validation curves.

    Parameters
    ----------
    params : dict, the starting network (not modified)
    X_train : (N, n_0);  y_train : (N,) int labels;  X_val, y_val : the validation set
    num_epochs, batch_size : passes over the data, samples per step
    lr : learning rate;  lr_decay : it is multiplied by this after every epoch
    reg, dropout, activation : as in :func:`deep_loss`
    optimizer : "sgd", "sgd_momentum" or "adam" (course.optim's update rules)
    rng : numpy Generator for the batch order and the dropout masks (default: seeded with 0)
    loss_fn : ``loss_fn(X, y, params, reg, dropout, train, rng, activation) -> (loss, grads)``
        (default :func:`deep_loss`; a notebook passes its own)
    forward : forward function used to evaluate (default :func:`deep_forward`)
    eval_size : the training curves are measured on a fixed random subset of this many training
        samples (all of them when N is smaller), to keep evaluation cheap
    progress : print one line per epoch
    label : printed at the start of each line

    Returns
    -------
    params : the trained network (new arrays)
    history : dict of per-epoch lists "train_loss", "val_loss" (mean cross-entropy without the
        penalty, dropout off), "train_acc", "val_acc", "seconds" (time of the updates only)
    """
    from course.optim import UPDATE_RULES, minibatches

    loss_fn = deep_loss if loss_fn is None else loss_fn
    rng = np.random.default_rng(0) if rng is None else rng
    update = UPDATE_RULES[optimizer]
    params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    configs = {key: {"learning_rate": lr} for key in params}
    pick = rng.permutation(len(X_train))[:eval_size] if eval_size < len(X_train) else slice(None)
    X_eval, y_eval = X_train[pick], y_train[pick]
    history = {"train_loss": [], "val_loss": [], "train_acc": [], "val_acc": [], "seconds": []}
    for epoch in range(1, num_epochs + 1):
        start = time.perf_counter()
        for X_batch, y_batch in minibatches(X_train, y_train, batch_size, rng):
            _, grads = loss_fn(np.asarray(X_batch, dtype=np.float64), y_batch, params, reg, dropout,
                               True, rng, activation)
            for key in params:
                params[key], configs[key] = update(params[key], grads[key], configs[key])
        history["seconds"].append(time.perf_counter() - start)
        for key in configs:
            configs[key]["learning_rate"] *= lr_decay
        for split, (X_s, y_s) in (("train", (X_eval, y_eval)), ("val", (X_val, y_val))):
            loss, acc = evaluate(X_s, y_s, params, activation, forward)
            history[f"{split}_loss"].append(loss)
            history[f"{split}_acc"].append(acc)
        if progress:
            print(f"{label}epoch {epoch:3d}/{num_epochs}: train loss {history['train_loss'][-1]:.4f} "
                  f"acc {history['train_acc'][-1]:.4f} | val loss {history['val_loss'][-1]:.4f} "
                  f"acc {history['val_acc'][-1]:.4f} | {history['seconds'][-1]:.2f} s", flush=True)
    return params, history
