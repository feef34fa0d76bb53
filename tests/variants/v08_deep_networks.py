"""Lesson 08's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

init_deep
    weights drawn last layer first (init_last_layer_first) .. init_deep_shapes: "drawn in a different order"
    True accepted as a layer size (init_accepts_bool) ....... init_deep_shapes: "init_deep((3, True, 2), rng)"
    LeCun's std instead of He's (init_lecun_std) ............ init_deep_shapes: "W1 should have the He std"
    valid: the keys built in two loops (init_two_loops)
dropout_forward / dropout_backward
    kept entries not scaled by 1 / (1 - p) (dropout_not_scaled)  dropout_train_statistics
    the mask drawn before the test-time return (dropout_draws_at_test_time)  dropout_test_time_identity:
        "drew random numbers at test time"
    rng=None at training time not refused (dropout_no_rng_check)  dropout_rejects_bad_p: "the missing rng"
    the gradient not sent through the mask (dropout_backward_ignores_mask)  dropout_backward_values
    valid: np.where on the uniform draws (dropout_where)
deep_forward / deep_backward
    dropout on the input too (deep_forward_drops_input) ....... deep_forward_dropout_modes: "dropout on the input X too"
    dropout on the scores too, with a matching backward pass (deep_forward_drops_scores)
                                                              deep_forward_dropout_modes: "dropout on the scores too"
    masks drawn last hidden layer first (deep_forward_masks_last_first)
                                                    deep_forward_dropout_modes: "masks drawn for the last ... first"
    a generator made up when rng is None (deep_forward_makes_rng)  deep_forward_dropout_modes: "rng=None"
    the dropout mask left out of the backward pass (deep_backward_skips_dropout)  deep_loss_dropout_gradcheck
    valid: the caches walked with reversed() (deep_backward_reversed)
l2_penalty / deep_loss
    the biases penalized (l2_includes_biases) ................ l2_penalty_values
    no factor 0.5 (l2_no_half) .............................. l2_penalty_values
    reg * W left out of the gradients (deep_loss_no_reg_gradient)  deep_loss_gradcheck_with_l2
    dropout applied at test time too (deep_loss_ignores_train)  deep_loss_dropout_gradcheck
    valid: the penalty summed over the "W" keys (l2_over_keys)
"""

LESSON = "08_deep_networks"

_INIT = '''def init_deep(layer_sizes, rng, method="he_normal"):
    if method not in INIT_METHODS:
        raise ValueError(f"unknown method {method!r}; valid names are: " + ", ".join(INIT_METHODS))
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(f"need at least two sizes, got {sizes}")
    for n in sizes:
        if CHECK:
            raise ValueError(f"layer sizes must be positive integers, got {n!r}")
    params = {}
    for l in ORDER:
        fan_in, fan_out = int(sizes[l - 1]), int(sizes[l])
        params[f"W{l}"] = STD * rng.standard_normal((fan_in, fan_out))
        params[f"b{l}"] = np.zeros(fan_out)
    return dict(sorted(params.items()))
'''
_SIZE_CHECK = "isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1"


def _init(check=_SIZE_CHECK, order="range(1, len(sizes))", std="INIT_METHODS[method](fan_in, fan_out)"):
    return _INIT.replace("CHECK", check).replace("ORDER", order).replace("STD", std)


_DROP = '''def dropout_forward(x, p, train, rng=None):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"the dropout rate p must be a number with 0 <= p < 1, got {p!r}")
    BODY
'''
_DROP_BODY = '''if not train or p == 0:
        return x, None
    if rng is None:
        raise ValueError("dropout at training time needs a random generator: pass rng=...")
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * mask, mask'''


def _drop(body=_DROP_BODY):
    return _DROP.replace("BODY", body)


_DROP_BACKWARD = '''def dropout_backward(dout, mask):
    return dout if mask is None else dout * mask
'''

_FORWARD = '''def deep_forward(X, params, activation="relu", dropout=0.0, train=False, rng=None):
    L = num_layers(params)
    A = X
    caches = []
    PRE
    for l in range(1, L):
        Z, dense_cache = dense_forward(A, params[f"W{l}"], params[f"b{l}"])
        A, act_cache = activation_forward(Z, activation)
        HIDDEN
        caches.append((dense_cache, act_cache, mask))
    scores, dense_cache = dense_forward(A, params[f"W{L}"], params[f"b{L}"])
    OUTPUT
    return scores, caches
'''


def _forward(pre="", hidden="A, mask = dropout_forward(A, dropout, train, rng)",
             output="caches.append((dense_cache, None, None))"):
    return _FORWARD.replace("PRE", pre).replace("HIDDEN", hidden).replace("OUTPUT", output)


_BACKWARD = '''def deep_backward(dscores, caches):
    L = len(caches)
    grads = {}
    dA = dscores
    for l in range(L, 0, -1):
        dense_cache, act_cache, mask = caches[l - 1]
        BODY
        dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dA, dense_cache)
    return grads
'''


def _backward(body="if l < L:\n            dA = activation_backward(dropout_backward(dA, mask), act_cache)"):
    return _BACKWARD.replace("BODY", body)


_L2 = '''def l2_penalty(params, reg):
    return float(HALF * reg * sum(np.sum(params[key] ** 2) for key in params if KEEP))
'''

_LOSS = '''def deep_loss(X, y, params, reg=0.0, dropout=0.0, train=True, rng=None, activation="relu"):
    scores, caches = deep_forward(X, params, activation, dropout, TRAIN, rng)
    data_loss, dscores = softmax_cross_entropy(scores, y)
    grads = deep_backward(dscores, caches)
    for l in range(1, len(caches) + 1):
        grads[f"W{l}"] = grads[f"W{l}"] + REG * params[f"W{l}"]
    return data_loss + l2_penalty(params, reg), grads
'''

MISTAKES = {
    "init_last_layer_first": {"init_deep": _init(order="range(len(sizes) - 1, 0, -1)")},
    "init_accepts_bool": {"init_deep": _init(check="not isinstance(n, (int, np.integer)) or n < 1")},
    "init_lecun_std": {"init_deep": _init(std="np.sqrt(1 / fan_in)")},
    "dropout_not_scaled": {"dropout_forward": _drop(_DROP_BODY.replace(" / (1.0 - p)", " * 1.0"))},
    "dropout_draws_at_test_time": {"dropout_forward": _drop('''u = rng.random(x.shape) if rng is not None else None
    if not train or p == 0:
        return x, None
    if rng is None:
        raise ValueError("dropout at training time needs a random generator: pass rng=...")
    mask = (u >= p) / (1.0 - p)
    return x * mask, mask''')},
    "dropout_no_rng_check": {"dropout_forward": _drop(_DROP_BODY.replace(
        '''    if rng is None:
        raise ValueError("dropout at training time needs a random generator: pass rng=...")
''', ""))},
    "dropout_backward_ignores_mask": {"dropout_backward": '''def dropout_backward(dout, mask):
    return dout
'''},
    "deep_forward_drops_input": {"deep_forward": _forward(pre="A, _ = dropout_forward(A, dropout, train, rng)")},
    "deep_forward_drops_scores": {
        "deep_forward": _forward(output="scores, mask = dropout_forward(scores, dropout, train, rng)\n"
                                        "    caches.append((dense_cache, None, mask))"),
        "deep_backward": _backward(body="dA = dropout_backward(dA, mask)\n"
                                        "        if l < L:\n"
                                        "            dA = activation_backward(dA, act_cache)")},
    "deep_forward_masks_last_first": {"deep_forward": _forward(
        pre='''masks = {}
    for l in range(L - 1, 0, -1):
        masks[l] = dropout_forward(np.ones((len(X), params[f"W{l}"].shape[1])), dropout, train, rng)[1]''',
        hidden="mask = masks[l]\n        A = A if mask is None else A * mask")},
    "deep_forward_makes_rng": {"deep_forward": _forward(
        pre="rng = np.random.default_rng() if rng is None else rng")},
    "deep_backward_skips_dropout": {"deep_backward": _backward(
        body="if l < L:\n            dA = activation_backward(dA, act_cache)")},
    "l2_includes_biases": {"l2_penalty": _L2.replace("HALF", "0.5").replace(" if KEEP", "")},
    "l2_no_half": {"l2_penalty": _L2.replace("HALF", "1.0").replace("KEEP", 'key.startswith("W")')},
    "deep_loss_no_reg_gradient": {"deep_loss": _LOSS.replace("TRAIN", "train").replace("REG", "0.0")},
    "deep_loss_ignores_train": {"deep_loss": _LOSS.replace("TRAIN", "True").replace("REG", "reg")},
}

ALTERNATIVES = {
    "init_two_loops": {"init_deep": '''def init_deep(layer_sizes, rng, method="he_normal"):
    if method not in INIT_METHODS:
        raise ValueError(f"unknown method {method!r}, use one of {sorted(INIT_METHODS)}")
    sizes = [n for n in layer_sizes]
    if len(sizes) < 2 or any(type(n) is bool or not isinstance(n, (int, np.integer)) or n <= 0 for n in sizes):
        raise ValueError(f"layer_sizes must be at least two positive integers, got {sizes}")
    weights = [INIT_METHODS[method](a, b) * rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    params = {f"W{l}": W for l, W in enumerate(weights, start=1)}
    params.update({f"b{l}": np.zeros(W.shape[1]) for l, W in enumerate(weights, start=1)})
    return params
'''},
    "dropout_where": {"dropout_forward": _drop('''if not train or p == 0:
        return x, None
    if rng is None:
        raise ValueError("training-time dropout needs rng (a numpy Generator)")
    mask = np.where(rng.random(x.shape) < p, 0.0, 1.0 / (1.0 - p))
    return x * mask, mask''')},
    "deep_backward_reversed": {"deep_backward": '''def deep_backward(dscores, caches):
    grads, dA = {}, dscores
    for l, (dense_cache, act_cache, mask) in reversed(list(enumerate(caches, start=1))):
        if act_cache is not None:
            dA = activation_backward(dropout_backward(dA, mask), act_cache)
        dA, grads[f"W{l}"], grads[f"b{l}"] = dense_backward(dA, dense_cache)
    return grads
'''},
    "l2_over_keys": {"l2_penalty": _L2.replace("HALF", "0.5").replace("KEEP", 'key.startswith("W")')},
}

LOSES = {
    "init_last_layer_first": {"init_deep_shapes"},
    "init_accepts_bool": {"init_deep_shapes"},
    "init_lecun_std": {"init_deep_shapes"},
    "dropout_not_scaled": {"dropout_train_statistics"},
    "dropout_draws_at_test_time": {"dropout_test_time_identity"},
    "dropout_no_rng_check": {"dropout_rejects_bad_p"},
    "dropout_backward_ignores_mask": {"dropout_backward_values"},
    "deep_forward_drops_input": {"deep_forward_dropout_modes"},
    "deep_forward_drops_scores": {"deep_forward_dropout_modes"},
    "deep_forward_masks_last_first": {"deep_forward_dropout_modes"},
    "deep_forward_makes_rng": {"deep_forward_dropout_modes"},
    "deep_backward_skips_dropout": {"deep_loss_dropout_gradcheck"},
    "l2_includes_biases": {"l2_penalty_values"},
    "l2_no_half": {"l2_penalty_values"},
    "deep_loss_no_reg_gradient": {"deep_loss_gradcheck_with_l2"},
    "deep_loss_ignores_train": {"deep_loss_dropout_gradcheck"},
}
