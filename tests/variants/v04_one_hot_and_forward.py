"""Lesson 04 (one-hot and the forward pass): the mistakes students make, each with the test cell that catches it.

one_hot(y, num_classes=None)
- off_by_one_labels: Y[i, y[i] - 1] -> one_hot_values (visible).
- integer_dtype: np.zeros((N, K), dtype=int) -> one_hot_values (visible: wrong dtype).
- infers_max_classes: K = max(y) instead of max(y) + 1 -> one_hot_infers_num_classes (visible).
- transposed: a (K, N) result -> one_hot_round_trip (visible: wrong shape).
- no_negative_check: a negative label wraps around to the last column -> one_hot_rejects_out_of_range (visible).
- label_equal_to_K_allowed: y > num_classes instead of >=: label K reaches the indexing, an IndexError ->
  one_hot_rejects_out_of_range (visible: one_hot([0, 1, 2], 2)).
- message_without_position: the value but not the index of the bad label -> one_hot_rejects_out_of_range
  (visible).
- floats_truncated: astype(int) without checking: 1.5 becomes class 1 -> one_hot_float_labels (visible).
- booleans_accepted: True taken as label 1 -> one_hot_rejects_bad_input (visible).
two_layer_forward(X, params)
- no_relu: softmax(X W1 + b1) W2 + b2 without the ReLU -> forward_values (visible).
- own_naive_softmax: exp(Z2) / sum without the max-shift -> forward_values (visible: scores above 1000).
- softmax_over_examples: normalizes each column -> forward_shapes_and_sums (visible: row sums).
- bias_b1_forgotten: X W1 without b1 -> forward_values (visible).
- checks_only_W1: no shape check of b1, W2, b2: NumPy's broadcasting error names no array ->
  forward_checks_shapes (visible: b1 of shape (5,)).
predict(X, params)
- argmax_over_examples: axis=0 -> predict_values (visible: wrong shape).
- float_classes: the argmax as float64 -> predict_values (visible: wrong dtype).
- argmin: the least probable class -> predict_values (visible).

Valid alternatives: one_hot as np.eye(K)[y] or (y[:, None] == np.arange(K)) as floats (with
COURSE_VARIANTS=all) (both textbook
forms); the ReLU as Z1 * (Z1 > 0); predict as two_layer_forward(X, params).argmax(axis=-1) (int64, the
platform's index type here).
"""

from variants import edit

LESSON = "04_one_hot_and_forward"


def _e(gid, *pairs):
    return edit(LESSON, gid, *pairs)


_FILL = "    Y = np.zeros((N, num_classes))\n    Y[np.arange(N), y] = 1.0\n    return Y"
_RELU = "    H = np.maximum(Z1, 0.0)     # (N, M)"
_PREDICT = "return np.argmax(two_layer_forward(X, params), axis=1).astype(np.int64)"

MISTAKES = {
    "off_by_one_labels": {"one_hot": _e("one_hot", (
        "    Y[np.arange(N), y] = 1.0", "    Y[np.arange(N), y - 1] = 1.0"))},
    "integer_dtype": {"one_hot": _e("one_hot", ("    Y = np.zeros((N, num_classes))",
                                                "    Y = np.zeros((N, num_classes), dtype=int)"))},
    "infers_max_classes": {"one_hot": _e("one_hot", ("num_classes = int(y.max()) + 1", "num_classes = int(y.max())"))},
    "transposed": {"one_hot": _e("one_hot", (_FILL, "    Y = np.zeros((num_classes, N))\n"
                                                    "    Y[y, np.arange(N)] = 1.0\n    return Y"))},
    "no_negative_check": {"one_hot": _e("one_hot", ("    if negative.any():", "    if False:"))},
    "label_equal_to_K_allowed": {"one_hot": _e("one_hot", ("too_big = y >= num_classes", "too_big = y > num_classes"))},
    "message_without_position": {"one_hot": _e("one_hot", (
        'raise ValueError(f"labels must be 0, 1, 2, ..., but y[{i}] = {y[i]} is negative")',
        'raise ValueError(f"label {y[i]} is negative")'), (
        'f"but y[{i}] = {y[i]}")', 'f"but got {y[i]}")'))},
    "floats_truncated": {"one_hot": _e("one_hot", ("        if not_whole.any():", "        if False:"))},
    "booleans_accepted": {"one_hot": _e("one_hot", ("    if np.issubdtype(y.dtype, np.floating):",
                                                    "    if y.dtype == bool:\n        y = y.astype(np.int64)\n"
                                                    "    if np.issubdtype(y.dtype, np.floating):"))},
    "no_relu": {"two_layer_forward": _e("two_layer_forward", (_RELU, "    H = Z1"))},
    "own_naive_softmax": {"two_layer_forward": _e("two_layer_forward", (
        "    return softmax(Z2)", "    E = np.exp(Z2)\n    return E / E.sum(axis=1, keepdims=True)"))},
    "softmax_over_examples": {"two_layer_forward": _e("two_layer_forward", (
        "    return softmax(Z2)", "    E = np.exp(Z2 - Z2.max(axis=0))\n    return E / E.sum(axis=0)"))},
    "bias_b1_forgotten": {"two_layer_forward": _e("two_layer_forward", ("Z1 = X @ W1 + b1 ", "Z1 = X @ W1 "))},
    "checks_only_W1": {"two_layer_forward": _e("two_layer_forward", (
        "    if b1.shape != (M,):", "    if False:"), ("    if W2.ndim != 2 or W2.shape[0] != M:", "    if False:"), (
        "    if b2.shape != (C,):", "    if False:"))},
    "argmax_over_examples": {"predict": _e("predict", (
        _PREDICT, "return np.argmax(two_layer_forward(X, params), axis=0)"))},
    "float_classes": {"predict": _e("predict", (
        _PREDICT, "return np.argmax(two_layer_forward(X, params), axis=1).astype(float)"))},
    "argmin": {"predict": _e("predict", (_PREDICT, "return np.argmin(two_layer_forward(X, params), axis=1)"))},
}

LOSES = {
    "off_by_one_labels": {"one_hot_values"}, "integer_dtype": {"one_hot_values"},
    "infers_max_classes": {"one_hot_infers_num_classes"}, "transposed": {"one_hot_round_trip"},
    "no_negative_check": {"one_hot_rejects_out_of_range"}, "label_equal_to_K_allowed": {"one_hot_rejects_out_of_range"},
    "message_without_position": {"one_hot_rejects_out_of_range"}, "floats_truncated": {"one_hot_float_labels"},
    "booleans_accepted": {"one_hot_rejects_bad_input"},
    "no_relu": {"forward_values"}, "own_naive_softmax": {"forward_values"},
    "softmax_over_examples": {"forward_shapes_and_sums"}, "bias_b1_forgotten": {"forward_values"},
    "checks_only_W1": {"forward_checks_shapes"},
    "argmax_over_examples": {"predict_values"}, "float_classes": {"predict_values"}, "argmin": {"predict_values"},
}

ALTERNATIVES = {
    "eye_rows": {"one_hot": _e("one_hot", (_FILL, "    return np.eye(num_classes)[y]"))},
    "mask_relu_and_argmax_method": {
        "two_layer_forward": _e("two_layer_forward", (_RELU, "    H = Z1 * (Z1 > 0)")),
        "predict": _e("predict", (_PREDICT, "return two_layer_forward(X, params).argmax(axis=-1)"))},
}
EXTRA_ALTERNATIVES = {
    "compare_with_arange": {
        "one_hot": _e("one_hot", (_FILL, "    return (y[:, None] == np.arange(num_classes)).astype(np.float64)"))},
}

# The default run grades these (3 submissions, the alternatives one more); the rest run with COURSE_VARIANTS=all.
_MAIN = ["label_equal_to_K_allowed", "booleans_accepted", "floats_truncated", "own_naive_softmax", "checks_only_W1",
         "softmax_over_examples", "float_classes", "argmax_over_examples"]
EXTRA_MISTAKES = {name: answers for name, answers in MISTAKES.items() if name not in _MAIN}
MISTAKES = {name: MISTAKES[name] for name in _MAIN}
