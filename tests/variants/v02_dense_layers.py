"""Lesson 02 (dense layers and activations): the mistakes students make, each with the test cell that catches it.

dense(X, W, b)
- transposed_weights: X @ W.T + b (W read as (M, D)) -> dense_forward_values (visible).
- bias_as_column: b[:, None] broadcast down the columns: an error, or a wrong answer when N == M ->
  dense_forward_shapes_and_bias (visible).
- no_shape_checks: no checks: NumPy's own error does not name W.shape -> dense_forward_rejects_bad_shapes
  (visible).
- no_bias_check: X and W checked, b not: a (1, M) b broadcasts silently -> dense_forward_rejects_bad_shapes
  (visible, b of shape (1, 2)).
- no_ndim_check: a 1-D X reaches X.shape[1]: IndexError instead of ValueError ->
  dense_forward_rejects_bad_shapes (visible, X of shape (3,)).
relu / leaky_relu and their derivatives
- relu_in_place: x[x < 0] = 0 on the caller's array -> relu_and_leaky_relu (visible: "changed its input
  x in place").
- leaky_in_place: x[x < 0] *= slope on the caller's array -> relu_and_leaky_relu (visible).
- relu_grad_one_at_zero: x >= 0, so 1 at x = 0 -> relu_and_leaky_relu (visible).
- leaky_grad_one_at_zero: 1 at x = 0 instead of slope -> relu_and_leaky_relu (visible).
sigmoid
- naive_sigmoid: 1 / (1 + exp(-x)) overflows for x < -709 -> sigmoid_is_stable (visible).
- where_both_branches: np.where with exp(-x) and exp(x) in its branches: both are computed, one
  overflows -> sigmoid_is_stable (visible).
- sigmoid_grad_wrong: s * (1 - s) ** 2, a chain rule taken once too often -> sigmoid_values (visible).
tanh, LeCun's tanh
- tanh_grad_no_square: 1 - tanh(x) -> tanh_and_lecun_tanh (visible).
- lecun_grad_no_chain_rule: the factor 2/3 of the inner derivative forgotten -> tanh_and_lecun_tanh (visible).
elu / selu
- elu_exp_minus_one: np.exp(x) - 1 instead of np.expm1: loses digits near 0 -> elu_and_selu (visible).
- elu_no_clip: alpha * expm1(x) in np.where without np.minimum(x, 0): overflows at x = 1000 -> elu_and_selu
  (visible).
- elu_grad_one_at_zero: 1 at x = 0 instead of alpha -> elu_and_selu (visible, through selu_grad(0)).
softmax_jacobian
- jacobian_no_off_diagonal: diag(p) only -> softmax_jacobian_values (visible).
- jacobian_plus_outer: diag(p) + p p^T -> softmax_jacobian_values (visible).
dense_layer
- activation_before_dense: f(X) @ W + b -> dense_layer_values (visible).
- key_error: a dict lookup without a check raises KeyError -> dense_layer_rejects_unknown_names (visible).
- message_without_names: ValueError("unknown activation") without the valid names ->
  dense_layer_rejects_unknown_names (visible).

Valid alternatives: np.dot / einsum for the affine map; relu as x * (x > 0) and its derivative as
(x > 0).astype(float); leaky_relu as np.maximum(x, slope * x) (the same for 0 <= slope <= 1, the range the
lesson uses); the sigmoid as 0.5 * (1 + tanh(x / 2)) (a textbook identity, stable); the Jacobian with
np.einsum; dense_layer as an if/elif chain.
"""

from variants import edit

LESSON = "02_dense_layers"


def _e(gid, *pairs):
    return edit(LESSON, gid, *pairs)


MISTAKES = {
    "transposed_weights": {"dense_forward": _e("dense_forward", ("return X @ W + b", "return X @ W.T + b"))},
    "bias_as_column": {"dense_forward": _e("dense_forward", ("return X @ W + b", "return X @ W + b[:, None]"),
                                           ("if b.shape != (W.shape[1],):", "if b.size != W.shape[1]:"))},
    "no_shape_checks": {"dense_forward": "def dense(X, W, b):\n    return np.asarray(X) @ np.asarray(W) + b\n"},
    "no_bias_check": {"dense_forward": _e("dense_forward", ("if b.shape != (W.shape[1],):", "if False:"))},
    "no_ndim_check": {"dense_forward": _e("dense_forward", ("if X.ndim != 2:", "if False:"))},
    "relu_in_place": {"relu": _e("relu", ("return np.maximum(np.asarray(x), 0)",
                                          "x = np.asarray(x)\n    x[x < 0] = 0\n    return x"))},
    "leaky_in_place": {"leaky_relu": _e("leaky_relu", ("return np.where(x > 0, x, slope * x)",
                                                       "x[x < 0] *= slope\n    return x"))},
    "relu_grad_one_at_zero": {"relu": _e("relu", ("np.asarray(x) > 0, 1.0, 0.0", "np.asarray(x) >= 0, 1.0, 0.0"))},
    "leaky_grad_one_at_zero": {"leaky_relu": _e("leaky_relu", ("np.asarray(x) > 0, 1.0, slope",
                                                               "np.asarray(x) >= 0, 1.0, slope"))},
    "naive_sigmoid": {"sigmoid": _e("sigmoid", ("return np.where(x >= 0, 1 / (1 + e), e / (1 + e))",
                                                "return 1 / (1 + np.exp(-x))"))},
    "where_both_branches": {"sigmoid": _e("sigmoid", ("return np.where(x >= 0, 1 / (1 + e), e / (1 + e))",
                                                      "return np.where(x >= 0, 1 / (1 + np.exp(-x)), "
                                                      "np.exp(x) / (1 + np.exp(x)))"))},
    "sigmoid_grad_wrong": {"sigmoid": _e("sigmoid", ("return sig * (1 - sig)", "return sig * (1 - sig) ** 2"))},
    "tanh_grad_no_square": {"tanh": _e("tanh", ("    t = np.tanh(x)\n    return 1 - t ** 2",
                                                "    t = np.tanh(x)\n    return 1 - t"))},
    "lecun_grad_no_chain_rule": {"tanh": _e("tanh", ("return 1.7159 * 2 / 3 * (1 - t ** 2)",
                                                     "return 1.7159 * (1 - t ** 2)"))},
    "elu_exp_minus_one": {"elu_selu": _e("elu_selu", ("alpha * np.expm1(np.minimum(x, 0))",
                                                      "alpha * (np.exp(np.minimum(x, 0)) - 1)"))},
    "elu_no_clip": {"elu_selu": _e("elu_selu", ("alpha * np.expm1(np.minimum(x, 0))", "alpha * np.expm1(x)"),
                                   ("alpha * np.exp(np.minimum(x, 0))", "alpha * np.exp(x)"))},
    "elu_grad_one_at_zero": {"elu_selu": _e("elu_selu", ("return np.where(x > 0, 1.0, alpha",
                                                         "return np.where(x >= 0, 1.0, alpha"))},
    "jacobian_no_off_diagonal": {"softmax_jacobian": _e("softmax_jacobian", (
        "return probs[..., :, None] * (np.eye(C) - probs[..., None, :])",
        "return probs[..., :, None] * np.eye(C)"))},
    "jacobian_plus_outer": {"softmax_jacobian": _e("softmax_jacobian", (
        "return probs[..., :, None] * (np.eye(C) - probs[..., None, :])",
        "return probs[..., :, None] * (np.eye(C) + probs[..., None, :])"))},
    "activation_before_dense": {"dense_layer": _e("dense_layer", (
        "return activations[activation](dense(X, W, b))", "return dense(activations[activation](X), W, b)"))},
    "key_error": {"dense_layer": _e("dense_layer", ("if activation not in activations:", "if False:"))},
    "message_without_names": {"dense_layer": _e("dense_layer", (
        "f\"unknown activation {activation!r}; valid names are: {', '.join(activations)}\"",
        "f\"unknown activation {activation!r}\""))},
}

LOSES = {
    "transposed_weights": {"dense_forward_values"},
    "bias_as_column": {"dense_forward_shapes_and_bias"},
    "no_shape_checks": {"dense_forward_rejects_bad_shapes"},
    "no_bias_check": {"dense_forward_rejects_bad_shapes"},
    "no_ndim_check": {"dense_forward_rejects_bad_shapes"},
    "relu_in_place": {"relu_and_leaky_relu"},
    "leaky_in_place": {"relu_and_leaky_relu"},
    "relu_grad_one_at_zero": {"relu_and_leaky_relu"},
    "leaky_grad_one_at_zero": {"relu_and_leaky_relu"},
    "naive_sigmoid": {"sigmoid_is_stable"},
    "where_both_branches": {"sigmoid_is_stable"},
    "sigmoid_grad_wrong": {"sigmoid_values"},
    "tanh_grad_no_square": {"tanh_and_lecun_tanh"},
    "lecun_grad_no_chain_rule": {"tanh_and_lecun_tanh"},
    "elu_exp_minus_one": {"elu_and_selu"},
    "elu_no_clip": {"elu_and_selu"},
    "elu_grad_one_at_zero": {"elu_and_selu"},
    "jacobian_no_off_diagonal": {"softmax_jacobian_values"},
    "jacobian_plus_outer": {"softmax_jacobian_values"},
    "activation_before_dense": {"dense_layer_values"},
    "key_error": {"dense_layer_rejects_unknown_names"},
    "message_without_names": {"dense_layer_rejects_unknown_names"},
}

ALTERNATIVES = {
    "dot_and_einsum": {
        "dense_forward": _e("dense_forward", ("return X @ W + b", "return np.dot(X, W) + b.reshape(1, -1)")),
        "softmax_jacobian": _e("softmax_jacobian", (
            "return probs[..., :, None] * (np.eye(C) - probs[..., None, :])",
            "return (np.einsum('...i,ij->...ij', probs, np.eye(C))\n"
            "            - np.einsum('...i,...j->...ij', probs, probs))"))},
    "masks_and_maximum": {
        "relu": _e("relu", ("return np.maximum(np.asarray(x), 0)", "x = np.asarray(x)\n    return x * (x > 0)"),
                   ("return np.where(np.asarray(x) > 0, 1.0, 0.0)", "return (np.asarray(x) > 0).astype(float)")),
        "leaky_relu": _e("leaky_relu", ("return np.where(x > 0, x, slope * x)", "return np.maximum(x, slope * x)"))},
    "sigmoid_from_tanh": {
        "sigmoid": _e("sigmoid", ("e = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))",
                                  "return 0.5 * (1 + np.tanh(x / 2))")),
        "dense_layer": _e("dense_layer", (
            "    return activations[activation](dense(X, W, b))",
            "    Z = dense(X, W, b)\n    if activation == 'linear':\n        return Z\n"
            "    elif activation == 'relu':\n        return relu(Z)\n    else:\n"
            "        return activations[activation](Z)"))},
}

# The default run grades these (3 submissions); the rest run with COURSE_VARIANTS=all.
_MAIN = ["transposed_weights", "no_bias_check", "no_ndim_check", "relu_in_place", "leaky_in_place",
         "relu_grad_one_at_zero", "naive_sigmoid", "sigmoid_grad_wrong", "lecun_grad_no_chain_rule",
         "elu_exp_minus_one", "elu_grad_one_at_zero", "jacobian_no_off_diagonal", "message_without_names",
         "key_error"]
EXTRA_MISTAKES = {name: answers for name, answers in MISTAKES.items() if name not in _MAIN}
MISTAKES = {name: MISTAKES[name] for name in _MAIN}
