"""Lesson 06's graded functions: the mistakes students make, the valid answers they write, and the check
that tells each mistake apart.

dense_backward
    dX = dout @ W, no transpose (dense_dX_no_transpose) ... dense_backward_shapes: "dX ...: wrong shape"
    db as a mean over the batch (dense_db_mean) ........... dense_backward_values: "db: wrong values"
    dW divided by N (dense_dW_over_N) ..................... dense_backward_values: "dW: wrong values"
    valid: np.einsum (dense_einsum)
relu_backward
    dout zeroed in place and returned (relu_in_place) ..... relu_backward_checks: "dout was changed in place"
    the gradient passed at x = 0 (relu_at_zero) ........... relu_backward_checks: "(0 at x = 0)"
    the sign of dout instead of x (relu_sign_of_dout) ..... relu_backward_checks: numeric check
    valid: dout * (x > 0) (relu_multiply_mask)
sigmoid_backward, tanh_backward
    the cache taken for the input x (sigmoid_recomputes) .. sigmoid_backward_checks: numeric check
    1 - t instead of 1 - t**2 (tanh_one_minus_t) .......... tanh_backward_checks: numeric check
softmax_cross_entropy
    no max subtraction (sce_no_shift) ..................... softmax_ce_uniform_and_stable: nan for scores of 1000
    P - Y without / N (sce_not_mean) ...................... softmax_ce_values: "dscores: wrong values"
    scores shifted in place (sce_shift_in_place) .......... softmax_ce_values: "changed its input scores in place"
    no label checks (sce_no_label_check) .................. softmax_ce_rejects_bad_labels
    valid: one-hot rows and sums (sce_one_hot)
two_layer_loss
    the biases penalized too (two_layer_penalizes_biases) . two_layer_loss_values: "loss with reg = 0.1"
    reg * W left out of the gradient (two_layer_no_reg_gradient)  two_layer_loss_matches_numeric
    the ReLU's backward pass left out (two_layer_skips_relu_backward)  two_layer_loss_matches_numeric
    course.twolayer.two_layer_loss_and_gradients called (two_layer_delegates_to_course)  two_layer_loss_values:
        WithheldAnswer (the grader withholds the course's answer while lesson 06 is graded)
    valid: every layer written inline (two_layer_inline)
"""

LESSON = "06_backpropagation"

_DENSE = '''def dense_backward(dout, cache):
    X, W, b = cache
    return DX, DW, DB
'''


def _dense(dx="dout @ W.T", dw="X.T @ dout", db="dout.sum(axis=0)"):
    return _DENSE.replace("DX", dx).replace("DW", dw).replace("DB", db)


_SCE_CHECK = '''    if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer) or (N and (y.min() < 0
                                                                     or y.max() >= C)):
        raise ValueError(f"y must hold {N} integer labels in 0..{C - 1}, got {y!r}")
'''
_SCE = '''def softmax_cross_entropy(scores, y):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    N, C = scores.shape
CHECK    SHIFT
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return float(-log_probs[rows, y].mean()), DSCORES
'''


def _sce(shift="shifted = scores - scores.max(axis=1, keepdims=True)", dscores="dscores / N", check=True):
    return _SCE.replace("CHECK", _SCE_CHECK if check else "").replace("SHIFT", shift).replace("DSCORES", dscores)


_TWO = '''def two_layer_loss(X, y, params, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    A, c1 = dense_forward(X, W1, b1)
    H, c2 = relu_forward(A)
    S, c3 = dense_forward(H, W2, b2)
    data_loss, dS = softmax_cross_entropy(S, y)
    loss = data_loss + PENALTY
    dH, dW2, db2 = dense_backward(dS, c3)
    dA = RELU
    _, dW1, db1 = dense_backward(dA, c1)
    return float(loss), {"W1": dW1 + GRAD_REG * W1, "b1": db1, "W2": dW2 + GRAD_REG * W2, "b2": db2}
'''


def _two(penalty="0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))", relu="relu_backward(dH, c2)", grad_reg="reg"):
    return _TWO.replace("PENALTY", penalty).replace("RELU", relu).replace("GRAD_REG", grad_reg)


_SIG_TANH = '''def sigmoid_backward(dout, cache):
    SIGMOID


def tanh_backward(dout, cache):
    TANH
'''


def _sig_tanh(sigmoid="return dout * cache * (1 - cache)", tanh="return dout * (1 - cache ** 2)"):
    return _SIG_TANH.replace("SIGMOID", sigmoid).replace("TANH", tanh)


MISTAKES = {
    "dense_dX_no_transpose": {"dense_backward": _dense(dx="dout @ W[:dout.shape[1]]")},
    "dense_db_mean": {"dense_backward": _dense(db="dout.mean(axis=0)")},
    "dense_dW_over_N": {"dense_backward": _dense(dw="X.T @ dout / len(X)")},
    "relu_in_place": {"relu_backward": '''def relu_backward(dout, cache):
    dout[cache <= 0] = 0.0
    return dout
'''},
    "relu_at_zero": {"relu_backward": '''def relu_backward(dout, cache):
    return np.where(cache >= 0, dout, 0.0)
'''},
    "relu_sign_of_dout": {"relu_backward": '''def relu_backward(dout, cache):
    return np.where(dout > 0, dout, 0.0)
'''},
    "sigmoid_recomputes": {"sigmoid_tanh_backward": _sig_tanh(
        sigmoid="s = 1 / (1 + np.exp(-cache))\n    return dout * s * (1 - s)")},
    "tanh_one_minus_t": {"sigmoid_tanh_backward": _sig_tanh(tanh="return dout * (1 - cache)")},
    "sce_no_shift": {"softmax_cross_entropy": _sce(shift="shifted = scores")},
    "sce_not_mean": {"softmax_cross_entropy": _sce(dscores="dscores")},
    "sce_shift_in_place": {"softmax_cross_entropy": _sce(
        shift="scores -= scores.max(axis=1, keepdims=True)\n    shifted = scores")},
    "sce_no_label_check": {"softmax_cross_entropy": _sce(check=False)},
    "two_layer_penalizes_biases": {"two_layer_loss": _two(
        penalty="0.5 * reg * sum(np.sum(v ** 2) for v in params.values())")},
    "two_layer_no_reg_gradient": {"two_layer_loss": _two(grad_reg="0.0")},
    "two_layer_skips_relu_backward": {"two_layer_loss": _two(relu="dH")},
    # The course's own two-layer network, one import away: withheld while lesson 06 is graded.
    "two_layer_delegates_to_course": {"two_layer_loss": '''from course.twolayer import two_layer_loss_and_gradients


def two_layer_loss(X, y, params, reg=0.0):
    return two_layer_loss_and_gradients(X, y, params, reg)
'''},
}

ALTERNATIVES = {
    "dense_einsum": {"dense_backward": _dense(dx='np.einsum("nm,dm->nd", dout, W)',
                                              dw='np.einsum("nd,nm->dm", X, dout)',
                                              db='np.einsum("nm->m", dout)')},
    "relu_multiply_mask": {"relu_backward": '''def relu_backward(dout, cache):
    return dout * (cache > 0)
'''},
    "sigmoid_tanh_multiply": {"sigmoid_tanh_backward": _sig_tanh(
        sigmoid="return np.multiply(dout, cache - cache * cache)",
        tanh="return dout - dout * np.square(cache)")},
    "sce_one_hot": {"softmax_cross_entropy": '''def softmax_cross_entropy(scores, y):
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y)
    if scores.ndim != 2 or y.shape != (scores.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(f"scores {scores.shape} and labels {y.shape} ({y.dtype}) do not fit")
    N, C = scores.shape
    if N and (y.min() < 0 or y.max() >= C):
        raise ValueError(f"labels must lie in 0..{C - 1}")
    Y = np.eye(C)[y]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    P = np.exp(log_probs)
    return float(-np.sum(Y * log_probs) / N), (P - Y) / N
'''},
    "two_layer_inline": {"two_layer_loss": '''def two_layer_loss(X, y, params, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    A = X @ W1 + b1
    H = np.maximum(A, 0)
    S = H @ W2 + b2
    S = S - S.max(axis=1, keepdims=True)
    log_P = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    loss = -log_P[np.arange(N), y].mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dS = np.exp(log_P)
    dS[np.arange(N), y] -= 1
    dS /= N
    dH = dS @ W2.T
    dA = dH * (A > 0)
    return float(loss), {"W1": X.T @ dA + reg * W1, "b1": dA.sum(axis=0),
                         "W2": H.T @ dS + reg * W2, "b2": dS.sum(axis=0)}
'''},
}

LOSES = {
    "dense_dX_no_transpose": {"dense_backward_shapes"},
    "dense_db_mean": {"dense_backward_values"},
    "dense_dW_over_N": {"dense_backward_values"},
    "relu_in_place": {"relu_backward_checks"},
    "relu_at_zero": {"relu_backward_checks"},
    "relu_sign_of_dout": {"relu_backward_checks"},
    "sigmoid_recomputes": {"sigmoid_backward_checks"},
    "tanh_one_minus_t": {"tanh_backward_checks"},
    "sce_no_shift": {"softmax_ce_uniform_and_stable"},
    "sce_not_mean": {"softmax_ce_values"},
    "sce_shift_in_place": {"softmax_ce_values"},
    "sce_no_label_check": {"softmax_ce_rejects_bad_labels"},
    "two_layer_penalizes_biases": {"two_layer_loss_values"},
    "two_layer_no_reg_gradient": {"two_layer_loss_matches_numeric"},
    "two_layer_skips_relu_backward": {"two_layer_loss_matches_numeric"},
    "two_layer_delegates_to_course": {"two_layer_loss_values", "two_layer_loss_matches_numeric"},
}
